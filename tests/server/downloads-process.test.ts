import { afterAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Download } from '../../shared/downloads'
import { startFaultProxy } from '../fixtures/faults/proxy'
import { testRepo } from '../fixtures/faults/repos'
import { startHubFixture } from '../fixtures/hub'
import { DEFAULT_DOWNLOAD_OPTIONS } from '../../server/features/downloads/options'
import { bytesDone, parseRecord, rangeLength } from '../../server/features/downloads/ranges'
import { ADMIN, NO_SAVED_TOKEN, tempDir } from './helpers'

const CLI = join(import.meta.dir, '..', '..', 'server', 'cli.ts')
const MODEL = 'mlx-test/crash'
const BIG_MODEL = 'mlx-test/big'
const SIZE = 3 * 2 ** 20

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = server.port ?? 0
  await server.stop(true)
  return port
}

const hub = startHubFixture({ repos: [testRepo(MODEL)], sizes: 'content', generatedBytes: SIZE })
// Slow enough that the kill lands mid-file.
const proxy = startFaultProxy({ target: hub.url, rules: [{ kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 3 * 2 ** 20 }] })
afterAll(async () => {
  await proxy.stop()
  await hub.stop()
})

function launch(env: Record<string, string>, port: number, cli = CLI) {
  return Bun.spawn([process.execPath, cli, '--port', String(port)], { env: { ...process.env, ...NO_SAVED_TOKEN, ...env }, stdout: 'ignore', stderr: 'ignore' })
}

async function api<T>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as T }
}

async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}

describe('a real manager process', () => {
  test('killed with SIGKILL mid-download, it resumes from the .incomplete file after a restart and re-fetches little', async () => {
    const home = tempDir('mlx-manager-kill-')
    const cache = join(home, 'hub')
    const env = { MLX_MANAGER_HOME: home, HF_HUB_CACHE: cache, HF_ENDPOINT: proxy.url, MLX_MANAGER_DOWNLOAD_FILES: '1', MLX_MANAGER_DOWNLOAD_RETRY_MS: '20' }
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const blobs = join(cache, 'models--mlx-test--crash', 'blobs')
    const weights = hub.repos[0]?.files.find((f) => f.path === 'model.safetensors')
    const partialPath = join(blobs, `${weights?.lfs?.oid ?? ''}.incomplete`)

    let manager = launch(env, port)
    await waitUntil(async () => (await fetch(`${base}/api/health`)).ok, 'the manager to listen')
    await api(base, 'POST', '/api/auth/register', undefined, ADMIN)
    const { body: login } = await api<{ token: string }>(base, 'POST', '/api/auth/login', undefined, ADMIN)
    const started = await api<Download>(base, 'POST', '/api/downloads', login.token, { modelId: MODEL })
    expect(started.status).toBe(202)

    await waitUntil(() => existsSync(partialPath) && statSync(partialPath).size > SIZE / 4, 'a quarter of the weights on disk')
    manager.kill('SIGKILL')
    await manager.exited
    const kept = statSync(partialPath).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(SIZE)
    const sentBeforeKill = proxy.requests.filter((r) => r.url.endsWith('model.safetensors')).reduce((sum, r) => sum + r.bytesSent, 0)
    proxy.clear()

    manager = launch(env, port)
    try {
      await waitUntil(async () => (await fetch(`${base}/api/health`)).ok, 'the manager to listen again')
      let final: Download | undefined
      await waitUntil(async () => {
        final = (await api<Download[]>(base, 'GET', '/api/downloads', login.token)).body.find((d) => d.id === started.body.id)
        return final?.status === 'completed' || final?.status === 'failed'
      }, 'the resumed download to finish')
      expect(final?.status).toBe('completed')
    } finally {
      manager.kill('SIGTERM')
      await manager.exited
    }

    // The restarted manager asked for exactly the bytes after what it had kept.
    const after = proxy.requests.filter((r) => r.url.endsWith('model.safetensors'))
    expect(after[0]?.range).toBe(`bytes=${kept}-`)
    const refetched = sentBeforeKill + after.reduce((sum, r) => sum + r.bytesSent, 0) - SIZE
    expect(refetched).toBeLessThan(2 ** 20)
    const snapshot = join(cache, 'models--mlx-test--crash', 'snapshots', hub.repos[0]?.sha ?? '')
    expect(createHash('sha256').update(readFileSync(join(snapshot, 'model.safetensors'))).digest('hex')).toBe(weights?.lfs?.oid ?? '')
    expect(readdirSync(blobs).filter((name) => name.endsWith('.incomplete'))).toEqual([])
  }, 30_000)
})

