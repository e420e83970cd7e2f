import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_KEY_ENV, connectSnippets, jsString, pythonString, quickCurl, shellQuote, type ConnectInput, type Snippet } from '../../shared/connect'

const ORIGIN = 'http://192.168.1.20:8080'
const KEY = 'mlxm_0123456789ab_s3cretS3cretS3cret'

/** Names people give profiles that break naive quoting in one language or another. */
const AWKWARD = [`Bob's "fast" model`, 'back\\slash', '$HOME `id` $(id)', 'Qwen3 ✓ 日本語', 'line\u2028separator', "it's !history"]

function snippet(input: ConnectInput, id: string): Snippet {
  const found = connectSnippets(input).find((item) => item.id === id)
  if (found === undefined) throw new Error(`No snippet ${id}`)
  return found
}

interface OpencodeConfig {
  provider: Record<string, { npm: string; options: { baseURL: string; apiKey: string }; models: Record<string, unknown> } | undefined>
  model: string
}

const opencodeOf = (code: string) => JSON.parse(code) as OpencodeConfig

/** Runs shell code with curl, aider and claude replaced by functions printing their words, one a line. */
function inBash(code: string, env: Record<string, string> = {}): string[] {
  const stubs = 'curl() { printf "%s\\n" "$@"; }; aider() { printf "%s\\n" "$@"; }; claude() { printf "%s\\n" "$@"; }'
  const result = spawnSync('bash', ['-c', `${stubs}\n${code}\nprintf "%s\\n" "BASE=$OPENAI_API_BASE" "KEY=$OPENAI_API_KEY" "ABASE=$ANTHROPIC_BASE_URL" "TOKEN=$ANTHROPIC_AUTH_TOKEN" "HAIKU=$ANTHROPIC_DEFAULT_HAIKU_MODEL" "APIKEY=\${ANTHROPIC_API_KEY-none}"`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  })
  if (result.status !== 0) throw new Error(result.stderr)
  // printf "%s\n" splits on nothing but the arguments; JSON bodies hold newlines, so arguments are rejoined below.
  return result.stdout.split('\n')
}

/** The argument after a flag in the words curl was called with (the body spans several lines). */
function curlArgs(code: string, env: Record<string, string> = {}) {
  const stubbed = `${code.replace(/^curl /, 'curl_words=( ')}\n)\nprintf '%s\\0' "\${curl_words[@]}"`
  const result = spawnSync('bash', ['-c', stubbed.replace(/ \\\n/g, ' ')], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })
  if (result.status !== 0) throw new Error(result.stderr)
  const words = result.stdout.split('\0').slice(0, -1)
  const after = (flag: string) => words.filter((_, index) => words[index - 1] === flag)
  return { words, headers: after('-H'), body: JSON.parse(after('-d')[0] ?? 'null') as Record<string, unknown> }
}

describe('quoting for each language', () => {
  it.each(AWKWARD)('a shell reads %j back as it was', (name) => {
    const result = spawnSync('bash', ['-c', `printf %s ${shellQuote(name)}`], { encoding: 'utf8' })
    expect(result.stdout).toBe(name)
  })

  it.each(AWKWARD)('Python reads %j back as it was', (name) => {
    const result = spawnSync('python3', ['-c', 'import ast, sys; sys.stdout.write(ast.literal_eval(sys.stdin.read()))'], {
      input: pythonString(name),
      encoding: 'utf8',
      env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
    })
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe(name)
  })

  it.each(AWKWARD)('JavaScript reads %j back as it was', (name) => {
    expect((0, eval)(jsString(name))).toBe(name)
  })
})

