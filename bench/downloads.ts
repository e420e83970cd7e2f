// Download figures against a local hub serving a 1 GiB weights file (generated in memory, never committed):
// throughput against curl fetching the same file in the same run, manager RSS growth while downloading,
// and what a restart after a SIGKILL at 50% fetches again that the manager already had on disk.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Download } from '../shared/downloads'
import { startHubFixture } from '../tests/fixtures/hub'
import type { RepoSpec } from '../tests/fixtures/hub/types'
import { fmt, freePort, ROOT, row, rssBytes, tempHome } from './lib'

const SIZE = Number(process.env.BENCH_DOWNLOAD_BYTES ?? 2 ** 30)
const MODEL = 'bench-org/one-gib'
const ADMIN = { email: 'bench@example.com', password: 'benchmark password' }

const spec: RepoSpec = {
  id: MODEL,
  downloads: 1,
  likes: 0,
  trendingScore: 0,
  createdAt: '2025-01-01T00:00:00.000Z',
  lastModified: '2025-01-01T00:00:00.000Z',
  pipelineTag: 'text-generation',
  libraryName: 'mlx',
  tags: ['mlx'],
  cardData: {},
  readme: 'Benchmark weights.\n',
  config: { architectures: ['LlamaForCausalLM'], model_type: 'llama' },
  files: [{ path: 'model.safetensors', size: SIZE }],
}

console.log(`Download benchmarks (${fmt.mb(SIZE)} file; baseline: curl fetching the same file from the same local hub in this run)`)
const generating = performance.now()
const hub = startHubFixture({ repos: [spec], sizes: 'content', generatedBytes: SIZE })
const repo = hub.repos[0]
const weights = repo?.files.find((f) => f.path === 'model.safetensors')
if (repo === undefined || weights?.lfs == null) throw new Error('the bench repo has no LFS weights')
console.log(`      local hub ready in ${fmt.ms(performance.now() - generating)} at ${hub.url}`)
const work = tempHome()
// Throughput is measured on tmpfs when there is one, so both clients are timed, not the disk's writeback.
const fast = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/mlx-manager-bench-') : work

// The weights go to a file in a temp dir and are served from there (sendfile, with Range), as a
// real CDN serves them; everything else (model info, tree) comes from the hub fixture behind.
const weightsPath = join(work, 'model.safetensors')
await Bun.write(weightsPath, weights.content)
const served: { path: string; range: string | null }[] = []
const front = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const url = new URL(request.url)
    if (!url.pathname.endsWith('/resolve/main/model.safetensors') && !url.pathname.endsWith(`/resolve/${repo.sha}/model.safetensors`)) {
      const upstream = await fetch(`${hub.url}${url.pathname}${url.search}`, { headers: request.headers })
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers })
    }
    const range = request.headers.get('range')
    served.push({ path: url.pathname, range })
    const headers: Record<string, string> = {
      etag: `"${weights.lfs?.oid ?? ''}"`,
      'x-linked-etag': `"${weights.lfs?.oid ?? ''}"`,
      'x-repo-commit': repo.sha,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    }
    const start = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0)
    if (start === 0) return new Response(Bun.file(weightsPath), { headers })
    headers['content-range'] = `bytes ${start}-${SIZE - 1}/${SIZE}`
    return new Response(Bun.file(weightsPath).slice(start), { status: 206, headers })
  },
})
const hubUrl = `http://127.0.0.1:${front.port}`
const fileUrl = `${hubUrl}/${MODEL}/resolve/${repo.sha}/model.safetensors`

async function curlSeconds(): Promise<number> {
  const out = join(fast, 'curl.bin')
  const hubCpuBefore = process.cpuUsage()
  const started = performance.now()
  const child = Bun.spawn(['curl', '-sS', '--fail', '-o', out, fileUrl], { stdout: 'ignore', stderr: 'inherit' })
  if ((await child.exited) !== 0) throw new Error('curl failed')
  const seconds = (performance.now() - started) / 1000
  if (process.env.BENCH_TRACE === '1') {
    const hubCpu = process.cpuUsage(hubCpuBefore)
    console.log(`      curl: hub cpu ${((hubCpu.user + hubCpu.system) / 1e6).toFixed(2)} s, wall ${seconds.toFixed(2)} s`)
  }
  if (statSync(out).size !== SIZE) throw new Error('curl fetched the wrong size')
  rmSync(out)
  return seconds
}

async function api<T>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return (await response.json()) as T
}

async function startManager(home: string, cache: string, port: number) {
  const child = Bun.spawn([process.execPath, 'server/cli.ts', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, MLX_MANAGER_HOME: home, HF_HUB_CACHE: cache, HF_ENDPOINT: hubUrl },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the manager did not start')
    await Bun.sleep(20)
  }
  return { child, base }
}

async function signIn(base: string): Promise<string> {
  await api(base, 'POST', '/api/auth/register', undefined, ADMIN)
  return (await api<{ token: string }>(base, 'POST', '/api/auth/login', undefined, ADMIN)).token
}

