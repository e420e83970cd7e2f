// Catalog search: a search the manager answers from its cache, against the hub's own time for the
// listing behind it, both measured in this run over real sockets. Run: `bun bench/catalog.ts`.
// The local hub stands in for huggingface.co, once as it is (loopback) and once with 100 ms
// added per request, roughly a trip to the real hub.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { medianOfRuns } from './lib'

const ROOT = join(import.meta.dir, '..')
const BUN = process.execPath
const RUNS = 30
/** The target: a cached search adds under 10 ms over the hub's own time. */
const ADDED_BUDGET_MS = 10

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = server.port ?? 0
  await server.stop(true)
  return port
}

async function startProcess(cmd: string[], readyUrl: string, env: Record<string, string>) {
  const child = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'ignore', stderr: 'inherit' })
  const started = performance.now()
  for (;;) {
    try {
      if ((await fetch(readyUrl)).status < 500) return child
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 15_000) throw new Error(`${cmd.join(' ')} did not answer ${readyUrl} in 15 s`)
    await Bun.sleep(20)
  }
}

async function timed(request: () => Promise<Response>): Promise<number> {
  const start = performance.now()
  const response = await request()
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`status ${response.status}`)
  return performance.now() - start
}


const ms = (n: number) => `${n.toFixed(2)} ms`

async function scenario(latencyMs: number) {
  const hubPort = await freePort()
  const managerPort = await freePort()
  const hubUrl = `http://127.0.0.1:${hubPort}`
  const base = `http://127.0.0.1:${managerPort}`
  const hub = await startProcess([BUN, 'tests/fixtures/hub/cli.ts', '--port', String(hubPort), '--latency', String(latencyMs)], `${hubUrl}/api/models?limit=1`, {})
  const manager = await startProcess([BUN, 'server/cli.ts', '--port', String(managerPort)], `${base}/api/health`, {
    MLX_MANAGER_HOME: mkdtempSync(join(tmpdir(), 'mlx-manager-bench-')),
    HF_ENDPOINT: hubUrl,
  })
  try {
    const credentials = { email: 'bench@example.com', password: 'bench-password' }
    const json = { 'content-type': 'application/json' }
    await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(credentials) })
    const { token } = (await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(credentials) })).json()) as { token: string }
    const headers = { authorization: `Bearer ${token}` }

    // The exact listing the manager asks the hub for on a search for "qwen".
    const listing = `${hubUrl}/api/models?limit=20&search=qwen&sort=downloads&filter=mlx&expand=pipeline_tag&expand=private&expand=gated&expand=downloads&expand=likes&expand=lastModified&expand=tags&expand=config&expand=sha&expand=safetensors&expand=library_name&expand=author`
    await timed(() => fetch(listing))
    const hubMs = await medianOfRuns(RUNS, () => timed(() => fetch(listing)))

    // First search: the manager reads the listing and every result's config.json and file list.
    const cold = await timed(() => fetch(`${base}/api/catalog/search?q=qwen`, { headers }))
    const cachedMs = await medianOfRuns(RUNS, () => timed(() => fetch(`${base}/api/catalog/search?q=qwen`, { headers })))

    const added = cachedMs - hubMs
    const ok = added < ADDED_BUDGET_MS
    console.log(`hub latency +${latencyMs} ms`)
    console.log(`  hub's own time for the listing (median of ${RUNS})  ${ms(hubMs)}`)
    console.log(`  manager search, first (reads every result's files)   ${ms(cold)}`)
    console.log(`  manager search, from its cache (median of ${RUNS})  ${ms(cachedMs)}`)
    console.log(`  ${ok ? 'ok  ' : 'MISS'}  cached / hub = ${(cachedMs / hubMs).toFixed(2)}×, added over the hub's time ${ms(added)} (target < ${ADDED_BUDGET_MS} ms)`)
    return ok
  } finally {
    manager.kill()
    hub.kill()
    await Promise.all([manager.exited, hub.exited])
  }
}

console.log('Catalog search from the server cache vs the hub (both measured in this run)')
const results = [await scenario(0), await scenario(100)]
if (results.includes(false)) process.exitCode = 1
