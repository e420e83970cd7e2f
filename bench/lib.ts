import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, type AppDeps } from '../server/app'
import { loadConfig } from '../server/config'
import { openDatabase } from '../server/db/database'
import { CONSTRAINTS } from '../server/features/engines/constraints'
import { INSTALL_MARKER, MANAGED, fileSha256 } from '../server/features/engines/installer'

export const ROOT = join(import.meta.dir, '..')

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'mlx-manager-bench-'))
}

export async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = server.port ?? 0
  await server.stop(true)
  return port
}

/** Milliseconds from spawning `cmd` to the first 200 from `url`, polling every millisecond. */
export async function timeToFirst200(cmd: string[], url: string, env: Record<string, string>) {
  const started = performance.now()
  const child = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: 'ignore', stderr: 'inherit', cwd: ROOT })
  for (;;) {
    try {
      const response = await fetch(url)
      if (response.status === 200) return { ms: performance.now() - started, child }
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 15_000) throw new Error(`${cmd.join(' ')} did not answer ${url} in 15 s`)
    await Bun.sleep(1)
  }
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]
  if (kb === undefined) throw new Error(`No VmRSS for ${pid}`)
  return Number(kb) * 1024
}

/** The middle value (the upper of the two middle ones for an even count); NaN for none. */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

/** The median of `runs` measurements taken one after another. */
export async function medianOfRuns(runs: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = []
  for (let i = 0; i < runs; i++) values.push(await measure())
  return median(values)
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

/**
 * Open-loop load: fires `rate` requests per second for `seconds`, whatever the server's latency,
 * so a slow server shows up in the tail instead of lowering the offered rate.
 */
export async function openLoop(makeRequest: () => Promise<Response>, rate: number, seconds: number) {
  const latencies: number[] = []
  let failures = 0
  const pending: Promise<void>[] = []
  const start = performance.now()
  const total = rate * seconds
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await Bun.sleep(wait)
    const sent = performance.now()
    pending.push(
      makeRequest().then(
        async (response) => {
          await response.arrayBuffer()
          if (response.status !== 200) failures++
          latencies.push(performance.now() - sent)
        },
        () => {
          failures++
        },
      ),
    )
  }
  await Promise.all(pending)
  const elapsed = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  return { achievedRps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures }
}

export const fmt = {
  ms: (n: number) => `${n.toFixed(1)} ms`,
  mb: (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`,
  kb: (n: number) => `${(n / 1024).toFixed(1)} KB`,
  ratio: (n: number) => `${n.toFixed(2)}×`,
}

export function row(name: string, value: string, baseline: string, ratio: string, target: string, ok: boolean) {
  console.log(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(34)} ${value.padStart(12)}  baseline ${baseline.padStart(12)}  ratio ${ratio.padStart(7)}  target ${target}`)
}

/** CPU time (user + system, ms) a process has used so far, from /proc; NaN where there is none. */
export function cpuMs(pid: number): number {
  const path = `/proc/${pid}/stat`
  if (!existsSync(path)) return Number.NaN
  const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? []
  // utime and stime, in clock ticks of 10 ms on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * The manager as the benchmarks run it: a fresh home (or `home`), an in-memory database and a hasher
 * that costs nothing (the figures are about the work under test, not sign-in), everything else given.
 */
export function benchApp(deps: Partial<AppDeps> & Pick<AppDeps, 'serving'>, home = tempHome()) {
  return createApp({
    config: loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), PORT: '1' }),
    db: openDatabase(':memory:'),
    secret: 'bench-secret-that-is-long-enough-for-hs256',
    hasher: { hash: (password) => Promise.resolve(`bench:${password}`), verify: (password, hash) => Promise.resolve(hash === `bench:${password}`) },
    logger: { error: () => undefined },
    ...deps,
  })
}

/**
 * Milliseconds from `started` until the engine on `port` answers a one-token completion (the
 * manager's own readiness request), asked every millisecond.
 */
export async function msUntilFirstCompletion(port: number, started: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Hi', max_tokens: 1, stream: false }),
      })
      await response.arrayBuffer()
      if (response.ok) return performance.now() - started
    } catch {
      // not listening yet
    }
    if (performance.now() - started > timeoutMs) throw new Error(`nothing answered on port ${port} in ${timeoutMs / 1000} s`)
    await Bun.sleep(1)
  }
}

/**
 * A bench manager listening on loopback with its first account signed in and an API key made:
 * what the gateway and peer benches start from.
 */
export async function listenSignedIn(app: ReturnType<typeof benchApp>) {
  const server = Bun.serve({ hostname: '127.0.0.1', port: await freePort(), idleTimeout: 0, fetch: (request) => app.app.handle(request) })
  const base = `http://127.0.0.1:${server.port}`
  const credentials = { email: 'bench@example.com', password: 'bench-password-long' }
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })
  await post('/api/auth/register', credentials)
  const { token } = (await (await post('/api/auth/login', credentials)).json()) as { token: string }
  const { key } = (await (await post('/api/keys', { name: 'bench' }, token)).json()) as { key: string }
  return { server, base, token, key, post }
}

/** The environment a process was started with (Linux), so a run by hand gets exactly the manager's. */
export function environOf(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, 'utf8')
  return Object.fromEntries(text.split('\0').filter((item) => item.includes('=')).map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]))
}

/** The real-engine tier's cached mlx_lm.server environment (`bun test tests/real` makes it), or null. */
export function cachedEngineEnvironment(): string | null {
  const spec = MANAGED['mlx_lm.server']
  if (spec === undefined) return null
  const root = process.env.MLX_MANAGER_TEST_CACHE ?? join(homedir(), '.cache', 'mlx-manager-tests')
  const dir = join(root, 'engines', fileSha256(CONSTRAINTS[spec.constraints] ?? '').slice(0, 16))
  return existsSync(join(dir, INSTALL_MARKER)) ? dir : null
}