describe('curl snippets', () => {
  it.each(AWKWARD)('send the model %j in a valid JSON body, with the key from the environment when the page has none', (name) => {
    const { headers, body, words } = curlArgs(snippet({ origin: ORIGIN, model: name, key: null }, 'curl-chat').code, { [API_KEY_ENV]: 'from-env' })
    expect(words[0]).toBe(`${ORIGIN}/v1/chat/completions`)
    expect(headers).toContain('Authorization: Bearer from-env')
    expect(Object.keys(body)).toEqual(['model', 'messages'])
    expect(body.model).toBe(name)
  })

  it('carry the key itself while it is known, and ask for a stream in the streamed one', () => {
    const { headers, body, words } = curlArgs(snippet({ origin: `${ORIGIN}/`, model: 'Fox', key: KEY }, 'curl-stream').code)
    expect(words).toContain('-N')
    expect(words).toContain(`${ORIGIN}/v1/chat/completions`)
    expect(headers).toContain(`Authorization: Bearer ${KEY}`)
    expect(body).toMatchObject({ model: 'Fox', stream: true })
  })

  it('reach the Anthropic API with x-api-key and a version header', () => {
    const { headers, body, words } = curlArgs(snippet({ origin: ORIGIN, model: 'Fox', key: KEY }, 'curl-messages').code)
    expect(words[0]).toBe(`${ORIGIN}/v1/messages`)
    expect(headers).toEqual(expect.arrayContaining([`x-api-key: ${KEY}`, 'anthropic-version: 2023-06-01']))
    expect(body.model).toBe('Fox')
    expect(typeof body.max_tokens).toBe('number')
  })

  it('the tile’s curl is the chat one, reading the key from the environment', () => {
    expect(quickCurl({ origin: ORIGIN, model: 'Fox', key: null })).toBe(snippet({ origin: ORIGIN, model: 'Fox', key: null }, 'curl-chat').code)
  })
})

describe('the key: the whole key once, else the environment variable, never anything else', () => {
  it('with no key, every snippet reads MLX_MANAGER_API_KEY the way its language does', () => {
    const all = connectSnippets({ origin: ORIGIN, model: 'Fox', key: null })
    const code = (id: string) => all.find((item) => item.id === id)?.code ?? ''
    expect(all.some((item) => item.code.includes('mlxm_'))).toBe(false)
    expect(all.map((item) => item.id)).not.toContain('env')
    expect(code('python-openai')).toContain(`os.environ["${API_KEY_ENV}"]`)
    expect(code('python-openai')).toMatch(/^import os$/m)
    expect(code('js-openai')).toContain(`process.env.${API_KEY_ENV}`)
    expect(code('js-anthropic')).toContain(`process.env.${API_KEY_ENV}`)
    expect(code('continue')).toContain(`apiKey: \${{ secrets.${API_KEY_ENV} }}`)
    expect(opencodeOf(code('opencode')).provider['mlx-manager']?.options.apiKey).toBe(`{env:${API_KEY_ENV}}`)
    // Cline takes the key in a form field: it says where the key is instead of inventing one.
    expect(code('cline')).toMatch(/^API Key: +the key you saved/m)
  })

  it('with the key, every client that takes one carries it, and the environment line keeps it for the rest', () => {
    const all = connectSnippets({ origin: ORIGIN, model: 'Fox', key: KEY })
    const carrying = all.filter((item) => item.code.includes(KEY)).map((item) => item.id)
    expect(carrying).toEqual(
      expect.arrayContaining(['curl-chat', 'curl-stream', 'curl-models', 'curl-messages', 'python-openai', 'python-anthropic', 'js-openai', 'js-anthropic', 'continue', 'cline', 'aider', 'claude-code', 'opencode', 'env']),
    )
    // Zed keeps keys out of settings.json by design; it reads the variable the env line sets.
    expect(all.find((item) => item.id === 'zed')?.code).not.toContain(KEY)
    expect(all.find((item) => item.id === 'env')?.code).toBe(`export ${API_KEY_ENV}='${KEY}'`)
    expect(all.find((item) => item.id === 'python-openai')?.code).not.toContain('import os')
    expect(all.some((item) => item.code.includes('environ') || item.code.includes('process.env'))).toBe(false)
  })
})

