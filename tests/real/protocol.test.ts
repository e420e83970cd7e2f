/**
 * The stand-in mlx_lm.server kept honest: one set of protocol checks, run against the real engine
 * (mlx-lm as pinned, serving the tiny model) and against the stand-in, so the two cannot drift apart.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ENGINE_DIR, freePort, standinEnv } from '../fixtures/engine/harness'
import { tempDir } from '../server/helpers'
import { buildTinyModel, engineEnvironment, removeDir } from './setup'

const REASONING = 'Let me think about this'
const REPLY = 'Hello from the tiny model .'

/** A started engine: its URL, its log so far, and a way to wait for a log line. */
interface Engine {
  base: string
  process: ReturnType<typeof Bun.spawn>
  log(): string
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>
}

/** How to start one of the two programs with a given --model and port. */
interface Target {
  name: string
  start(model: string, port: number, fail?: 'load'): Engine
  /** A --model the program serves; for the load failure, one it cannot load. */
  model: string
  brokenModel: string
}

const started: Engine[] = []

function spawnEngine(argv: string[], env: Record<string, string | undefined>, port: number): Engine {
  let text = ''
  const child = Bun.spawn(argv, { env, stdout: 'pipe', stderr: 'pipe' })
  const decoder = new TextDecoder()
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      text += decoder.decode(value, { stream: true })
    }
  }
  void collect(child.stdout)
  void collect(child.stderr)
  const engine: Engine = {
    base: `http://127.0.0.1:${port}`,
    process: child,
    log: () => text,
    async waitForLog(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in the log:\n${text}`)
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before ${String(pattern)}:\n${text}`)
        await Bun.sleep(50)
      }
    },
  }
  started.push(engine)
  return engine
}

async function ready(engine: Engine, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if ((await fetch(`${engine.base}/health`)).status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || engine.process.exitCode !== null) throw new Error(`not ready:\n${engine.log()}`)
    await Bun.sleep(100)
  }
}

