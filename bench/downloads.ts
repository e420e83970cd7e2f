// Download figures against a local hub serving a 1 GiB weights file (generated in memory, never committed):
// throughput against curl fetching the same file in the same run, uncapped on loopback and with the hub
// capping each connection as a CDN does (the manager fetches large files over 8 connections), manager RSS
// growth while downloading, and what a restart after a SIGKILL at 50% fetches again.
// BENCH_DOWNLOAD_BYTES (default 1 GiB), BENCH_ROUNDS (uncapped rounds, default 3),
// BENCH_CONNECTION_RATE (the cap, default 8 MiB/s), BENCH_CAPPED_CURL_BYTES (how much of the file the
// capped curl fetches to measure its rate, default 64 MiB: at the cap its rate is flat, and the whole
// gigabyte would take curl 2 minutes), BENCH_HF=path/to/hf to compare `hf download` too,
// BENCH_ONLY=uncapped|capped|kill for one part, BENCH_MANAGER_FLAGS passes flags (e.g. --cpu-prof-md) to the manager.
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { bytesDone, parseRecord } from '../server/features/downloads/ranges'
import type { Download } from '../shared/downloads'
import { startHubFixture } from '../tests/fixtures/hub'
import type { RepoSpec } from '../tests/fixtures/hub/types'
import { fmt, freePort, ROOT, row, rssBytes, tempHome } from './lib'

const SIZE = Number(process.env.BENCH_DOWNLOAD_BYTES ?? 2 ** 30)
const CAP = Number(process.env.BENCH_CONNECTION_RATE ?? 8 * 2 ** 20)
const CAPPED_CURL_BYTES = Math.min(SIZE, Number(process.env.BENCH_CAPPED_CURL_BYTES ?? 64 * 2 ** 20))
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
    const headers: Record<string, string> = {
      etag: `"${weights.lfs?.oid ?? ''}"`,
      'x-linked-etag': `"${weights.lfs?.oid ?? ''}"`,
      'x-repo-commit': repo.sha,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    }
    const match = /^bytes=(\d+)-(\d*)$/.exec(range ?? '')
    if (match === null) return new Response(Bun.file(weightsPath), { headers })
    const start = Number(match[1])
    const end = match[2] === '' || match[2] === undefined ? SIZE - 1 : Math.min(SIZE - 1, Number(match[2]))
    headers['content-range'] = `bytes ${start}-${end}/${SIZE}`
    return new Response(Bun.file(weightsPath).slice(start, end + 1), { status: 206, headers })
  },
})
const hubUrl = `http://127.0.0.1:${front.port}`
const fileUrl = (base: string) => `${base}/${MODEL}/resolve/${repo.sha}/model.safetensors`

/** CPU seconds each full-file curl run used. */
const curlCpuSeconds: number[] = []

/** Seconds curl takes for the first `bytes` of the file (all of it by default) over one connection. */
async function curlSeconds(base = hubUrl, bytes = SIZE): Promise<number> {
  const out = join(fast, 'curl.bin')
  const hubCpuBefore = process.cpuUsage()
  const started = performance.now()
  const range = bytes < SIZE ? ['-r', `0-${bytes - 1}`] : []
  const child = Bun.spawn(['curl', '-sS', '--fail', ...range, '-o', out, fileUrl(base)], { stdout: 'ignore', stderr: 'inherit' })
  if ((await child.exited) !== 0) throw new Error('curl failed')
  const seconds = (performance.now() - started) / 1000
  const usage = child.resourceUsage()
  if (usage !== undefined) curlCpuSeconds.push(Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6)
  if (process.env.BENCH_TRACE === '1') {
    const hubCpu = process.cpuUsage(hubCpuBefore)
    console.log(`      curl: hub cpu ${((hubCpu.user + hubCpu.system) / 1e6).toFixed(2)} s, wall ${seconds.toFixed(2)} s`)
  }
  if (statSync(out).size !== bytes) throw new Error('curl fetched the wrong size')
  rmSync(out)
  return seconds
}

