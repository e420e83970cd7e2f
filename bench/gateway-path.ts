// The gateway's own work per request, without the network: one after another, in one process,
// `POST /v1/chat/completions` through the whole manager (edge, API key, body validation, model
// resolution, pool, exchange, record) with an engine answer that is ready at once, against the same
// manager answering `GET /api/health` (routing and the edge only). When twenty requests arrive
// together on one thread, the last waits for the nineteen before it, so this per-request cost,
// times the concurrency, is what the gateway adds to time to first token (bench/chat.ts).
// Then bursts of twenty, one request per turn of the event loop as a server hands them over, after a
// quiet moment and after none: how long the first request takes to reach the engine, and the others.
import { FAST_TIMING, standinEnv } from '../tests/fixtures/engine/harness'
import { benchApp, fmt, freePort, row, median } from './lib'

const REQUESTS = Number(process.env.BENCH_PATH_REQUESTS ?? 3000)
const REPLY = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
})
const STREAM = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}', 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}', 'data: [DONE]', ''].join('\n\n')

/** When each request reached the engine (the burst section reads it). */
const asked: number[] = []
const app = benchApp({
  serving: { env: standinEnv(), timing: { ...FAST_TIMING, statsIntervalMs: 60_000 } },
  chat: {
    upstream: {
      // The engine's answer, ready at once: what is timed is the manager's own path.
      open: (_url, body) => {
        asked.push(performance.now())
        const streamed = (body as { stream?: boolean }).stream === true
        return Promise.resolve(new Response(streamed ? STREAM : REPLY, { headers: { 'content-type': streamed ? 'text/event-stream' : 'application/json' } }))
      },
    },
  },
})
const base = 'http://127.0.0.1'
const call = (path: string, init: RequestInit = {}) => app.app.handle(new Request(`${base}${path}`, init))
const json = (path: string, body: unknown, token?: string) =>
  call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) })

const credentials = { email: 'bench@example.com', password: 'bench-password-long' }
await json('/api/auth/register', credentials)
const { token } = (await (await json('/api/auth/login', credentials)).json()) as { token: string }
const { key } = (await (await json('/api/keys', { name: 'bench' }, token)).json()) as { key: string }
const profile = await app.serving.profiles.create({ name: 'bench', model: 'standin/100tps', port: await freePort(), idleTimeoutMinutes: 30 })
for (let i = 0; i < 20; i++) await app.serving.profiles.create({ name: `other-${i}`, model: `standin/other-${i}`, port: await freePort() })
const status = await app.serving.supervisor.start(profile.id, { wait: true })
if (status.state !== 'ready') throw new Error(`The stand-in did not start: ${status.failure?.message}`)

const gatewayBody = (stream: boolean) => JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Hello there.' }], stream, max_tokens: 16 })
const paths = {
  health: () => call('/api/health'),
  gateway: () => call('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: gatewayBody(false) }),
  streamed: () => call('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: gatewayBody(true) }),
}


/**
 * The median microseconds from sending a request to having its whole answer, one after another. The
 * median, because a few requests also carry the batched write of the request records or a garbage
 * collection, which a burst of twenty rarely meets at its first token.
 */
async function perRequest(send: () => Promise<Response>): Promise<number> {
  const each: number[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now()
    const response = await send()
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
    await response.arrayBuffer()
    each.push((performance.now() - started) * 1000)
  }
  return median(each)
}

type Path = keyof typeof paths
const times: Record<Path, number[]> = { health: [], gateway: [], streamed: [] }
for (const send of Object.values(paths)) await perRequest(send)
// Rounds take turns so every path sees the same machine load; the median round counts.
for (let round = 0; round < 5; round++) for (const name of Object.keys(paths) as Path[]) times[name].push(await perRequest(paths[name]))
const us = (n: number) => `${n.toFixed(0)} µs`
const health = median(times.health)
const gateway = median(times.gateway)
const streamed = median(times.streamed)
console.log(`${REQUESTS} requests one after another per round, 5 rounds, engine answer ready at once; median request`)
row('gateway request (not streamed)', us(gateway), us(health), fmt.ratio(gateway / health), 'reference', true)
row('  added over GET /api/health', us(gateway - health), us(0), '', '< 50 µs', gateway - health < 50)
row('gateway request (streamed)', us(streamed), us(health), fmt.ratio(streamed / health), 'reference', true)
row('  added over GET /api/health', us(streamed - health), us(0), '', '< 50 µs', streamed - health < 50)

/** Send → engine for the first request of a burst and (median) for the others, after `quietMs` of nothing. */
async function burst(quietMs: number): Promise<{ first: number; others: number }> {
  const first: number[] = []
  const others: number[] = []
  for (let round = 0; round < 15; round++) {
    await Bun.sleep(quietMs)
    asked.length = 0
    const sent: number[] = []
    const answers: Promise<Response>[] = []
    for (let i = 0; i < 20; i++) {
      sent.push(performance.now())
      answers.push(paths.streamed().then(async (response) => (await response.arrayBuffer(), response)))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(answers)
    const waited = asked.map((at, i) => (at - (sent[i] ?? at)) * 1000)
    first.push(waited[0] ?? NaN)
    others.push(median(waited.slice(1)))
  }
  return { first: median(first), others: median(others) }
}
const afterQuiet = await burst(150)
const afterNone = await burst(0)
console.log('bursts of 20 streamed requests, one per event-loop turn, 15 each; send → engine, medians')
row('  first of a burst, after 150 ms quiet', us(afterQuiet.first), us(afterQuiet.others), fmt.ratio(afterQuiet.first / afterQuiet.others), 'reference (the others)', true)
row('  first of a burst, right after the last', us(afterNone.first), us(afterNone.others), fmt.ratio(afterNone.first / afterNone.others), 'reference (the others)', true)
app.pool.close()
await app.serving.supervisor.stopAll()
if (gateway - health >= 50 || streamed - health >= 50) process.exitCode = 1
