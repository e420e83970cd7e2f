// Chat proxy figures: with 20 concurrent streams from the stand-in engine, the time to first token
// and the token rate a client sees through POST /api/chat, and through the OpenAI gateway
// (POST /v1/chat/completions with an API key), against the same engine asked directly.
// Same client, same concurrency; the paths take turns round by round in one run, so all see the
// same machine load. A third path, a bare pass-through proxy (fetch and return the engine's body,
// nothing else) in the manager's process, shows what the extra process hop costs by itself.
// BENCH_CHAT_PROBE=1 splits the proxied time into phases (the probes wrap both bodies, so that
// run's totals are a little higher); BENCH_CHAT_MANAGER_FLAGS passes flags (e.g. --cpu-prof-md)
// to the manager's process.
import { systemChatUpstream, sseData } from '../server/features/chat/upstream'
import { FAST_TIMING, standinEnv } from '../tests/fixtures/engine/harness'
import { benchApp, cpuMs, fmt, freePort, row, median } from './lib'

const STREAMS = Number(process.env.BENCH_STREAMS ?? 20)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8)
const PROBE = process.env.BENCH_CHAT_PROBE === '1'
const TOKENS_PER_SECOND = 100
/** Longer than the request records' write delay (50 ms). */
const QUIET_MS = 150
const TOKENS = 100
const MESSAGES = [{ role: 'user', content: 'Tell me a story.' }]
/** A wall clock both processes share (to well under a millisecond), counted from the run's start. */
const EPOCH = Number(process.env.BENCH_EPOCH ?? Date.now())
const wall = () => performance.timeOrigin + performance.now() - EPOCH

interface Sample {
  sentAt: number
  firstAt: number
  ttftMs: number
  tokensPerSecond: number
  tokens: number
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length

/** Reads one streamed reply, timing the first and last pieces of text that `isText` recognises. */
async function measure(request: () => Promise<Response>, isText: (data: string) => boolean): Promise<Sample> {
  const sentAt = wall()
  const response = await request()
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
  let first = Number.NaN
  let last = Number.NaN
  let tokens = 0
  for await (const data of sseData(response.body)) {
    if (!isText(data)) continue
    last = wall()
    if (tokens === 0) first = last
    tokens++
  }
  return { sentAt, firstAt: first, ttftMs: first - sentAt, tokensPerSecond: ((tokens - 1) * 1000) / (last - first), tokens }
}

interface Setup {
  base: string
  bare: string
  token: string
  profileId: number
  model: string
  engineUrl: string
  apiKey: string
}

/** Mean wall-clock moments of the proxied requests' phases, as the manager saw them. */
interface Phases {
  arrived: number
  asked: number
  engineToken: number
  sentToken: number
  /** Within a round's burst: the first request's receive → ask, and the rest's time apart when asking. */
  firstMs: number
  eachAfterMs: number
}

type Probed = 'chat' | 'gateway' | 'bare'
type Moments = 'arrived' | 'asked' | 'engineToken' | 'sentToken'
const phaseLists = (): Record<Moments, number[]> => ({ arrived: [], asked: [], engineToken: [], sentToken: [] })
/** Per path and phase, every moment it happened; the phase lengths are differences of their means. */
const seen: Record<Probed, Record<Moments, number[]>> = { chat: phaseLists(), gateway: phaseLists(), bare: phaseLists() }

/** Passes a body through, noting when the first chunk containing `marker` goes by. */
function noteFirst(body: ReadableStream<Uint8Array | string>, marker: string, into: number[]): ReadableStream<Uint8Array | string> {
  const decoder = new TextDecoder()
  let found = false
  return body.pipeThrough(
    // Elysia's streams carry strings, fetch's carry bytes.
    new TransformStream<Uint8Array | string, Uint8Array | string>({
      transform(chunk, controller) {
        if (!found && (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })).includes(marker)) {
          found = true
          into.push(wall())
        }
        controller.enqueue(chunk)
      },
    }),
  )
}

