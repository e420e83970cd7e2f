// Foundation figures: cold start, idle RSS, /api/auth/me under load, initial JS size.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { fmt, freePort, medianOfRuns, openLoop, ROOT, row, rssBytes, tempHome, timeToFirst200 } from './lib'

const BUN = process.execPath
const RATE = 500
const SECONDS = 5

/** What `npm start` runs: the bundled server with its bytecode cache, or the source when not built. */
const MANAGER_ENTRY = existsSync(join(ROOT, 'dist', 'server', 'cli.js')) ? 'dist/server/cli.js' : 'server/cli.ts'

async function startManager() {
  const port = await freePort()
  const started = await timeToFirst200([BUN, MANAGER_ENTRY, '--port', String(port)], `http://127.0.0.1:${port}/api/health`, {
    MLX_MANAGER_HOME: tempHome(),
  })
  return { ...started, base: `http://127.0.0.1:${port}` }
}

async function startBaseline() {
  const port = await freePort()
  const started = await timeToFirst200([BUN, 'bench/baseline-server.ts'], `http://127.0.0.1:${port}/`, { PORT: String(port) })
  return { ...started, base: `http://127.0.0.1:${port}` }
}


async function coldStart() {
  const manager = await medianOfRuns(5, async () => {
    const { ms, child } = await startManager()
    child.kill()
    await child.exited
    return ms
  })
  const baseline = await medianOfRuns(5, async () => {
    const { ms, child } = await startBaseline()
    child.kill()
    await child.exited
    return ms
  })
  row('cold start to /api/health 200', fmt.ms(manager), fmt.ms(baseline), fmt.ratio(manager / baseline), '< 300 ms', manager < 300)
}

async function idleRssAndAuthLoad() {
  const manager = await startManager()
  const baseline = await startBaseline()
  await Bun.sleep(1000)
  const managerRss = rssBytes(manager.child.pid)
  const baselineRss = rssBytes(baseline.child.pid)
  row('idle RSS', fmt.mb(managerRss), fmt.mb(baselineRss), fmt.ratio(managerRss / baselineRss), '< 80 MB', managerRss < 80 * 2 ** 20)

  const credentials = { email: 'bench@example.com', password: 'bench-password' }
  await fetch(`${manager.base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })
  const login = (await (await fetch(`${manager.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })).json()) as { token: string }
  const headers = { authorization: `Bearer ${login.token}` }
  // Warm both up so the first JIT compiles are not in the tail.
  await openLoop(() => fetch(`${manager.base}/api/auth/me`, { headers }), 200, 1)
  await openLoop(() => fetch(`${baseline.base}/`), 200, 1)
  const me = await openLoop(() => fetch(`${manager.base}/api/auth/me`, { headers }), RATE, SECONDS)
  const base = await openLoop(() => fetch(`${baseline.base}/`), RATE, SECONDS)
  row(`/api/auth/me p99 at ${RATE} req/s`, fmt.ms(me.p99), fmt.ms(base.p99), fmt.ratio(me.p99 / base.p99), '< 5 ms', me.p99 < 5 && me.failures === 0)
  row(`/api/auth/me throughput`, `${me.achievedRps.toFixed(0)}/s`, `${base.achievedRps.toFixed(0)}/s`, fmt.ratio(me.achievedRps / base.achievedRps), `${RATE}/s, 0 errors (${me.failures})`, me.failures === 0 && me.achievedRps > RATE * 0.95)
  manager.child.kill()
  baseline.child.kill()
  await Promise.all([manager.child.exited, baseline.child.exited])
}

function initialJs() {
  const dist = join(ROOT, 'web', 'dist')
  const indexPath = join(dist, 'index.html')
  if (!existsSync(indexPath)) {
    console.log('skip  initial JS size: web/dist is missing, run `bun run build` first')
    return
  }
  const html = readFileSync(indexPath, 'utf8')
  // What the browser fetches before first paint: entry scripts and their modulepreloads.
  const files = [...html.matchAll(/(?:src|href)="([^"]+\.js)"/g)].map((m) => m[1] ?? '')
  const gzipped = files.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file))).length, 0)
  const budget = 200 * 1024
  row('initial JS (gzipped)', fmt.kb(gzipped), fmt.kb(budget), fmt.ratio(gzipped / budget), '<= 200 KB', gzipped <= budget)
}

console.log(`Foundation benchmarks for ${MANAGER_ENTRY} (baseline: a bare Bun.serve answering JSON, measured in this run)`)
await coldStart()
await idleRssAndAuthLoad()
initialJs()
