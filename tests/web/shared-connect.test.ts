import { describe, expect, it } from 'vitest'
import {
  API_KEY_ENV,
  baseOrigin,
  connectSnippets,
  jsString,
  openaiBaseUrl,
  pythonString,
  quickCurl,
  shellQuote,
  yamlString,
  type ConnectInput,
  type Snippet,
} from '../../shared/connect'

/**
 * The Connect page's snippets as text (shared/connect.ts), without running them (tests/web/connect.test.ts
 * runs them): how the page groups and highlights each, the instructions beside it, and the lines
 * a client needs that the running tests do not read back.
 */

const ORIGIN = 'http://studio.local:8080'
const KEY = 'mlxm_0123456789ab_s3cret'
const withoutKey: ConnectInput = { origin: ORIGIN, model: 'qwen3-8b', key: null }
const withKey: ConnectInput = { ...withoutKey, key: KEY }

function snippet(input: ConnectInput, id: string): Snippet {
  const found = connectSnippets(input).find((item) => item.id === id)
  if (found === undefined) throw new Error(`No snippet ${id}`)
  return found
}

describe('addresses and literals', () => {
  it('drops every trailing slash of the origin, and the OpenAI base adds /v1', () => {
    expect(baseOrigin(`${ORIGIN}///`)).toBe(ORIGIN)
    expect(baseOrigin(ORIGIN)).toBe(ORIGIN)
    expect(openaiBaseUrl(`${ORIGIN}/`)).toBe(`${ORIGIN}/v1`)
  })

  it('escapes the line and paragraph separators so a literal stays on one line', () => {
    expect(pythonString('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"')
    expect(jsString('a\u2028b')).toBe('"a\\u2028b"')
    expect(yamlString('say "hi"')).toBe('"say \\"hi\\""')
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })
})

describe('how the page shows the snippets', () => {
  it('lists every snippet in page order, each in its group and highlighted as its language', () => {
    const shown = connectSnippets(withKey).map(({ id, group, language }) => `${group}/${id}:${language}`)
    expect(shown).toEqual([
      'curl/curl-chat:shell',
      'curl/curl-stream:shell',
      'curl/curl-models:shell',
      'curl/curl-messages:shell',
      'python/python-openai:python',
      'python/python-anthropic:python',
      'javascript/js-openai:javascript',
      'javascript/js-anthropic:javascript',
      'tools/continue:yaml',
      'tools/zed:json',
      'tools/cline:text',
      'tools/aider:shell',
      'tools/claude-code:shell',
      'tools/opencode:json',
      'tools/env:shell',
    ])
  })

  it('titles each snippet for the client it is for', () => {
    expect(connectSnippets(withKey).map((item) => item.title)).toEqual([
      'Chat completion',
      'Chat completion, streamed',
      'Models this key may use',
      'Anthropic Messages API',
      'openai',
      'anthropic',
      'openai',
      '@anthropic-ai/sdk',
      'Continue',
      'Zed',
      'Cline / Roo Code',
      'Aider',
      'Claude Code',
      'opencode',
      'The key in your shell',
    ])
  })

  it('says what to install and where each setting goes', () => {
    expect(snippet(withoutKey, 'python-openai').hint).toBe('pip install openai')
    expect(snippet(withoutKey, 'python-anthropic').hint).toBe('pip install anthropic')
    expect(snippet(withoutKey, 'js-openai').hint).toBe('npm install openai, then save as hello.mjs and run node hello.mjs')
    expect(snippet(withoutKey, 'js-anthropic').hint).toBe('npm install @anthropic-ai/sdk, then save as hello.mjs and run node hello.mjs')
    expect(snippet(withoutKey, 'zed').hint).toContain(`Zed reads the key from ${API_KEY_ENV}`)
    expect(snippet(withKey, 'env').hint).toBe(`Zed, and these snippets without the key in them, read it from ${API_KEY_ENV}.`)
  })

  it('tells where the key goes when the snippet reads it from the environment', () => {
    expect(snippet(withoutKey, 'continue').hint).toBe(`~/.continue/config.yaml; put ${API_KEY_ENV}=<your key> in ~/.continue/.env.`)
    expect(snippet(withKey, 'continue').hint).toBe('~/.continue/config.yaml (or a models entry in yours).')
    expect(snippet(withoutKey, 'opencode').hint).toBe(`opencode.json in the project (or ~/.config/opencode/opencode.json); the key comes from ${API_KEY_ENV}.`)
    expect(snippet(withKey, 'opencode').hint).toBe('opencode.json in the project (or ~/.config/opencode/opencode.json).')
  })
})

describe('what each client is sent', () => {
  it('curl sends JSON with the greeting, one field a line', () => {
    expect(quickCurl(withKey)).toBe(
      [
        `curl '${ORIGIN}/v1/chat/completions' \\`,
        `  -H 'Authorization: Bearer ${KEY}' \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d '{`,
        `    "model": "qwen3-8b",`,
        `    "messages": [{"role": "user", "content": "Hello! Who are you?"}]`,
        `  }'`,
      ].join('\n'),
    )
    expect(snippet(withoutKey, 'curl-stream').code.split('\n').slice(0, 4)).toEqual([
      `curl -N '${ORIGIN}/v1/chat/completions' \\`,
      `  -H "Authorization: Bearer $${API_KEY_ENV}" \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d '{`,
    ])
    expect(snippet(withoutKey, 'curl-messages').code.split('\n').slice(0, 5)).toEqual([
      `curl '${ORIGIN}/v1/messages' \\`,
      `  -H "x-api-key: $${API_KEY_ENV}" \\`,
      `  -H 'anthropic-version: 2023-06-01' \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d '{`,
    ])
  })

  it('the models list needs only the key', () => {
    expect(snippet(withoutKey, 'curl-models').code).toBe(`curl '${ORIGIN}/v1/models' \\\n  -H "Authorization: Bearer $${API_KEY_ENV}"`)
  })

  it('the Python clients greet the model and print its answer', () => {
    const openai = snippet(withKey, 'python-openai').code
    expect(openai).toBe(
      [
        'from openai import OpenAI',
        '',
        `client = OpenAI(base_url="${ORIGIN}/v1", api_key="${KEY}")`,
        'completion = client.chat.completions.create(',
        '    model="qwen3-8b",',
        '    messages=[{"role": "user", "content": "Hello! Who are you?"}],',
        ')',
        'print(completion.choices[0].message.content)',
      ].join('\n'),
    )
    const anthropic = snippet(withoutKey, 'python-anthropic').code
    expect(anthropic.split('\n').slice(0, 3)).toEqual(['import os', '', 'import anthropic'])
    expect(anthropic).toContain(`api_key=os.environ["${API_KEY_ENV}"])`)
    expect(anthropic).toContain('    max_tokens=1024,\n    messages=[{"role": "user", "content": "Hello! Who are you?"}],')
    expect(anthropic.endsWith('print("".join(block.text for block in message.content if block.type == "text"))')).toBe(true)
  })

  it('the JavaScript clients stream or print the answer', () => {
    const openai = snippet(withoutKey, 'js-openai').code.split('\n')
    expect(openai[0]).toBe('import OpenAI from "openai"')
    expect(openai).toContain('  model: "qwen3-8b",')
    expect(openai).toContain('  messages: [{ role: "user", content: "Hello! Who are you?" }],')
    expect(openai).toContain('  stream: true,')
    expect(openai.slice(-2)).toEqual(['for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "")', 'process.stdout.write("\\n")'])
    const anthropic = snippet(withKey, 'js-anthropic').code.split('\n')
    expect(anthropic[0]).toBe('import Anthropic from "@anthropic-ai/sdk"')
    expect(anthropic.slice(3, 7)).toEqual(['const message = await client.messages.create({', '  model: "qwen3-8b",', '  max_tokens: 1024,', '  messages: [{ role: "user", content: "Hello! Who are you?" }],'])
    expect(anthropic.at(-1)).toBe('console.log(message.content.filter((block) => block.type === "text").map((block) => block.text).join(""))')
  })

  it('Continue gets a complete config file', () => {
    expect(snippet(withKey, 'continue').code.split('\n')).toEqual([
      'name: MLX Manager',
      'version: 0.0.1',
      'schema: v1',
      'models:',
      '  - name: "qwen3-8b"',
      '    provider: openai',
      '    model: "qwen3-8b"',
      `    apiBase: "${ORIGIN}/v1"`,
      `    apiKey: "${KEY}"`,
    ])
  })

  it('Zed sizes its context by the profile, else by the common 32768', () => {
    const maxTokens = (input: ConnectInput) =>
      (JSON.parse(snippet(input, 'zed').code) as { language_models: { openai_compatible: Record<string, { available_models: { max_tokens: number }[] }> } })
        .language_models.openai_compatible['mlx-manager']?.available_models[0]?.max_tokens
    expect(maxTokens(withoutKey)).toBe(32768)
    expect(maxTokens({ ...withoutKey, contextLength: null })).toBe(32768)
    expect(maxTokens({ ...withoutKey, contextLength: 131072 })).toBe(131072)
  })

  it('opencode names the provider and the model as the gateway knows them', () => {
    const config = JSON.parse(snippet(withKey, 'opencode').code) as Record<string, unknown>
    expect(config).toEqual({
      $schema: 'https://opencode.ai/config.json',
      provider: {
        'mlx-manager': { npm: '@ai-sdk/openai-compatible', name: 'MLX Manager', options: { baseURL: `${ORIGIN}/v1`, apiKey: KEY }, models: { 'qwen3-8b': { name: 'qwen3-8b' } } },
      },
      model: 'mlx-manager/qwen3-8b',
    })
  })

  it('Aider and Claude Code read the key from the environment when the page has none', () => {
    expect(snippet(withoutKey, 'aider').code.split('\n')).toEqual([
      `export OPENAI_API_BASE='${ORIGIN}/v1'`,
      `export OPENAI_API_KEY="$${API_KEY_ENV}"`,
      `aider --model 'openai/qwen3-8b'`,
    ])
    expect(snippet(withoutKey, 'claude-code').code.split('\n')).toEqual([
      `export ANTHROPIC_BASE_URL='${ORIGIN}'`,
      `export ANTHROPIC_AUTH_TOKEN="$${API_KEY_ENV}"`,
      'unset ANTHROPIC_API_KEY',
      `export ANTHROPIC_DEFAULT_HAIKU_MODEL='qwen3-8b'`,
      `claude --model 'qwen3-8b'`,
    ])
  })
})