async function waitForDownload(base: string, token: string, id: number, onTick: () => void = () => undefined): Promise<Download> {
  for (;;) {
    onTick()
    const download = (await api<Download[]>(base, 'GET', '/api/downloads', token)).find((d) => d.id === id)
    if (download?.status === 'completed') return download
    if (download?.status === 'failed') throw new Error(`download failed: ${download.error?.message ?? ''}`)
    // A page follows downloads over /api/events; polling stands in for it without loading the manager.
    await Bun.sleep(100)
  }
}

async function managerSeconds(round: number) {
  const home = join(work, `speed-${round}`)
  const cache = join(fast, `hub-${round}`)
  const manager = await startManager(home, cache, await freePort())
  const token = await signIn(manager.base)
  await Bun.sleep(300)
  const cpu = () => {
    const fields = readFileSync(`/proc/${manager.child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100
  }
  const cpuBefore = cpu()
  const hubCpuBefore = process.cpuUsage()
  const rssBefore = rssBytes(manager.child.pid)
  let rssPeak = rssBefore
  const started = performance.now()
  const { id } = await api<Download>(manager.base, 'POST', '/api/downloads', token, { modelId: MODEL })
  const trace: number[] = []
  const done = await waitForDownload(manager.base, token, id, () => {
    const rss = rssBytes(manager.child.pid)
    trace.push(rss)
    rssPeak = Math.max(rssPeak, rss)
  })
  // The manager's own timestamps: from the request to the last file renamed into place.
  const seconds = (Date.parse(done.completedAt ?? '') - Date.parse(done.createdAt)) / 1000 || (performance.now() - started) / 1000
  if (process.env.BENCH_TRACE === '1') {
    const hubCpu = process.cpuUsage(hubCpuBefore)
    console.log(`      manager cpu ${(cpu() - cpuBefore).toFixed(2)} s, hub cpu ${((hubCpu.user + hubCpu.system) / 1e6).toFixed(2)} s, wall ${seconds.toFixed(2)} s`)
  }
  manager.child.kill('SIGTERM')
  await manager.child.exited
  rmSync(home, { recursive: true, force: true })
  rmSync(cache, { recursive: true, force: true })
  return { seconds, bytes: done.bytesTotal, growth: rssPeak - rssBefore }
}

async function throughputAndMemory() {
  // Interleaved, best of five each (BENCH_ROUNDS), so a noisy moment on either side does not decide the ratio.
  const curl: number[] = []
  const runs: Awaited<ReturnType<typeof managerSeconds>>[] = []
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 5); round++) {
    curl.push(await curlSeconds())
    runs.push(await managerSeconds(round))
  }
  const curlRate = SIZE / Math.min(...curl)
  const managerRate = Math.max(...runs.map((run) => run.bytes / run.seconds))
  const perSecond = (rate: number) => `${fmt.mb(rate)}/s`
  row('download throughput vs curl', perSecond(managerRate), perSecond(curlRate), fmt.ratio(managerRate / curlRate), '>= 0.90×', managerRate / curlRate >= 0.9)
  const growth = Math.max(...runs.map((run) => run.growth))
  row('manager RSS growth while downloading', fmt.mb(growth), fmt.mb(64 * 2 ** 20), fmt.ratio(growth / (64 * 2 ** 20)), '< 64 MB', growth < 64 * 2 ** 20)
}

async function killAtHalf() {
  const home = join(work, 'kill')
  const cache = join(home, 'hub')
  const partial = join(cache, `models--${MODEL.replace('/', '--')}`, 'blobs', `${weights?.lfs?.oid ?? ''}.incomplete`)
  const port = await freePort()
  let manager = await startManager(home, cache, port)
  const token = await signIn(manager.base)
  const { id } = await api<Download>(manager.base, 'POST', '/api/downloads', token, { modelId: MODEL })
  while (!existsSync(partial) || statSync(partial).size < SIZE / 2) await Bun.sleep(2)
  manager.child.kill('SIGKILL')
  await manager.child.exited
  const kept = statSync(partial).size
  served.length = 0

  manager = await startManager(home, cache, port)
  await waitForDownload(manager.base, token, id)
  manager.child.kill('SIGTERM')
  await manager.child.exited
  const resumedAt = served.map((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1] ?? 0))[0] ?? 0
  const refetched = Math.max(0, kept - resumedAt)
  rmSync(home, { recursive: true, force: true })
  console.log(`      killed with ${fmt.mb(kept)} on disk (${((kept / SIZE) * 100).toFixed(0)}%); the restart asked for bytes ${resumedAt}-`)
  row('re-fetched after SIGKILL at 50%', fmt.kb(refetched), fmt.kb(2 ** 20), fmt.ratio(refetched / 2 ** 20), '< 1 MB', refetched < 2 ** 20)
}

try {
  await throughputAndMemory()
  await killAtHalf()
} finally {
  rmSync(work, { recursive: true, force: true })
  rmSync(fast, { recursive: true, force: true })
  await front.stop(true)
  await hub.stop()
}