/** Seconds `hf download` (huggingface_hub's command line) takes for the file, or null without one. */
async function hfSeconds(base: string): Promise<number | null> {
  const hf = process.env.BENCH_HF
  if (hf === undefined || hf === '') return null
  const cache = join(fast, 'hf-cache')
  const started = performance.now()
  const child = Bun.spawn([hf, 'download', MODEL, 'model.safetensors', '--cache-dir', cache], {
    env: { ...process.env, HF_ENDPOINT: base, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1' },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  if ((await child.exited) !== 0) throw new Error('hf download failed')
  const seconds = (performance.now() - started) / 1000
  rmSync(cache, { recursive: true, force: true })
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

async function startManager(home: string, cache: string, port: number, endpoint = hubUrl) {
  const flags = (process.env.BENCH_MANAGER_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
  const child = Bun.spawn([process.execPath, ...flags, 'server/cli.ts', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, MLX_MANAGER_HOME: home, HF_HUB_CACHE: cache, HF_ENDPOINT: endpoint },
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

async function managerSeconds(round: number | string, endpoint = hubUrl) {
  const home = join(work, `speed-${round}`)
  const cache = join(fast, `hub-${round}`)
  const manager = await startManager(home, cache, await freePort(), endpoint)
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
  const managerCpu = cpu() - cpuBefore
  if (process.env.BENCH_TRACE === '1') {
    const hubCpu = process.cpuUsage(hubCpuBefore)
    console.log(`      manager cpu ${(cpu() - cpuBefore).toFixed(2)} s, hub cpu ${((hubCpu.user + hubCpu.system) / 1e6).toFixed(2)} s, wall ${seconds.toFixed(2)} s`)
    console.log(`      manager RSS growth each second: ${trace.filter((_, i) => i % 10 === 0).map((rss) => fmt.mb(rss - rssBefore)).join(', ')}`)
  }
  manager.child.kill('SIGTERM')
  await manager.child.exited
  rmSync(home, { recursive: true, force: true })
  rmSync(cache, { recursive: true, force: true })
  return { seconds, bytes: done.bytesTotal, growth: rssPeak - rssBefore, cpuSeconds: managerCpu }
}

const perSecond = (rate: number) => `${fmt.mb(rate)}/s`

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function throughputAndMemory() {
  // Interleaved, best of three each (BENCH_ROUNDS), so a noisy moment on either side does not decide the ratio.
  const curl: number[] = []
  const runs: Awaited<ReturnType<typeof managerSeconds>>[] = []
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 3); round++) {
    curl.push(await curlSeconds())
    runs.push(await managerSeconds(round))
  }
  const curlRate = SIZE / Math.min(...curl)
  const managerRate = Math.max(...runs.map((run) => run.bytes / run.seconds))
  row('download throughput vs curl, uncapped', perSecond(managerRate), perSecond(curlRate), fmt.ratio(managerRate / curlRate), '>= 0.95×', managerRate / curlRate >= 0.95)
  // Where the difference under load comes from: CPU per GiB of each client, and of the SHA-256 check
  // alone (the manager verifies every LFS blob; curl verifies nothing), hashing the file here.
  const perGiB = (cpuSeconds: number) => `${((cpuSeconds * 2 ** 30) / SIZE).toFixed(2)} s`
  const hashStarted = process.cpuUsage()
  await fileSha256(weightsPath)
  const hashCpu = process.cpuUsage(hashStarted)
  console.log(
    `      CPU per GiB: curl ${perGiB(Math.min(...curlCpuSeconds))}, the manager ${perGiB(Math.min(...runs.map((run) => run.cpuSeconds)))}, of which the SHA-256 check alone ${perGiB((hashCpu.user + hashCpu.system) / 1e6)}; with no core to spare the ratio falls by about that share`,
  )
  const growth = Math.max(...runs.map((run) => run.growth))
  row('manager RSS growth while downloading', fmt.mb(growth), fmt.mb(64 * 2 ** 20), fmt.ratio(growth / (64 * 2 ** 20)), '< 64 MB', growth < 64 * 2 ** 20)
}

/** The hub caps each connection (as the real CDN does): one curl stream against the manager's ranges. */
async function cappedThroughput() {
  hub.setConnectionRate(CAP)
  try {
    const curlRate = CAPPED_CURL_BYTES / (await curlSeconds(hub.url, CAPPED_CURL_BYTES))
    const run = await managerSeconds('capped', hub.url)
    const managerRate = run.bytes / run.seconds
    const cap = `each connection capped at ${fmt.mb(CAP)}/s`
    row(`download vs curl, ${cap}`, perSecond(managerRate), perSecond(curlRate), fmt.ratio(managerRate / curlRate), '>= 3×', managerRate / curlRate >= 3)
    row('manager RSS growth during that download', fmt.mb(run.growth), fmt.mb(64 * 2 ** 20), fmt.ratio(run.growth / (64 * 2 ** 20)), '< 64 MB', run.growth < 64 * 2 ** 20)
    const hf = await hfSeconds(hub.url)
    if (hf !== null) {
      const hfRate = SIZE / hf
      row(`download vs hf download, ${cap}`, perSecond(managerRate), perSecond(hfRate), fmt.ratio(managerRate / hfRate), '>= 1×', managerRate >= hfRate)
    } else {
      console.log('      hf download: not compared (set BENCH_HF to the path of huggingface_hub\'s hf command)')
    }
  } finally {
    hub.setConnectionRate(null)
  }
}

/**
 * SIGKILL once half the file is written (on the capped hub, so "half" is a moment and not a race),
 * then a restart: what it asks for beyond what was on disk at the kill is what the kill cost.
 */
async function killAtHalf() {
  const home = join(work, 'kill')
  const cache = join(home, 'hub')
  const recordPath = join(cache, `models--${MODEL.replace('/', '--')}`, 'blobs', `${weights?.lfs?.oid ?? ''}.incomplete.ranges`)
  hub.setConnectionRate(CAP)
  const port = await freePort()
  let manager = await startManager(home, cache, port, hub.url)
  try {
    const token = await signIn(manager.base)
    const { id } = await api<Download>(manager.base, 'POST', '/api/downloads', token, { modelId: MODEL })
    let written = 0
    while (written < SIZE / 2) {
      written = (await api<Download[]>(manager.base, 'GET', '/api/downloads', token)).find((d) => d.id === id)?.bytesDone ?? 0
      await Bun.sleep(10)
    }
    manager.child.kill('SIGKILL')
    await manager.child.exited
    const record = existsSync(recordPath) ? parseRecord(readFileSync(recordPath, 'utf8'), SIZE) : null
    const recorded = record === null ? 0 : bytesDone(record)
    hub.clearRequests()

    manager = await startManager(home, cache, port, hub.url)
    await waitForDownload(manager.base, token, id)
    const asked = hub.requests
      .filter((r) => r.path.endsWith('/model.safetensors') && r.method === 'GET')
      .reduce((sum, r) => {
        const match = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? '')
        if (match === null) return sum + SIZE
        return sum + (match[2] === '' ? SIZE - 1 : Number(match[2])) - Number(match[1]) + 1
      }, 0)
    const refetched = Math.max(0, asked - (SIZE - written))
    console.log(`      killed with ${fmt.mb(written)} written (${((written / SIZE) * 100).toFixed(0)}%), ${fmt.mb(recorded)} recorded; the restart asked for ${fmt.mb(asked)}`)
    // The record is written every 250 ms: at most that much transfer (8 connections at the cap) comes again.
    const bound = 0.25 * 8 * CAP + 2 ** 20
    row('re-fetched after SIGKILL at 50% (8 capped connections)', fmt.mb(refetched), fmt.mb(bound), fmt.ratio(refetched / bound), '≤ 0.25 s of transfer', refetched <= bound)
  } finally {
    manager.child.kill('SIGTERM')
    await manager.child.exited
    hub.setConnectionRate(null)
    rmSync(home, { recursive: true, force: true })
  }
}

try {
  const only = process.env.BENCH_ONLY
  if (only === undefined || only === 'uncapped') await throughputAndMemory()
  if (only === undefined || only === 'capped') await cappedThroughput()
  if (only === undefined || only === 'kill') await killAtHalf()
} finally {
  rmSync(work, { recursive: true, force: true })
  rmSync(fast, { recursive: true, force: true })
  await front.stop(true)
  await hub.stop()
}