describe('a real manager process fetching a file in ranges', () => {
  test('killed with SIGKILL mid-file, it resumes each range from the record next to the .incomplete file', async () => {
    const RANGES_MODEL = 'mlx-test/ranges'
    const size = 4 * 2 ** 20
    // Each connection capped at 1 MiB/s, as a CDN would: 4 connections take about a second.
    const rangesHub = startHubFixture({ repos: [testRepo(RANGES_MODEL)], sizes: 'content', generatedBytes: size, connectionBytesPerSecond: 2 ** 20 })
    const home = tempDir('mlx-manager-kill-ranges-')
    const cache = join(home, 'hub')
    const env = {
      MLX_MANAGER_HOME: home,
      HF_HUB_CACHE: cache,
      HF_ENDPOINT: rangesHub.url,
      MLX_MANAGER_DOWNLOAD_FILES: '1',
      MLX_MANAGER_DOWNLOAD_CONNECTIONS: '4',
      MLX_MANAGER_DOWNLOAD_PARALLEL_MIN_BYTES: '0',
      MLX_MANAGER_DOWNLOAD_RETRY_MS: '20',
    }
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const blobs = join(cache, 'models--mlx-test--ranges', 'blobs')
    const weights = rangesHub.repos[0]?.files.find((f) => f.path === 'model.safetensors')
    const recordPath = join(blobs, `${weights?.lfs?.oid ?? ''}.incomplete.ranges`)
    const recorded = () => {
      const record = existsSync(recordPath) ? parseRecord(readFileSync(recordPath, 'utf8'), size) : null
      return { record, bytes: record === null ? 0 : bytesDone(record) }
    }
    const weightRequests = () => rangesHub.requests.filter((r) => r.path.endsWith('/model.safetensors'))

    let manager = launch(env, port)
    try {
      await waitUntil(async () => (await fetch(`${base}/api/health`)).ok, 'the manager to listen')
      await api(base, 'POST', '/api/auth/register', undefined, ADMIN)
      const { body: login } = await api<{ token: string }>(base, 'POST', '/api/auth/login', undefined, ADMIN)
      const started = await api<Download>(base, 'POST', '/api/downloads', login.token, { modelId: RANGES_MODEL })
      expect(started.status).toBe(202)

      await waitUntil(() => recorded().bytes > size / 3, 'a third of the weights recorded')
      // Ranges at once: several requests for the weights, each for its own bytes.
      expect(new Set(weightRequests().map((r) => r.range)).size).toBeGreaterThan(1)
      manager.kill('SIGKILL')
      await manager.exited
      const { record, bytes: kept } = recorded()
      expect(kept).toBeGreaterThan(0)
      expect(kept).toBeLessThan(size)
      rangesHub.clearRequests()

      manager = launch(env, port)
      await waitUntil(async () => (await fetch(`${base}/api/health`)).ok, 'the manager to listen again')
      let final: Download | undefined
      await waitUntil(async () => {
        final = (await api<Download[]>(base, 'GET', '/api/downloads', login.token)).body.find((d) => d.id === started.body.id)
        return final?.status === 'completed' || final?.status === 'failed'
      }, 'the resumed download to finish')
      expect(final?.status).toBe('completed')

      // The restart asked for each unfinished range from where the record said it stopped, and for nothing else.
      const expected = (record?.done ?? [])
        .map((done, index) => ({ from: index * (record?.rangeBytes ?? 0) + done, to: index * (record?.rangeBytes ?? 0) + rangeLength(record ?? { size, rangeBytes: 1 }, index) - 1, done, index }))
        .filter((range) => range.from <= range.to)
        .map((range) => `bytes=${range.from}-${range.to}`)
      expect(weightRequests().map((r) => r.range).sort()).toEqual(expected.sort())
    } finally {
      manager.kill('SIGTERM')
      await manager.exited
      await rangesHub.stop()
    }
    const snapshot = join(cache, 'models--mlx-test--ranges', 'snapshots', rangesHub.repos[0]?.sha ?? '')
    expect(createHash('sha256').update(readFileSync(join(snapshot, 'model.safetensors'))).digest('hex')).toBe(weights?.lfs?.oid ?? '')
    expect(readdirSync(blobs).filter((name) => name.includes('.incomplete'))).toEqual([])
  }, 30_000)
})