const post = (engine: Engine, body: unknown) => fetch(`${engine.base}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body) })
const hello = { messages: [{ role: 'user', content: 'Hi' }] }

interface Chunk {
  object: string
  model: string
  choices: { index: number; finish_reason: string | null; delta: Record<string, unknown> }[]
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
}

/** Splits an SSE body into its comment lines and its data payloads, in order. */
function frames(body: string): { comments: string[]; data: string[]; firstDataAfterComments: boolean } {
  const events = body.split('\n\n').filter((frame) => frame.trim() !== '')
  const comments = events.filter((frame) => frame.startsWith(':'))
  const data = events.filter((frame) => frame.startsWith('data: ')).map((frame) => frame.slice('data: '.length))
  const firstData = events.findIndex((frame) => frame.startsWith('data: '))
  return { comments, data, firstDataAfterComments: firstData > 0 && events.slice(0, firstData).every((frame) => frame.startsWith(':')) }
}

/** The checks both programs must pass, against a server already serving `model`. */
async function checkServing(engine: Engine, model: string): Promise<void> {
  const health = await fetch(`${engine.base}/health`)
  expect({ status: health.status, body: (await health.json()) as unknown }).toEqual({ status: 200, body: { status: 'ok' } })

  // Streaming without stream_options: keepalive comments first, no role-only chunk, no usage.
  const plain = await post(engine, { ...hello, max_tokens: 8, stream: true })
  expect(plain.status).toBe(200)
  expect(plain.headers.get('content-type')).toContain('text/event-stream')
  const stream = frames(await plain.text())
  expect(stream.comments.length).toBeGreaterThan(0)
  for (const comment of stream.comments) expect(comment).toMatch(/^: keepalive \d+\/\d+$/)
  expect(stream.firstDataAfterComments).toBe(true)
  expect(stream.data.at(-1)).toBe('[DONE]')
  const chunks = stream.data.slice(0, -1).map((data) => JSON.parse(data) as Chunk)
  const finish = chunks.at(-1)
  expect(finish?.choices[0]).toMatchObject({ index: 0, finish_reason: 'length', delta: { role: 'assistant' } })
  expect(Object.keys(finish?.choices[0]?.delta ?? {})).toEqual(['role'])
  for (const chunk of chunks) {
    expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'default_model' })
    expect(chunk.usage).toBeUndefined()
    expect(chunk.choices[0]?.delta.reasoning_content).toBeUndefined()
  }
  for (const chunk of chunks.slice(0, -1)) {
    const delta = chunk.choices[0]?.delta ?? {}
    expect(delta.role).toBe('assistant')
    expect(typeof delta.content === 'string' || typeof delta.reasoning === 'string').toBe(true)
  }
  const said = (key: string) => chunks.map((chunk) => chunk.choices[0]?.delta[key]).filter((text) => typeof text === 'string').join('')
  expect(said('reasoning')).toBe(REASONING)

  // With include_usage: one more chunk, with no choices, typed chat.completion.
  const counted = await post(engine, { ...hello, max_tokens: 3, stream: true, stream_options: { include_usage: true } })
  const withUsage = frames(await counted.text()).data
  expect(withUsage.at(-1)).toBe('[DONE]')
  const last = JSON.parse(withUsage.at(-2) ?? '{}') as Chunk
  expect(last).toMatchObject({ object: 'chat.completion', model: 'default_model', choices: [] })
  expect(last.usage?.completion_tokens).toBe(3)
  expect(last.usage?.prompt_tokens).toBeGreaterThan(0)
  expect(last.usage?.total_tokens).toBe((last.usage?.prompt_tokens ?? 0) + 3)

  // Not streamed: reasoning beside the content, usage always.
  const whole = (await (await post(engine, { ...hello, max_tokens: 40 })).json()) as {
    object: string
    model: string
    choices: { finish_reason: string; message: { role: string; content: string | null; reasoning?: string } }[]
    usage: { completion_tokens: number }
  }
  expect(whole).toMatchObject({ object: 'chat.completion', model: 'default_model' })
  expect(whole.choices[0]?.message.role).toBe('assistant')
  expect(whole.choices[0]?.message.reasoning).toBe(REASONING)
  expect(whole.choices[0]?.message.content ?? '').toStartWith(REPLY.split(' ')[0] ?? '')
  expect(whole.usage.completion_tokens).toBeGreaterThan(0)

  // The --model string itself is the served model, named back in the reply; any other is a 404.
  const named = await post(engine, { ...hello, model, max_tokens: 2 })
  expect(named.status).toBe(200)
  expect(((await named.json()) as { model: string }).model).toBe(model)
  const other = await post(engine, { ...hello, model: 'other-org/not-this-model', max_tokens: 2 })
  expect(other.status).toBe(404)
  expect(typeof ((await other.json()) as { error: unknown }).error).toBe('string')
  // …after which the served model still answers.
  expect((await post(engine, { ...hello, max_tokens: 2 })).status).toBe(200)
}

/** A model that cannot load: the worker dies, the process stays up, health 503, completions 404. */
async function checkLoadFailure(engine: Engine): Promise<void> {
  await engine.waitForLog(/ - ERROR - mlx_lm\.server generation thread died: /)
  await engine.waitForLog(/Starting httpd at/)
  await Bun.sleep(300)
  expect(engine.process.exitCode).toBeNull()
  const health = await fetch(`${engine.base}/health`)
  expect({ status: health.status, body: (await health.json()) as unknown }).toEqual({ status: 503, body: { status: 'unavailable' } })
  const refused = await post(engine, { ...hello, max_tokens: 2, stream: true })
  expect({ status: refused.status, body: (await refused.json()) as unknown }).toEqual({ status: 404, body: { error: 'generation thread died' } })
}

/** A port already taken: the bind error in the log, and the process does not exit. */
async function checkPortTaken(engine: Engine): Promise<void> {
  await engine.waitForLog(/^OSError: \[Errno 98\] Address already in use$/m)
  await Bun.sleep(1_000)
  expect(engine.process.exitCode).toBeNull()
}

let venv = ''
let modelDir = ''
let brokenDir = ''
let hubCache = ''

const real: Target = {
  name: 'the real mlx_lm.server',
  get model() {
    return modelDir
  },
  get brokenModel() {
    return brokenDir
  },
  start(model, port) {
    // Offline, with a hub address nothing answers on: the other-model check must not reach the network.
    const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME, HF_HUB_CACHE: hubCache, HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9', PYTHONUNBUFFERED: '1' }
    return spawnEngine([join(venv, 'bin', 'mlx_lm.server'), '--model', model, '--host', '127.0.0.1', '--port', String(port)], env, port)
  },
}

const standin: Target = {
  name: 'the stand-in mlx_lm.server',
  get model() {
    return modelDir
  },
  get brokenModel() {
    return brokenDir
  },
  start(model, port, fail) {
    const env = standinEnv({ STANDIN_REASONING: REASONING, STANDIN_REPLY: REPLY, STANDIN_TOKENS_PER_SECOND: '500', ...(fail === 'load' ? { STANDIN_FAIL: 'crash-at-start' } : {}) })
    return spawnEngine([join(ENGINE_DIR, 'mlx_lm.server'), '--model', model, '--host', '127.0.0.1', '--port', String(port)], env, port)
  },
}

beforeAll(async () => {
  venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
  modelDir = await buildTinyModel(venv)
  brokenDir = tempDir('mlx-manager-broken-')
  cpSync(modelDir, brokenDir, { recursive: true })
  writeFileSync(join(brokenDir, 'model.safetensors'), readFileSync(join(modelDir, 'model.safetensors')).subarray(0, 5000))
  hubCache = tempDir('mlx-manager-protocol-hub-')
}, 900_000)

afterAll(async () => {
  for (const engine of started) engine.process.kill('SIGKILL')
  await Promise.all(started.map((engine) => engine.process.exited))
  for (const dir of [modelDir, brokenDir, hubCache]) if (dir !== '') removeDir(dir)
})

for (const target of [real, standin]) {
  describe(target.name, () => {
    test('serves: health, keepalive comments, reasoning, usage only when asked, model names', async () => {
      const port = await freePort()
      const engine = target.start(target.model, port)
      await ready(engine)
      await checkServing(engine, target.model)
    }, 90_000)

    test('a model that cannot load: stays up, health 503 unavailable, completions 404', async () => {
      const engine = target.start(target.brokenModel, await freePort(), 'load')
      await checkLoadFailure(engine)
    }, 90_000)

    test('a port already taken: the bind error in its log, and it keeps running', async () => {
      const port = await freePort()
      const squatter = Bun.serve({ hostname: '127.0.0.1', port, fetch: () => new Response('busy') })
      try {
        await checkPortTaken(target.start(target.model, port))
      } finally {
        await squatter.stop(true)
      }
    }, 90_000)
  })
}
