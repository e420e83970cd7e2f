// The real mlx_lm.server and the tiny test model (tests/fixtures/engine/tiny-model), in one run:
// - start to ready through the manager against the same command started by hand and polled
//   directly with the same one-token completion every millisecond;
// - tokens/s a client reads from POST /api/chat against the same request sent to the engine.
// Needs the real-engine tier's cached environment (`bun test tests/real` makes it); skips otherwise.
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { sseData } from '../server/features/chat/upstream'
import type { ServerStatus } from '../shared/servers'
import { FAST_TIMING } from '../tests/fixtures/engine/harness'
import { buildTinyModel, removeDir } from '../tests/real/setup'
import { benchApp, fmt, freePort, row, tempHome, msUntilFirstCompletion, median, environOf, cachedEngineEnvironment } from './lib'

const STARTS = Number(process.env.BENCH_STARTS ?? 9)
const CHATS = Number(process.env.BENCH_CHATS ?? 15)
const MAX_TOKENS = 256
const MESSAGES = [{ role: 'user', content: 'Tell me a story about a fox.' }]


const venv = cachedEngineEnvironment()
if (venv === null) {
  console.log('skip  real engine: no cached mlx_lm.server environment (run `bun test tests/real` once with Python 3.10+ to make it)')
  process.exit(0)
}

const modelDir = await buildTinyModel(venv)
const home = tempHome()
mkdirSync(join(home, 'engines'), { recursive: true })
symlinkSync(venv, join(home, 'engines', 'mlx_lm.server'))
const app = benchApp({
  // Sampling as in production (every 2 s), readiness as in production.
  serving: { env: { ...process.env, PATH: '/usr/bin:/bin' }, timing: { ...FAST_TIMING, readyTimeoutMs: 120_000, stopGraceMs: 5_000, statsIntervalMs: 2_000 } },
}, home)
const profile = await app.serving.profiles.create({ name: 'tiny', model: modelDir, engine: 'mlx_lm.server', port: await freePort() })

/** From the start call to the spawn (engine lookup, port check), per manager start. */
const spawnDelays: number[] = []

/** From asking the supervisor to start until it publishes `ready`. */
async function throughManager(): Promise<{ ms: number; command: string[]; env: Record<string, string> }> {
  let resolveReady: (status: ServerStatus) => void = () => undefined
  const ready = new Promise<ServerStatus>((resolve) => (resolveReady = resolve))
  let spawnedAt = Number.NaN
  const unsubscribe = app.bus.subscribe(({ event }) => {
    if (event.type !== 'servers.state' || event.data.profileId !== profile.id) return
    if (event.data.state === 'starting') spawnedAt = performance.now()
    if (event.data.state === 'ready' || event.data.state === 'failed') resolveReady(event.data)
  })
  const started = performance.now()
  await app.serving.supervisor.start(profile.id)
  const status = await ready
  const ms = performance.now() - started
  spawnDelays.push(spawnedAt - started)
  unsubscribe()
  if (status.state !== 'ready') throw new Error(`the manager's start failed: ${status.failure?.message}`)
  const env = environOf(status.pid ?? 0)
  await app.serving.supervisor.stop(profile.id)
  return { ms, command: status.command ?? [], env }
}

/** The same command spawned by hand, polled with the manager's own readiness request every millisecond. */
async function byHand(command: string[], env: Record<string, string>): Promise<number> {
  const port = Number(command[command.indexOf('--port') + 1])
  const started = performance.now()
  const child = Bun.spawn(command, { env, stdout: 'ignore', stderr: 'ignore', cwd: home })
  try {
    return await msUntilFirstCompletion(port, started)
  } finally {
    child.kill('SIGTERM')
    await child.exited
  }
}