describe('the built server', () => {
  test('npm start\'s bundle starts its hashing thread and completes a download', async () => {
    // The same command as `build:server`, into a temp folder: the bundle must still find the worker.
    const scripts = (JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    const out = tempDir('mlx-manager-bundle-')
    const command = (scripts['build:server'] ?? '').replace('--outdir dist/server', `--outdir ${out}`)
    expect(command).toContain(out)
    const build = Bun.spawn(command.split(' ').map((word) => (word === 'bun' ? process.execPath : word)), {
      cwd: join(import.meta.dir, '..', '..'),
      stdout: 'ignore',
      stderr: 'pipe',
    })
    expect(await build.exited, await new Response(build.stderr).text()).toBe(0)

    // Weights big enough to be hashed on the thread, straight from a hub of their own (no throttle).
    const bigHub = startHubFixture({ repos: [testRepo(BIG_MODEL)], sizes: 'content', generatedBytes: 17 * 2 ** 20 })
    const home = tempDir('mlx-manager-built-')
    const cache = join(home, 'hub')
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const manager = launch({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: cache, HF_ENDPOINT: bigHub.url, MLX_MANAGER_WEB_DIST: join(home, 'dist') }, port, join(out, 'cli.js'))
    try {
      await waitUntil(async () => (await fetch(`${base}/api/health`)).ok, 'the built manager to listen')
      await api(base, 'POST', '/api/auth/register', undefined, ADMIN)
      const { body: login } = await api<{ token: string }>(base, 'POST', '/api/auth/login', undefined, ADMIN)
      const started = await api<Download>(base, 'POST', '/api/downloads', login.token, { modelId: BIG_MODEL })
      let final: Download | undefined
      await waitUntil(async () => {
        final = (await api<Download[]>(base, 'GET', '/api/downloads', login.token)).body.find((d) => d.id === started.body.id)
        return final?.status === 'completed' || final?.status === 'failed'
      }, 'the download to finish')
      expect(final?.error ?? null).toBeNull()
      expect(final?.status).toBe('completed')
    } finally {
      manager.kill('SIGTERM')
      await manager.exited
      await bigHub.stop()
    }
    const weights = bigHub.repos[0]?.files.find((f) => f.path === 'model.safetensors')
    expect(weights?.size).toBeGreaterThanOrEqual(DEFAULT_DOWNLOAD_OPTIONS.hashThreadMinBytes)
    const snapshot = join(cache, 'models--mlx-test--big', 'snapshots', bigHub.repos[0]?.sha ?? '')
    expect(createHash('sha256').update(readFileSync(join(snapshot, 'model.safetensors'))).digest('hex')).toBe(weights?.lfs?.oid ?? '')
  }, 30_000)
})
