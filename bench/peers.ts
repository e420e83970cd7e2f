// Several managers as one, on loopback, each manager in its own process as in production and the
// engine the stand-in: time to first token for a request through manager A to its peer B, against
// the same request sent straight to B, alternating in the same run. Target: under 2 ms added.
import { sseData } from '../server/features/chat/upstream'
import { FAST_TIMING, standinEnv } from '../tests/fixtures/engine/harness'
import { benchApp, fmt, freePort, percentile, row, listenSignedIn } from './lib'

const ROUNDS = Number(process.env.BENCH_PEERS_ROUNDS ?? 60)
const MESSAGES = [{ role: 'user', content: 'Say a few words.' }]
const REPLY = 'one two three four five six seven eight'

interface Ready {
  base: string
  key: string
}

/**
 * One manager: B serves a warm stand-in profile called `load`; A follows B (its address and key
 * from the environment) and waits until the link is online. Prints where it is, then runs until stdin closes.
 */
async function serveManager(role: 'a' | 'b'): Promise<void> {
  const app = benchApp({ serving: { env: standinEnv({ STANDIN_REPLY: REPLY }), timing: { ...FAST_TIMING, statsIntervalMs: 60_000 } } })
  const { server, base, token, key, post } = await listenSignedIn(app)
  if (role === 'b') {
    const load = await app.serving.profiles.create({ name: 'load', model: 'standin/2000tps', port: await freePort() })
    const status = await app.serving.supervisor.start(load.id, { wait: true })
    if (status.state !== 'ready') throw new Error(`The stand-in did not start: ${status.failure?.message}`)
  } else {
    const added = await post('/api/peers', { name: 'b', url: process.env.BENCH_PEER_URL, apiKey: process.env.BENCH_PEER_KEY }, token)
    if (added.status !== 201) throw new Error(`Adding the peer failed: ${await added.text()}`)
    for (let i = 0; [...app.peers.all()][0]?.link.status.state !== 'online'; i++) {
      if (i > 500) throw new Error('The peer did not come online.')
      await Bun.sleep(10)
    }
  }
  console.log(JSON.stringify({ base, key } satisfies Ready))
  await Bun.stdin.text()
  app.peers.close()
  app.pool.close()
  await app.serving.supervisor.stopAll()
  await server.stop(true)
}

async function spawnManager(role: 'a' | 'b', env: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, import.meta.path], { env: { ...process.env, BENCH_PEERS_ROLE: role, ...env }, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' })
  const reader = child.stdout.getReader()
  let line = ''
  while (!line.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`Manager ${role} ended before it answered.`)
    line += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return { child, ready: JSON.parse(line.trim()) as Ready }
}

/** Milliseconds from sending a streamed request to its first piece of text; the rest is read too. */
async function firstTokenMs(url: string, key: string, model: string): Promise<number> {
  const sent = performance.now()
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: MESSAGES, stream: true }),
  })
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
  let first = Number.NaN
  let text = ''
  for await (const data of sseData(response.body)) {
    if (data === '[DONE]') break
    const piece = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? ''
    if (piece !== '' && Number.isNaN(first)) first = performance.now() - sent
    text += piece
  }
  if (text !== REPLY) throw new Error(`A reply came back changed: ${JSON.stringify(text)}`)
  return first
}

async function run(): Promise<void> {
  const b = await spawnManager('b')
  const a = await spawnManager('a', { BENCH_PEER_URL: b.ready.base, BENCH_PEER_KEY: b.ready.key })
  const direct = () => firstTokenMs(`${b.ready.base}/v1/chat/completions`, b.ready.key, 'load')
  const relayed = () => firstTokenMs(`${a.ready.base}/v1/chat/completions`, a.ready.key, 'load@b')
  // Warm both paths (connections, JIT), then alternate so drift on a shared machine hits both alike.
  for (let i = 0; i < 5; i++) {
    await direct()
    await relayed()
  }
  const straight: number[] = []
  const through: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    straight.push(await direct())
    through.push(await relayed())
  }
  straight.sort((x, y) => x - y)
  through.sort((x, y) => x - y)
  const added = percentile(through, 50) - percentile(straight, 50)
  console.log(`${ROUNDS} streamed requests each way, one at a time; manager A, manager B and the engine each in their own process`)
  row('TTFT through A to peer B (p50)', fmt.ms(percentile(through, 50)), fmt.ms(percentile(straight, 50)), fmt.ratio(percentile(through, 50) / percentile(straight, 50)), '< 2 ms added', added < 2)
  row('  added by the relay (p50)', fmt.ms(added), '', '', '< 2 ms', added < 2)
  row('  added by the relay (p90)', fmt.ms(percentile(through, 90) - percentile(straight, 90)), '', '', 'reference', true)
  for (const { child } of [a, b]) {
    await child.stdin.end()
    await child.exited
  }
  if (added >= 2) process.exitCode = 1
}

const role = process.env.BENCH_PEERS_ROLE
if (role === 'a' || role === 'b') await serveManager(role)
else await run()