async function startToReady(): Promise<ServerStatus> {
  const warm = await throughManager() // the first start pays for engine discovery and cold disk caches
  const byHandRun = () => byHand(warm.command, warm.env)
  await byHandRun()
  const manager: number[] = []
  const direct: number[] = []
  // Taking turns, and alternating who goes first, so both see the same machine load; the overhead
  // is the median of each pair's difference.
  for (let i = 0; i < STARTS; i++) {
    if (i % 2 === 0) {
      manager.push((await throughManager()).ms)
      direct.push(await byHandRun())
    } else {
      direct.push(await byHandRun())
      manager.push((await throughManager()).ms)
    }
  }
  const overhead = median(manager.map((ms, i) => ms - (direct[i] ?? Number.NaN)))
  const m = median(manager)
  const d = median(direct)
  row('start→ready, real mlx_lm.server', fmt.ms(m), fmt.ms(d), fmt.ratio(m / d), 'overhead < 100 ms', overhead < 100)
  console.log(`      manager ${manager.map((ms) => ms.toFixed(0)).join(', ')} ms; by hand ${direct.map((ms) => ms.toFixed(0)).join(', ')} ms; median paired overhead ${overhead.toFixed(1)} ms, of which before the spawn ${median(spawnDelays).toFixed(1)} ms`)
  const status = await app.serving.supervisor.start(profile.id, { wait: true })
  if (status.state !== 'ready') throw new Error(`start failed: ${status.failure?.message}`)
  return status
}

/**
 * Tokens per second a client reads: the engine's own count of generated tokens over the time from
 * sending the request to the last piece of text, so both paths divide the same count. (Timing from
 * the first piece instead is at the mercy of how a loaded machine batches the first few writes.)
 */
async function rate(send: () => Promise<Response>, isText: (data: string) => boolean, count: (data: string) => number | null): Promise<{ tokensPerSecond: number; tokens: number }> {
  const sent = performance.now()
  const response = await send()
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
  let last = Number.NaN
  let tokens: number | null = null
  for await (const data of sseData(response.body)) {
    tokens = count(data) ?? tokens
    if (!isText(data)) continue
    last = performance.now()
  }
  if (tokens === null) throw new Error('no token count in the reply')
  return { tokensPerSecond: (tokens * 1000) / (last - sent), tokens }
}

const numberAt = (pattern: RegExp) => (data: string) => {
  const match = pattern.exec(data)?.[1]
  return match === undefined ? null : Number(match)
}

async function relay(status: ServerStatus): Promise<void> {
  const server = Bun.serve({ hostname: '127.0.0.1', port: await freePort(), idleTimeout: 0, fetch: (request) => app.app.handle(request) })
  const base = `http://127.0.0.1:${server.port}`
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) })
  const credentials = { email: 'bench@example.com', password: 'bench-password-long' }
  await post('/api/auth/register', credentials)
  const { token } = (await (await post('/api/auth/login', credentials)).json()) as { token: string }
  const proxiedRun = async () =>
    rate(
      () => post('/api/chat', { profileId: profile.id, messages: MESSAGES, maxTokens: MAX_TOKENS }, token),
      (data) => data.startsWith('{"text"'),
      numberAt(/"completionTokens":(\d+)/),
    )
  const directRun = async () =>
    rate(
      () =>
        fetch(`${status.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ model: profile.model, messages: MESSAGES, max_tokens: MAX_TOKENS, stream: true, stream_options: { include_usage: true } }),
        }),
      // Python's json puts a space after each colon.
      (data) => /"(content|reasoning)":\s*"[^"]/.test(data),
      numberAt(/"completion_tokens":\s*(\d+)/),
    )
  await directRun()
  await proxiedRun()
  const direct: number[] = []
  const through: number[] = []
  let tokens = 0
  // Turn by turn, alternating who goes first, so both see the same machine load; the ratio is the
  // median of each pair's ratio.
  for (let i = 0; i < CHATS; i++) {
    if (i % 2 === 0) direct.push((await directRun()).tokensPerSecond)
    const one = await proxiedRun()
    through.push(one.tokensPerSecond)
    tokens = one.tokens
    if (i % 2 === 1) direct.push((await directRun()).tokensPerSecond)
  }
  const ratio = median(through.map((value, i) => value / (direct[i] ?? Number.NaN)))
  const p = median(through)
  const d = median(direct)
  row('tokens/s via /api/chat, real engine', `${p.toFixed(0)} tok/s`, `${d.toFixed(0)} tok/s`, fmt.ratio(ratio), '≥ 0.98×', ratio >= 0.98)
  console.log(`      ${tokens} tokens per reply; via /api/chat ${through.map((v) => v.toFixed(0)).join(', ')}; direct ${direct.map((v) => v.toFixed(0)).join(', ')} tok/s`)
  await server.stop(true)
}

try {
  const status = await startToReady()
  await relay(status)
} finally {
  await app.serving.supervisor.stopAll()
  removeDir(modelDir)
  removeDir(home)
}
