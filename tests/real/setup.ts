import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONSTRAINTS } from '../../server/features/engines/constraints'
import { INSTALL_MARKER, MANAGED, buildEnvironment, detectPlatform, fileSha256, findPython } from '../../server/features/engines/installer'
import { systemInstallerHost } from '../../server/features/engines/installer-host'
import { loadConfig } from '../../server/config'
import { FAST_TIMING } from '../fixtures/engine/harness'
import type { RepoSpec } from '../fixtures/hub/types'
import { ADMIN, NO_SAVED_TOKEN, createTestApp, tempDir, type TestApp } from '../server/helpers'

const BUILD_SCRIPT = join(import.meta.dir, '../fixtures/engine/tiny-model/build.py')

/**
 * mlx_lm.server's environment, made by the manager's own installer code and kept between runs
 * outside the clone, keyed by the constraints file: a new pin makes a new environment.
 */
export async function engineEnvironment(log: (line: string) => void = () => undefined): Promise<string> {
  const host = systemInstallerHost()
  const spec = MANAGED['mlx_lm.server']
  if (spec === undefined) throw new Error('mlx_lm.server has no managed spec')
  const constraints = CONSTRAINTS[spec.constraints] ?? ''
  const root = process.env.MLX_MANAGER_TEST_CACHE ?? join(homedir(), '.cache', 'mlx-manager-tests')
  const dir = join(root, 'engines', fileSha256(constraints).slice(0, 16))
  if (host.exists(join(dir, INSTALL_MARKER))) return dir
  const need = spec.requirements(await detectPlatform(host))
  if (!need.ok) throw new Error(need.reason)
  const python = await findPython(host, spec.minPython)
  mkdirSync(join(root, 'engines'), { recursive: true })
  const constraintsFile = `${dir}.constraints.txt`
  host.writeFile(constraintsFile, constraints)
  await buildEnvironment(host, { python: python.path, dir, constraintsFile, packages: need.packages, uv: host.which('uv') }, process.env, log)
  return dir
}

/** Builds the tiny model with the environment's Python; answers its folder. */
export async function buildTinyModel(venv: string): Promise<string> {
  const out = join(tmpdir(), `mlx-manager-tiny-${process.pid}-${Date.now()}`)
  const child = Bun.spawn([join(venv, 'bin', 'python'), BUILD_SCRIPT, out], { stdout: 'pipe', stderr: 'pipe' })
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  if (code !== 0) throw new Error(`build.py failed: ${stderr}`)
  return out
}

/** The model folder as an ordinary hub repo: JSON and README as git files, the weights as LFS with their real bytes. */
export function repoFromFolder(id: string, folder: string, weights?: Uint8Array): RepoSpec {
  const text = (name: string) => readFileSync(join(folder, name), 'utf8')
  const files = readdirSync(folder)
    .sort()
    .map((name) =>
      name.endsWith('.safetensors')
        ? { path: name, size: 0, content: weights ?? new Uint8Array(readFileSync(join(folder, name))) }
        : { path: name, text: text(name) },
    )
  return {
    id,
    downloads: 1,
    likes: 0,
    trendingScore: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastModified: '2026-01-01T00:00:00.000Z',
    pipelineTag: 'text-generation',
    libraryName: 'mlx',
    tags: ['mlx', '4-bit'],
    cardData: { library_name: 'mlx', pipeline_tag: 'text-generation', tags: ['mlx'] },
    readme: '# tiny\n',
    config: JSON.parse(text('config.json')) as RepoSpec['config'],
    tokenizerConfig: JSON.parse(text('tokenizer_config.json')) as RepoSpec['config'],
    // The hub fixture writes these three from the fields above.
    files: files.filter((file) => !['README.md', 'config.json', 'tokenizer_config.json'].includes(file.path)),
  }
}

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

/**
 * A manager (in-process) whose mlx_lm.server is the cached environment, standing where the
 * manager's installer puts its own, with the hub at `hubUrl`; signed in as the admin.
 */
export async function realManager(venv: string, hubUrl: string, options: { prefix: string; readyTimeoutMs?: number }): Promise<{ app: TestApp; token: string }> {
  const home = tempDir(options.prefix)
  mkdirSync(join(home, 'engines'), { recursive: true })
  symlinkSync(venv, join(home, 'engines', 'mlx_lm.server'))
  const config = loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), HF_ENDPOINT: hubUrl, ...NO_SAVED_TOKEN })
  const app = createTestApp({
    config,
    serving: { env: { ...process.env, PATH: '/usr/bin:/bin' }, timing: { ...FAST_TIMING, readyTimeoutMs: options.readyTimeoutMs ?? 60_000, stopGraceMs: 5_000 } },
  })
  return { app, token: (await app.signUp(ADMIN)).token ?? '' }
}

/** Downloads a repo through the manager's API and waits until it is complete (30 s at most). */
export async function downloadThrough(app: TestApp, token: string, modelId: string): Promise<void> {
  const created = await app.json<{ id: number }>('POST', '/api/downloads', { token, body: { modelId } })
  if (created.status !== 202) throw new Error(`download ${modelId}: ${created.status} ${JSON.stringify(created.body)}`)
  const deadline = Date.now() + 30_000
  for (;;) {
    const list = await app.json<{ id: number; status: string; error?: string | null }[]>('GET', '/api/downloads', { token })
    const row = list.body.find((item) => item.id === created.body.id)
    if (row?.status === 'completed') return
    if (row?.status === 'failed' || Date.now() > deadline) throw new Error(`download ${modelId}: ${JSON.stringify(row)}`)
    await Bun.sleep(100)
  }
}