/** The least a proxy can do: forward the request and hand back the engine's body untouched. */
function bareProxy(engineUrl: () => string) {
  return Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    fetch: async (request) => {
      seen.bare.arrived.push(wall())
      const body = await request.text()
      seen.bare.asked.push(wall())
      const upstream = await fetch(engineUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: request.signal })
      if (!PROBE || upstream.body === null) return new Response(upstream.body, { status: upstream.status, headers: { 'content-type': 'text/event-stream' } })
      const noted = noteFirst(noteFirst(upstream.body, '"content":"word', seen.bare.engineToken), '"content":"word', seen.bare.sentToken)
      return new Response(noted, { status: upstream.status, headers: { 'content-type': 'text/event-stream' } })
    },
  })
}

/** The manager under test, in its own process as in production, with one stand-in server running. */
async function serveManager(): Promise<void> {
  const app = benchApp({
    serving: { env: standinEnv({ STANDIN_REPLY: 'word '.repeat(TOKENS).trim() }), timing: { ...FAST_TIMING, statsIntervalMs: 60_000 } },
    chat: {
      upstream: {
        open: async (url, body, signal) => {
          // Gateway requests carry a field of their own (unknown fields reach the engine).
          const phases = seen[(body as { bench_path?: string }).bench_path === 'gateway' ? 'gateway' : 'chat']
          phases.asked.push(wall())
          const response = await systemChatUpstream.open(url, body, signal)
          if (!PROBE || response.body === null) return response
          return new Response(noteFirst(response.body, '"content":"word', phases.engineToken), response)
        },
      },
    },
  })
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: await freePort(),
    idleTimeout: 0,
    fetch: async (request) => {
      const path = new URL(request.url).pathname
      const probed: Probed | null = path === '/api/chat' ? 'chat' : path === '/v1/chat/completions' ? 'gateway' : null
      if (probed === null) return app.app.handle(request)
      seen[probed].arrived.push(wall())
      const response = await app.app.handle(request)
      if (!PROBE || response.body === null) return response
      return new Response(noteFirst(response.body, probed === 'chat' ? '"text":"word' : '"content":"word', seen[probed].sentToken), response)
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
  const engineUrl = `${status.baseUrl}/chat/completions`
  const bare = bareProxy(() => engineUrl)
  const created = await fetch(`${base}/api/keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ name: 'bench' }) })
  const { key } = (await created.json()) as { key: string }
  const setup: Setup = { base, bare: `http://127.0.0.1:${bare.port}`, token, profileId: profile.id, model: profile.model, engineUrl, apiKey: key }
  console.log(JSON.stringify(setup))
  // The parent writes how many requests were warm-up (not counted), then closes stdin.
  const warm = Number(await Bun.stdin.text())
  for (const lists of Object.values(seen)) for (const list of Object.values(lists)) list.splice(0, warm)
  const means = (lists: Record<Moments, number[]>): Phases => ({
    arrived: mean(lists.arrived),
    asked: mean(lists.asked),
    engineToken: mean(lists.engineToken),
    sentToken: mean(lists.sentToken),
    ...burstCosts(lists),
  })
  const phases: Record<Probed, Phases> = { chat: means(seen.chat), gateway: means(seen.gateway), bare: means(seen.bare) }
  const metrics = app.metrics.servers()[0]
  console.error(`proxy's own measurements: median ${metrics?.medianTokensPerSecond} tokens/s, median time to first token ${metrics?.medianTimeToFirstTokenMs} ms over ${metrics?.requests} requests`)
  console.log(JSON.stringify(phases))
  await app.serving.supervisor.stopAll()
  await bare.stop(true)
  await server.stop(true)
}

/**
 * The handler's cost inside a round, where the twenty requests arrive together and each waits for
 * the ones before it: the first one's receive → ask, and how far apart the rest ask the engine.
 */
function burstCosts(lists: Record<Moments, number[]>): Pick<Phases, 'firstMs' | 'eachAfterMs'> {
  const first: number[] = []
  const each: number[] = []
  for (let start = 0; start + STREAMS <= lists.asked.length; start += STREAMS) {
    const arrived = lists.arrived.slice(start, start + STREAMS).sort((a, b) => a - b)
    const asked = lists.asked.slice(start, start + STREAMS).sort((a, b) => a - b)
    first.push((asked[0] ?? NaN) - (arrived[0] ?? NaN))
    each.push(((asked[STREAMS - 1] ?? NaN) - (asked[1] ?? NaN)) / (STREAMS - 2))
  }
  return { firstMs: median(first), eachAfterMs: median(each) }
}

/** Where a proxied request's time goes, from the client's send to its first token. */
function printPhases(title: string, phases: Phases, proxied: Sample[], directTtft: number): void {
  const sent = mean(proxied.map((s) => s.sentAt))
  const received = mean(proxied.map((s) => s.firstAt))
  const line = (name: string, ms: number) => console.log(`  ${name.padEnd(52)} ${fmt.ms(ms).padStart(9)}`)
  console.log(`mean phases of a request through ${title} (wall clocks of two processes, ±0.5 ms):`)
  line('client sends → manager receives', phases.arrived - sent)
  line('manager receives → asks the engine (auth, body, plan)', phases.asked - phases.arrived)
  if (PROBE) {
    line('asks the engine → first engine token arrives', phases.engineToken - phases.asked)
    line('first engine token → first event leaves', phases.sentToken - phases.engineToken)
    line('first event leaves → client reads it', received - phases.sentToken)
  } else line('asks the engine → client reads the first token', received - phases.asked)
  line('total (mean time to first token, proxied)', received - sent)
  line('mean time to first token, direct', directTtft)
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`
  console.log(`  of which, in each round of ${STREAMS}: the first request's receive → ask ${us(phases.firstMs)}, then one request asked every ${us(phases.eachAfterMs)} (medians)`)
}

async function run(): Promise<void> {
  const flags = (process.env.BENCH_CHAT_MANAGER_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
  const child = Bun.spawn([process.execPath, ...flags, import.meta.path], {
    env: { ...process.env, BENCH_CHAT_ROLE: 'manager', BENCH_EPOCH: String(EPOCH) },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const lines = (async function* () {
    const decoder = new TextDecoder()
    const reader = child.stdout.getReader()
    let text = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      text += decoder.decode(value, { stream: true })
      let end
      while ((end = text.indexOf('\n')) !== -1) {
        yield text.slice(0, end)
        text = text.slice(end + 1)
      }
    }
  })()
  const next = async () => {
    const { done, value } = await lines.next()
    if (done === true) throw new Error('The manager process ended before it answered.')
    return value
  }
  const setup = JSON.parse(await next()) as Setup
  const engineBody = JSON.stringify({ model: setup.model, messages: MESSAGES, stream: true, stream_options: { include_usage: true } })
  const gatewayBody = JSON.stringify({ model: 'bench', messages: MESSAGES, stream: true, stream_options: { include_usage: true }, bench_path: 'gateway' })
  // Every path is read the same way: a cheap text test, no JSON parsing in the client.
  const engineText = (data: string) => /"content":"[^"]/.test(data)
  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const paths = {
    direct: () => measure(() => post(setup.engineUrl, engineBody), engineText),
    bare: () => measure(() => post(setup.bare, engineBody), engineText),
    proxied: () =>
      measure(
        () => post(`${setup.base}/api/chat`, JSON.stringify({ profileId: setup.profileId, messages: MESSAGES }), { authorization: `Bearer ${setup.token}` }),
        (data) => /^\{"text":"[^"]/.test(data),
      ),
    gateway: () => measure(() => post(`${setup.base}/v1/chat/completions`, gatewayBody, { authorization: `Bearer ${setup.apiKey}` }), engineText),
  }
  const round = (one: () => Promise<Sample>) => Promise.all(Array.from({ length: STREAMS }, one))

  type Path = keyof typeof paths
  const samples: Record<Path, Sample[]> = { direct: [], bare: [], proxied: [], gateway: [] }
  /** The manager process's CPU time while each path ran: what the proxy costs the machine. */
  const managerCpu: Record<Path, number> = { direct: 0, bare: 0, proxied: 0, gateway: 0 }
  // A full uncounted round each way first, so every path opens its pooled connections before measuring.
  for (const path of Object.values(paths)) await round(path)
  // BENCH_CHAT_PATHS narrows a run (e.g. "bare,gateway"); the engine asked directly always runs.
  const only = process.env.BENCH_CHAT_PATHS?.split(',')
  const names = (Object.keys(paths) as Path[]).filter((name) => name === 'direct' || only === undefined || only.includes(name))
  for (let i = 0; i < ROUNDS; i++) {
    // Each path starts on a quiet manager, in a turning order: what one round leaves behind (records
    // written 50 ms later, the engine's log lines followed) must not land on the next path's start.
    for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
      await Bun.sleep(QUIET_MS)
      const before = cpuMs(child.pid)
      samples[name].push(...(await round(paths[name])))
      managerCpu[name] += cpuMs(child.pid) - before
    }
  }
  await child.stdin.write(String(STREAMS))
  await child.stdin.end()
  const phases = JSON.parse(await next()) as Record<Probed, Phases>
  await child.exited

  for (const [name, list] of Object.entries(samples)) {
    const short = list.filter((sample) => sample.tokens !== TOKENS).length
    if (short > 0) throw new Error(`${short} ${name} streams did not carry all ${TOKENS} tokens`)
  }
  const ttft = (list: Sample[]) => median(list.map((s) => s.ttftMs))
  const rate = (list: Sample[]) => median(list.map((s) => s.tokensPerSecond))
  const direct = { ttft: ttft(samples.direct), rate: rate(samples.direct) }
  const added = ttft(samples.proxied) - direct.ttft
  const bareAdded = ttft(samples.bare) - direct.ttft
  const rateRatio = rate(samples.proxied) / direct.rate
  const gatewayAdded = ttft(samples.gateway) - direct.ttft
  const gatewayRate = rate(samples.gateway) / direct.rate
  console.log(`${STREAMS} concurrent streams × ${ROUNDS} rounds each path, stand-in at ${TOKENS_PER_SECOND} tokens/s, ${TOKENS} tokens per reply`)
  row('time to first token, proxied', fmt.ms(ttft(samples.proxied)), fmt.ms(direct.ttft), fmt.ratio(ttft(samples.proxied) / direct.ttft), 'added < 5 ms', added < 5)
  row('  added by the proxy (median)', fmt.ms(added), fmt.ms(0), '', '< 5 ms', added < 5)
  row('  added by a bare pass-through', fmt.ms(bareAdded), fmt.ms(0), '', 'reference', true)
  row('relayed tokens/s (median stream)', `${rate(samples.proxied).toFixed(1)}/s`, `${direct.rate.toFixed(1)}/s`, fmt.ratio(rateRatio), '≥ 0.95× direct', rateRatio >= 0.95)
  row('time to first token, gateway /v1', fmt.ms(ttft(samples.gateway)), fmt.ms(direct.ttft), fmt.ratio(ttft(samples.gateway) / direct.ttft), 'added < 1 ms', gatewayAdded < 1)
  row('  added by the gateway (median)', fmt.ms(gatewayAdded), fmt.ms(bareAdded), '', '< 1 ms', gatewayAdded < 1)
  row('gateway tokens/s (median stream)', `${rate(samples.gateway).toFixed(1)}/s`, `${direct.rate.toFixed(1)}/s`, fmt.ratio(gatewayRate), '≥ 0.99× direct', gatewayRate >= 0.99)
  const perStream = (ms: number) => fmt.ms(ms / (ROUNDS * STREAMS))
  console.log(
    `manager process CPU per ${TOKENS}-token stream: proxied ${perStream(managerCpu.proxied)}, gateway ${perStream(managerCpu.gateway)}, bare pass-through ${perStream(managerCpu.bare)}, direct (log following only) ${perStream(managerCpu.direct)}`,
  )
  const directTtft = mean(samples.direct.map((s) => s.ttftMs))
  printPhases('POST /api/chat', phases.chat, samples.proxied, directTtft)
  printPhases('the gateway', phases.gateway, samples.gateway, directTtft)
  printPhases('the bare pass-through (same process)', phases.bare, samples.bare, directTtft)
  if (added >= 5 || rateRatio < 0.95 || gatewayAdded >= 1 || gatewayRate < 0.99) process.exitCode = 1
}

if (process.env.BENCH_CHAT_ROLE === 'manager') await serveManager()
else await run()
