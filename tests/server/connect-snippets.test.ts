import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_KEY_ENV, connectSnippets, type ConnectInput } from '../../shared/connect'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import { FAST_TIMING, freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

/**
 * The Connect page's snippets, run as a user would paste them: curl in a shell and the openai
 * JavaScript client under Node, against the manager on a loopback socket with a stand-in engine.
 */

const REPLY = 'Snippets reach the model'
const ROOT = join(import.meta.dir, '..', '..')
// A name that breaks naive quoting in a shell, in JSON and in JavaScript.
const MODEL = `Bob's "fox" $HOME \`id\``

const app = createTestApp({ serving: { env: standinEnv({ STANDIN_REPLY: REPLY }), timing: FAST_TIMING } })
let origin = ''
let key = ''

beforeAll(async () => {
  const token = (await app.signUp(ADMIN)).token ?? ''
  app.app.listen({ port: 0, hostname: '127.0.0.1' })
  origin = `http://127.0.0.1:${app.app.server?.port ?? 0}`
  const profile = await app.json<Profile>('POST', '/api/profiles', { token, body: { name: MODEL, model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort() } })
  expect(profile.status).toBe(201)
  expect((await app.json('POST', `/api/servers/${profile.body.id}/start?wait=true`, { token })).status).toBe(200)
  key = (await app.json<CreatedApiKey>('POST', '/api/keys', { token, body: { name: 'snippets' } })).body.key
})

afterAll(async () => {
  await app.serving.supervisor.stopAll()
  await app.app.stop(true)
})

function code(id: string, withKey: boolean): string {
  const input: ConnectInput = { origin, model: MODEL, key: withKey ? key : null }
  const found = connectSnippets(input).find((snippet) => snippet.id === id)
  if (found === undefined) throw new Error(`No snippet ${id}`)
  return found.code
}

/** Runs a command without blocking this process, which serves the requests the command makes. */
async function run(command: string[], env: Record<string, string> = {}, cwd?: string) {
  const child = Bun.spawn(command, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, status] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (status !== 0) throw new Error(`${command.join(' ')} exited ${status}: ${stderr}`)
  return stdout
}

const bash = (script: string, env: Record<string, string> = {}) => run(['bash', '-c', script], env)

/** The text of an OpenAI stream as curl prints it: every `data:` chunk's delta content. */
function streamedText(sse: string): string {
  return sse
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice('data: '.length)) as { choices: { delta?: { content?: string } }[] })
    .map((chunk) => chunk.choices[0]?.delta?.content ?? '')
    .join('')
}

describe('curl snippets, run by bash', () => {
  test('the chat completion with the key in it answers with the model’s reply', async () => {
    const answer = JSON.parse(await bash(code('curl-chat', true))) as { model: string; choices: { message: { content: string } }[] }
    expect(answer.choices[0]?.message.content).toBe(REPLY)
  })

  test('the same, reading the key from MLX_MANAGER_API_KEY', async () => {
    const answer = JSON.parse(await bash(code('curl-chat', false), { [API_KEY_ENV]: key })) as { choices: { message: { content: string } }[] }
    expect(answer.choices[0]?.message.content).toBe(REPLY)
  })

  test('the streamed one prints the reply chunk by chunk', async () => {
    expect(streamedText(await bash(code('curl-stream', false), { [API_KEY_ENV]: key }))).toBe(REPLY)
  })

  test('the models list names the profile as the model to send', async () => {
    const list = JSON.parse(await bash(code('curl-models', true))) as { data: { id: string }[] }
    expect(list.data.map((model) => model.id)).toContain(MODEL)
  })

  test('without the variable set, the request is refused as unauthenticated, not sent with a made-up key', async () => {
    // curl takes options in any order: the status is printed after the body.
    const output = await bash(`${code('curl-chat', false)} -s -w '\\n%{http_code}'`)
    expect(output.split('\n').at(-1)).toBe('401')
    expect((JSON.parse(output.split('\n').slice(0, -1).join('\n')) as { error: { type: string } }).error.type).toBeString()
  })
})

/** A folder like the user's project: the snippet saved as hello.mjs beside installed packages. */
function project(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'connect-snippet-'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'hello.mjs'), source)
  return dir
}

describe('the openai JavaScript snippet, run by Node', () => {
  test('streams the reply to stdout, with the key in it', async () => {
    const dir = project(code('js-openai', true))
    expect(await run(['node', 'hello.mjs'], {}, dir)).toBe(`${REPLY}\n`)
  })

  test('streams the reply to stdout, reading MLX_MANAGER_API_KEY', async () => {
    const dir = project(code('js-openai', false))
    expect(await run(['node', 'hello.mjs'], { [API_KEY_ENV]: key }, dir)).toBe(`${REPLY}\n`)
  })
})

/**
 * The Python that runs the Python snippets: MLX_MANAGER_TEST_PYTHON (CI makes a virtual environment
 * with the official openai and anthropic packages and names it there), else python3.
 */
const PYTHON = process.env.MLX_MANAGER_TEST_PYTHON ?? 'python3'

/** Whether that Python can import a package; the Python snippets run only where it can. */
function pythonHas(module: string): boolean {
  return Bun.spawnSync([PYTHON, '-c', `import ${module}`], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0
}

const hasOpenai = pythonHas('openai')
describe('the openai Python snippet, run by Python', () => {
  test.skipIf(!hasOpenai)(`prints the reply${hasOpenai ? '' : ` (skipped: ${PYTHON} has no openai package; pip install openai, or name a Python that has it in MLX_MANAGER_TEST_PYTHON)`}`, async () => {
    expect(await run([PYTHON, '-c', code('python-openai', false)], { [API_KEY_ENV]: key })).toBe(`${REPLY}\n`)
  })
})

// The Anthropic Messages API is its own feature: its snippets run where it is mounted (401 unsigned, not 404).
const messagesMounted = (await app.call('POST', '/v1/messages', { body: {} })).status !== 404
const anthropicSdk = (() => {
  try {
    Bun.resolveSync('@anthropic-ai/sdk', ROOT)
    return true
  } catch {
    return false
  }
})()
const textOf = (message: { content: { type: string; text?: string }[] }) => message.content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join('')

describe('the Anthropic snippets', () => {
  test.skipIf(!messagesMounted)(`curl to /v1/messages answers with the reply${messagesMounted ? '' : ' (skipped: this build has no POST /v1/messages yet)'}`, async () => {
    expect(textOf(JSON.parse(await bash(code('curl-messages', true))) as { content: { type: string; text?: string }[] })).toBe(REPLY)
  })

  const pyReady = messagesMounted && pythonHas('anthropic')
  test.skipIf(!pyReady)(`the anthropic Python snippet prints the reply${pyReady ? '' : ` (skipped: needs POST /v1/messages and ${PYTHON} with the anthropic package)`}`, async () => {
    expect(await run([PYTHON, '-c', code('python-anthropic', false)], { [API_KEY_ENV]: key })).toBe(`${REPLY}\n`)
  })

  const jsReady = messagesMounted && anthropicSdk
  test.skipIf(!jsReady)(`the @anthropic-ai/sdk snippet prints the reply${jsReady ? '' : ' (skipped: needs POST /v1/messages and the @anthropic-ai/sdk package)'}`, async () => {
    expect(await run(['node', 'hello.mjs'], { [API_KEY_ENV]: key }, project(code('js-anthropic', false)))).toBe(`${REPLY}\n`)
  })
})
