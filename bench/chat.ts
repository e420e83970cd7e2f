// Chat proxy figures: with 20 concurrent streams from the stand-in engine, the time to first token
// and the token rate a client sees through POST /api/chat against the same engine asked directly.
// Direct and proxied rounds alternate in one run, so both see the same machine load.
import { join } from 'node:path'
import { createApp } from '../server/app'
import { loadConfig } from '../server/config'
import { openDatabase } from '../server/db/database'
import { httpUpstream, sseData } from '../server/features/chat/upstream'
import { FAST_TIMING, standinEnv } from '../tests/fixtures/engine/harness'
import { fmt, freePort, row, tempHome } from './lib'

const STREAMS = Number(process.env.BENCH_STREAMS ?? 20)
const ROUNDS = 5
const TOKENS_PER_SECOND = 100
const TOKENS = 100
const MESSAGES = [{ role: 'user', content: 'Tell me a story.' }]

interface EngineChunk {
  choices: { delta?: { content?: string | null } }[]
}

interface Sample {
  ttftMs: number
  tokensPerSecond: number
  tokens: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/** Reads one streamed reply, timing the first and last pieces of text that `isText` recognises. */
async function measure(request: () => Promise<Response>, isText: (data: string) => boolean): Promise<Sample> {
  const started = performance.now()
  const response = await request()
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
  let first = Number.NaN
  let last = Number.NaN
  let tokens = 0
  for await (const data of sseData(response.body)) {
    if (!isText(data)) continue
    last = performance.now()
    if (tokens === 0) first = last
    tokens++
  }
  return { ttftMs: first - started, tokensPerSecond: ((tokens - 1) * 1000) / (last - first), tokens }
}

interface Setup {
  base: string
  token: string
  profileId: number
  model: string
  engineUrl: string
}

/** Sums of arrival and engine-call times: their difference over the count is the mean time spent inside the manager. */
const inside = { arrived: 0, asked: 0, count: 0 }

/** The manager under test, in its own process as in production, with one stand-in server running. */
async function serveManager(): Promise<void> {
  const home = tempHome()
  const app = createApp({
    config: loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), PORT: '1' }),
    db: openDatabase(':memory:'),
    secret: 'bench-secret-that-is-long-enough-for-hs256',
    hasher: { hash: (password) => Promise.resolve(`bench:${password}`), verify: (password, hash) => Promise.resolve(hash === `bench:${password}`) },
    logger: { error: () => undefined },
    serving: { env: standinEnv({ STANDIN_REPLY: 'word '.repeat(TOKENS).trim() }), timing: { ...FAST_TIMING, statsIntervalMs: 60_000 } },
    // Times each chat request from reaching the manager to the engine being asked.
    chat: {
      upstream: {
        open: (url, body, signal) => {
          inside.asked += performance.now()
          inside.count++
          return httpUpstream.open(url, body, signal)
        },
      },
    },
  })
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: await freePort(),
    idleTimeout: 0,
    fetch: (request) => {
      if (new URL(request.url).pathname === '/api/chat') inside.arrived += performance.now()
      return app.app.handle(request)
    },
  })
  const base = `http://127.0.0.1:${server.port}`
  const credentials = { email: 'bench@example.com', password: 'bench-password-long' }
  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  await post('/api/auth/register', credentials)
  const { token } = (await (await post('/api/auth/login', credentials)).json()) as { token: string }
  const profile = await app.serving.profiles.create({ name: 'bench', model: `standin/${TOKENS_PER_SECOND}tps`, port: await freePort() })
  const status = await app.serving.supervisor.start(profile.id, { wait: true })
  if (status.state !== 'ready') throw new Error(`The stand-in did not start: ${status.failure?.message}`)
  const setup: Setup = { base, token, profileId: profile.id, model: profile.model, engineUrl: `${status.baseUrl}/chat/completions` }
  console.log(JSON.stringify(setup))
  // The parent closes stdin when it is done.
  await Bun.stdin.text()
  const metrics = app.metrics.servers()[0]
  console.error(`mean time inside the manager before the engine is asked: ${((inside.asked - inside.arrived) / inside.count).toFixed(2)} ms`)
  console.error(`proxy's own measurements: median ${metrics?.medianTokensPerSecond} tokens/s, median time to first token ${metrics?.medianTimeToFirstTokenMs} ms over ${metrics?.requests} requests`)
  await app.serving.supervisor.stopAll()
  await server.stop(true)
}

async function run(): Promise<void> {
  const child = Bun.spawn([process.execPath, import.meta.path], { env: { ...process.env, BENCH_CHAT_ROLE: 'manager' }, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' })
  const reader = child.stdout.getReader()
  let line = ''
  while (!line.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error('The manager process ended before it was ready.')
    line += new TextDecoder().decode(value)
  }
  const setup = JSON.parse(line.slice(0, line.indexOf('\n'))) as Setup
  try {
    const direct = () =>
      measure(
        () =>
          fetch(setup.engineUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: setup.model, messages: MESSAGES, stream: true, stream_options: { include_usage: true } }),
          }),
        (data) => data !== '[DONE]' && ((JSON.parse(data) as EngineChunk).choices[0]?.delta?.content ?? '') !== '',
      )
    const proxied = () =>
      measure(
        () =>
          fetch(`${setup.base}/api/chat`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${setup.token}` },
            body: JSON.stringify({ profileId: setup.profileId, messages: MESSAGES }),
          }),
        (data) => data.startsWith('{"text":'),
      )

    const samples = { direct: [] as Sample[], proxied: [] as Sample[] }
    await Promise.all([direct(), proxied()]) // warm both paths
    for (let round = 0; round < ROUNDS; round++) {
      samples.direct.push(...(await Promise.all(Array.from({ length: STREAMS }, direct))))
      samples.proxied.push(...(await Promise.all(Array.from({ length: STREAMS }, proxied))))
    }
    for (const [name, list] of Object.entries(samples)) {
      const short = list.filter((sample) => sample.tokens !== TOKENS).length
      if (short > 0) throw new Error(`${short} ${name} streams did not carry all ${TOKENS} tokens`)
    }
    const ttft = { direct: median(samples.direct.map((s) => s.ttftMs)), proxied: median(samples.proxied.map((s) => s.ttftMs)) }
    const rate = { direct: median(samples.direct.map((s) => s.tokensPerSecond)), proxied: median(samples.proxied.map((s) => s.tokensPerSecond)) }
    const added = ttft.proxied - ttft.direct
    console.log(`${STREAMS} concurrent streams × ${ROUNDS} rounds each way, stand-in at ${TOKENS_PER_SECOND} tokens/s, ${TOKENS} tokens per reply`)
    row('time to first token, proxied', fmt.ms(ttft.proxied), fmt.ms(ttft.direct), fmt.ratio(ttft.proxied / ttft.direct), 'added < 5 ms', added < 5)
    row('  added by the proxy (median)', fmt.ms(added), fmt.ms(0), '', '< 5 ms', added < 5)
    row('relayed tokens/s (median stream)', `${rate.proxied.toFixed(1)}/s`, `${rate.direct.toFixed(1)}/s`, fmt.ratio(rate.proxied / rate.direct), '≥ 0.95× direct', rate.proxied / rate.direct >= 0.95)
    if (added >= 5 || rate.proxied / rate.direct < 0.95) process.exitCode = 1
  } finally {
    await child.stdin.end()
    await child.exited
  }
}

if (process.env.BENCH_CHAT_ROLE === 'manager') await serveManager()
else await run()