describe('SDK snippets', () => {
  it.each(AWKWARD)('the Python ones are valid Python for the model %j', (name) => {
    for (const id of ['python-openai', 'python-anthropic']) {
      const code = snippet({ origin: ORIGIN, model: name, key: null }, id).code
      const check = spawnSync('python3', ['-c', 'import ast, sys; tree = ast.parse(sys.stdin.read()); print([k.value.value for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords if k.arg == "model"][0], end="")'], {
        input: code,
        encoding: 'utf8',
        env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
      })
      expect(check.stderr).toBe('')
      expect(check.stdout).toBe(name)
    }
  })

  it.each(AWKWARD)('the JavaScript ones are valid modules for the model %j', (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'connect-js-'))
    for (const id of ['js-openai', 'js-anthropic']) {
      const file = join(dir, `${id}.mjs`)
      writeFileSync(file, snippet({ origin: ORIGIN, model: name, key: KEY }, id).code)
      const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' })
      expect(check.stderr).toBe('')
      expect(check.status).toBe(0)
    }
  })

  it('point the OpenAI clients at /v1 and the Anthropic ones at the origin', () => {
    expect(snippet({ origin: ORIGIN, model: 'Fox', key: null }, 'python-openai').code).toContain(`base_url="${ORIGIN}/v1"`)
    expect(snippet({ origin: ORIGIN, model: 'Fox', key: null }, 'python-anthropic').code).toContain(`base_url="${ORIGIN}"`)
    expect(snippet({ origin: ORIGIN, model: 'Fox', key: null }, 'js-openai').code).toContain(`baseURL: "${ORIGIN}/v1"`)
    expect(snippet({ origin: ORIGIN, model: 'Fox', key: null }, 'js-anthropic').code).toContain(`baseURL: "${ORIGIN}"`)
  })
})

describe('editor and agent settings', () => {
  it.each(AWKWARD)('JSON and YAML settings keep the model %j intact', (name) => {
    const input = { origin: ORIGIN, model: name, key: null, contextLength: 65536 }
    const zed = JSON.parse(snippet(input, 'zed').code) as { language_models: { openai_compatible: Record<string, unknown> } }
    expect(zed.language_models.openai_compatible['mlx-manager']).toEqual({
      api_url: `${ORIGIN}/v1`,
      available_models: [{ name, display_name: name, max_tokens: 65536 }],
    })
    const opencode = opencodeOf(snippet(input, 'opencode').code)
    expect(opencode.provider['mlx-manager']).toMatchObject({ npm: '@ai-sdk/openai-compatible', options: { baseURL: `${ORIGIN}/v1` } })
    expect(Object.keys(opencode.provider['mlx-manager']?.models ?? {})).toEqual([name])
    expect(opencode.model).toBe(`mlx-manager/${name}`)
    // YAML 1.2 reads a double-quoted scalar the way JSON reads a string.
    const yaml = snippet(input, 'continue').code
    const scalar = (field: string) => JSON.parse(new RegExp(`^ +(?:- )?${field}: (".*")$`, 'm').exec(yaml)?.[1] ?? 'null') as unknown
    expect(scalar('model')).toBe(name)
    expect(scalar('name')).toBe(name)
    expect(scalar('apiBase')).toBe(`${ORIGIN}/v1`)
    expect(yaml).toMatch(/^ {4}provider: openai$/m)
  })

  it.each(AWKWARD)('Aider and Claude Code get the model %j as one word and the endpoint in their variables', (name) => {
    const aider = inBash(snippet({ origin: ORIGIN, model: name, key: null }, 'aider').code, { [API_KEY_ENV]: 'from-env' })
    expect(aider).toEqual(expect.arrayContaining(['--model', `openai/${name}`, `BASE=${ORIGIN}/v1`, 'KEY=from-env']))
    const claude = inBash(snippet({ origin: ORIGIN, model: name, key: KEY }, 'claude-code').code, { ANTHROPIC_API_KEY: 'would-win' })
    expect(claude).toEqual(expect.arrayContaining(['--model', name, `ABASE=${ORIGIN}`, `TOKEN=${KEY}`, `HAIKU=${name}`, 'APIKEY=none']))
  })

  it('Cline gets its three fields', () => {
    expect(snippet({ origin: ORIGIN, model: 'Fox', key: KEY }, 'cline').code.split('\n')).toEqual([`Base URL: ${ORIGIN}/v1`, `API Key:  ${KEY}`, 'Model ID: Fox'])
  })
})
