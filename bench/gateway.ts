// Gateway load figures, the manager in its own process as in production, engines the stand-in:
// 1. 50 concurrent streaming clients on /v1/chat/completions at 40 tokens/s each (2,000 tokens/s in
//    total): every token arrives once and in order, and the manager's CPU stays low, against the
//    same clients reading the engine directly in the same run.
// 2. A request for a stopped model: from sending it to its first token, against the engine alone
//    (spawned, polled until ready, then asked the same question) in the same run.
import { join } from 'node:path'
import { sseData } from '../server/features/chat/upstream'
import { FAST_TIMING, standinEnv } from '../tests/fixtures/engine/harness'
import { benchApp, cpuMs, fmt, freePort, row, timeToFirst200, listenSignedIn } from './lib'

const CLIENTS = Number(process.env.BENCH_GATEWAY_CLIENTS ?? 50)
const TOKENS = 200
const TOKENS_PER_SECOND = 40
const COLD_LOAD_MS = 500
/** Distinct words, so a lost, doubled or swapped token changes the text. */
const REPLY = Array.from({ length: TOKENS }, (_, i) => `w${i}`).join(' ')
const MESSAGES = [{ role: 'user', content: 'Count for me.' }]

interface Setup {
  base: string
  key: string
  engineUrl: string
}

/** The manager under test: one warm stand-in server for the load, one stopped profile for the cold start. */
async function serveManager(): Promise<void> {
  const app = benchApp({
    serving: { env: standinEnv({ STANDIN_REPLY: REPLY }), timing: { ...FAST_TIMING, statsIntervalMs: 60_000 } },
  })
  const { server, base, key } = await listenSignedIn(app)
  const load = await app.serving.profiles.create({ name: 'load', model: `standin/${TOKENS_PER_SECOND}tps`, port: await freePort() })
  await app.serving.profiles.create({ name: 'cold', model: `standin/load-${COLD_LOAD_MS}ms`, port: await freePort() })
  const status = await app.serving.supervisor.start(load.id, { wait: true })
  if (status.state !== 'ready') throw new Error(`The stand-in did not start: ${status.failure?.message}`)
  const setup: Setup = { base, key, engineUrl: `${status.baseUrl}/chat/completions` }
  console.log(JSON.stringify(setup))
  await Bun.stdin.text()
  app.pool.close()
  await app.serving.supervisor.stopAll()
  await server.stop(true)
}

/** The text of one streamed reply and when its first piece came. */
async function stream(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ text: string; firstMs: number }> {
  const sent = performance.now()
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
  let text = ''
  let firstMs = Number.NaN
  for await (const data of sseData(response.body)) {
    if (data === '[DONE]') break
    const piece = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? ''
    if (piece !== '' && Number.isNaN(firstMs)) firstMs = performance.now() - sent
    text += piece
  }
  return { text, firstMs }
}

/** The engine alone: spawned, polled until ready, then asked; milliseconds to its first token. */
async function engineAloneColdMs(): Promise<number> {
  const port = await freePort()
  const argv = [join(import.meta.dir, '..', 'tests', 'fixtures', 'engine', 'mlx-openai-server'), 'launch', '--model-path', `standin/load-${COLD_LOAD_MS}ms`, '--host', '127.0.0.1', '--port', String(port)]
  const started = performance.now()
  const { child } = await timeToFirst200(argv, `http://127.0.0.1:${port}/health`, standinEnv({ STANDIN_REPLY: REPLY }) as Record<string, string>)
  await stream(`http://127.0.0.1:${port}/v1/chat/completions`, { model: `standin/load-${COLD_LOAD_MS}ms`, messages: MESSAGES, stream: true, max_tokens: 1 })
  const ms = performance.now() - started
  child.kill()
  await child.exited
  return ms
}

async function run(): Promise<void> {
  const child = Bun.spawn([process.execPath, import.meta.path], { env: { ...process.env, BENCH_GATEWAY_ROLE: 'manager' }, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' })
  const reader = child.stdout.getReader()
  let line = ''
  while (!line.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error('The manager process ended before it answered.')
    line += new TextDecoder().decode(value)
  }
  const setup = JSON.parse(line.trim()) as Setup
  const auth = { authorization: `Bearer ${setup.key}` }
  const gatewayUrl = `${setup.base}/v1/chat/completions`

  // Warm both paths' connections, then the load: direct first, then through the gateway.
  await stream(gatewayUrl, { model: 'load', messages: MESSAGES, stream: true }, auth)
  const direct = async () => {
    const wallStart = performance.now()
    const texts = await Promise.all(Array.from({ length: CLIENTS }, () => stream(setup.engineUrl, { model: `standin/${TOKENS_PER_SECOND}tps`, messages: MESSAGES, stream: true })))
    return { texts, wallMs: performance.now() - wallStart }
  }
  await direct()
  const cpuBefore = cpuMs(child.pid)
  const wallStart = performance.now()
  const proxied = await Promise.all(Array.from({ length: CLIENTS }, () => stream(gatewayUrl, { model: 'load', messages: MESSAGES, stream: true }, auth)))
  const wallMs = performance.now() - wallStart
  const managerCpu = cpuMs(child.pid) - cpuBefore
  const idleBefore = cpuMs(child.pid)
  const idleStart = performance.now()
  const baseline = await direct()
  const idleCpu = cpuMs(child.pid) - idleBefore
  const idleShare = idleCpu / (performance.now() - idleStart)

  const broken = proxied.filter((result) => result.text !== REPLY).length
  const brokenDirect = baseline.texts.filter((result) => result.text !== REPLY).length
  const share = managerCpu / wallMs
  const rate = (CLIENTS * TOKENS * 1000) / wallMs
  console.log(`${CLIENTS} concurrent streams × ${TOKENS} tokens at ${TOKENS_PER_SECOND} tokens/s each; manager and engine in their own processes`)
  row('streams with a lost, doubled or reordered token', String(broken), String(brokenDirect), '', '0', broken === 0)
  row('relayed tokens/s, all streams', `${rate.toFixed(0)}/s`, `${((CLIENTS * TOKENS * 1000) / baseline.wallMs).toFixed(0)}/s`, fmt.ratio(rate / ((CLIENTS * TOKENS * 1000) / baseline.wallMs)), 'offered 2,000/s (reference)', true)
  row('manager CPU while relaying', `${(share * 100).toFixed(1)}% of a core`, `${(idleShare * 100).toFixed(1)}%`, '', '< 20% of one core', share < 0.2)

  const cold = await stream(gatewayUrl, { model: 'cold', messages: MESSAGES, stream: true, max_tokens: 1 }, auth)
  const alone = await engineAloneColdMs()
  row('stopped model: send → first token via the gateway', fmt.ms(cold.firstMs), fmt.ms(alone), fmt.ratio(cold.firstMs / alone), '< 100 ms more than the engine alone', cold.firstMs - alone < 100)

  await child.stdin.end()
  await child.exited
  if (broken > 0 || share >= 0.2 || cold.firstMs - alone >= 100) process.exitCode = 1
}

if (process.env.BENCH_GATEWAY_ROLE === 'manager') await serveManager()
else await run()
