/**
 * Copyable ways to reach the manager's /v1 endpoint from clients: curl, the official SDKs, and the
 * settings of editors and agents. Pure: the page and the server tiles render the same text.
 */

/** Where snippets read the key from when the page does not hold it (it is shown only once). */
export const API_KEY_ENV = 'MLX_MANAGER_API_KEY'

/** The provider id snippets register in tools that name providers (Zed derives `MLX_MANAGER_API_KEY` from it). */
export const PROVIDER_ID = 'mlx-manager'

export interface ConnectInput {
  /** The manager's origin as the client reaches it, such as `http://192.168.1.20:8080`. */
  origin: string
  /** The model name a request sends: a profile name. */
  model: string
  /** The whole key, only while it is known (just created); null reads it from `MLX_MANAGER_API_KEY`. */
  key: string | null
  /** The profile's context length, when it sets one: editors size their context by it. */
  contextLength?: number | null
}

/** What editors assume when the profile leaves the context length to the engine. */
const DEFAULT_CONTEXT = 32768

export type SnippetGroup = 'curl' | 'python' | 'javascript' | 'tools'
export type SnippetLanguage = 'shell' | 'python' | 'javascript' | 'yaml' | 'json' | 'text'

export interface Snippet {
  id: string
  group: SnippetGroup
  title: string
  language: SnippetLanguage
  /** Where it goes or what to do with it, one sentence. */
  hint: string
  code: string
}

export const SNIPPET_GROUPS: readonly { id: SnippetGroup; label: string }[] = [
  { id: 'curl', label: 'curl' },
  { id: 'python', label: 'Python' },
  { id: 'javascript', label: 'JavaScript' },
  { id: 'tools', label: 'Editors & agents' },
]

/** The origin without a trailing slash (the Anthropic clients append `/v1/messages` themselves). */
export function baseOrigin(origin: string): string {
  return origin.replace(/\/+$/, '')
}

/** The OpenAI-compatible base URL. */
export function openaiBaseUrl(origin: string): string {
  return `${baseOrigin(origin)}/v1`
}

/** One word for a POSIX shell: single quotes, each `'` closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * A Python string literal. JSON's escapes (\" \\ \n \uXXXX …) mean the same in Python; the
 * separators U+2028/2029 are escaped too so the line stays one line in any editor.
 */
export function pythonString(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/** A JavaScript string literal (JSON's is one). */
export function jsString(value: string): string {
  return pythonString(value)
}

/** A YAML scalar: YAML 1.2 reads a JSON string as a double-quoted scalar. */
export function yamlString(value: string): string {
  return pythonString(value)
}

const HELLO = 'Hello! Who are you?'
const BEARER = 'Authorization: Bearer '

/**
 * A request body as a readable JSON block for `curl -d`: one field a line, the message on one line.
 * Every value goes through JSON.stringify, so any model name stays valid JSON.
 */
function jsonBody(fields: Record<string, unknown>): string {
  const lines = Object.entries(fields).map(([name, value]) => `    ${JSON.stringify(name)}: ${compactJson(value)}`)
  return `{\n${lines.join(',\n')}\n  }`
}

/** JSON on one line with a space after each `:` and `,`, as people write it. */
function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(', ')}]`
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).map(([name, item]) => `${JSON.stringify(name)}: ${compactJson(item)}`).join(', ')}}`
  }
  return JSON.stringify(value)
}

const MESSAGES = [{ role: 'user', content: HELLO }]

function chatBody(model: string, stream: boolean): string {
  return jsonBody(stream ? { model, messages: MESSAGES, stream: true } : { model, messages: MESSAGES })
}

/** How each language spells the key: the key itself, or a read of the environment variable. */
function keyIn(input: ConnectInput) {
  const key = input.key
  return {
    /** A header as one shell word; the variable's form is double-quoted so `$MLX_MANAGER_API_KEY` expands. */
    shellHeader: (prefix: string) => (key === null ? `"${prefix}$${API_KEY_ENV}"` : shellQuote(`${prefix}${key}`)),
    shellValue: key === null ? `"$${API_KEY_ENV}"` : shellQuote(key),
    python: key === null ? `os.environ[${pythonString(API_KEY_ENV)}]` : pythonString(key),
    js: key === null ? `process.env.${API_KEY_ENV}` : jsString(key),
  }
}

function curlSnippets(input: ConnectInput): Snippet[] {
  const origin = baseOrigin(input.origin)
  const key = keyIn(input)
  const v1 = openaiBaseUrl(origin)
  return [
    {
      id: 'curl-chat',
      group: 'curl',
      title: 'Chat completion',
      language: 'shell',
      hint: 'Paste into a terminal.',
      code: [
        `curl ${shellQuote(`${v1}/chat/completions`)} \\`,
        `  -H ${key.shellHeader(BEARER)} \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d ${shellQuote(chatBody(input.model, false))}`,
      ].join('\n'),
    },
    {
      id: 'curl-stream',
      group: 'curl',
      title: 'Chat completion, streamed',
      language: 'shell',
      hint: 'Tokens arrive as server-sent events while the model writes.',
      code: [
        `curl -N ${shellQuote(`${v1}/chat/completions`)} \\`,
        `  -H ${key.shellHeader(BEARER)} \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d ${shellQuote(chatBody(input.model, true))}`,
      ].join('\n'),
    },
    {
      id: 'curl-models',
      group: 'curl',
      title: 'Models this key may use',
      language: 'shell',
      hint: 'Lists the names to send as "model".',
      code: `curl ${shellQuote(`${v1}/models`)} \\\n  -H ${key.shellHeader(BEARER)}`,
    },
    {
      id: 'curl-messages',
      group: 'curl',
      title: 'Anthropic Messages API',
      language: 'shell',
      hint: 'The same models through Anthropic’s API shape.',
      code: [
        `curl ${shellQuote(`${origin}/v1/messages`)} \\`,
        `  -H ${key.shellHeader('x-api-key: ')} \\`,
        `  -H 'anthropic-version: 2023-06-01' \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d ${shellQuote(jsonBody({ model: input.model, max_tokens: 1024, messages: MESSAGES }))}`,
      ].join('\n'),
    },
  ]
}

function pythonSnippets(input: ConnectInput): Snippet[] {
  const key = keyIn(input)
  const imports = input.key === null ? 'import os\n\n' : ''
  return [
    {
      id: 'python-openai',
      group: 'python',
      title: 'openai',
      language: 'python',
      hint: 'pip install openai',
      code: [
        `${imports}from openai import OpenAI`,
        '',
        `client = OpenAI(base_url=${pythonString(openaiBaseUrl(input.origin))}, api_key=${key.python})`,
        'completion = client.chat.completions.create(',
        `    model=${pythonString(input.model)},`,
        `    messages=[{"role": "user", "content": ${pythonString(HELLO)}}],`,
        ')',
        'print(completion.choices[0].message.content)',
      ].join('\n'),
    },
    {
      id: 'python-anthropic',
      group: 'python',
      title: 'anthropic',
      language: 'python',
      hint: 'pip install anthropic',
      code: [
        `${imports}import anthropic`,
        '',
        `client = anthropic.Anthropic(base_url=${pythonString(baseOrigin(input.origin))}, api_key=${key.python})`,
        'message = client.messages.create(',
        `    model=${pythonString(input.model)},`,
        '    max_tokens=1024,',
        `    messages=[{"role": "user", "content": ${pythonString(HELLO)}}],`,
        ')',
        'print("".join(block.text for block in message.content if block.type == "text"))',
      ].join('\n'),
    },
  ]
}

function javascriptSnippets(input: ConnectInput): Snippet[] {
  const key = keyIn(input)
  return [
    {
      id: 'js-openai',
      group: 'javascript',
      title: 'openai',
      language: 'javascript',
      hint: 'npm install openai, then save as hello.mjs and run node hello.mjs',
      code: [
        'import OpenAI from "openai"',
        '',
        `const client = new OpenAI({ baseURL: ${jsString(openaiBaseUrl(input.origin))}, apiKey: ${key.js} })`,
        'const stream = await client.chat.completions.create({',
        `  model: ${jsString(input.model)},`,
        `  messages: [{ role: "user", content: ${jsString(HELLO)} }],`,
        '  stream: true,',
        '})',
        'for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "")',
        'process.stdout.write("\\n")',
      ].join('\n'),
    },
    {
      id: 'js-anthropic',
      group: 'javascript',
      title: '@anthropic-ai/sdk',
      language: 'javascript',
      hint: 'npm install @anthropic-ai/sdk, then save as hello.mjs and run node hello.mjs',
      code: [
        'import Anthropic from "@anthropic-ai/sdk"',
        '',
        `const client = new Anthropic({ baseURL: ${jsString(baseOrigin(input.origin))}, apiKey: ${key.js} })`,
        'const message = await client.messages.create({',
        `  model: ${jsString(input.model)},`,
        '  max_tokens: 1024,',
        `  messages: [{ role: "user", content: ${jsString(HELLO)} }],`,
        '})',
        'console.log(message.content.filter((block) => block.type === "text").map((block) => block.text).join(""))',
      ].join('\n'),
    },
  ]
}

function toolSnippets(input: ConnectInput): Snippet[] {
  const origin = baseOrigin(input.origin)
  const v1 = openaiBaseUrl(origin)
  const key = keyIn(input)
  const model = input.model
  return [
    {
      id: 'continue',
      group: 'tools',
      title: 'Continue',
      language: 'yaml',
      hint:
        input.key === null
          ? `~/.continue/config.yaml; put ${API_KEY_ENV}=<your key> in ~/.continue/.env.`
          : '~/.continue/config.yaml (or a models entry in yours).',
      code: [
        'name: MLX Manager',
        'version: 0.0.1',
        'schema: v1',
        'models:',
        `  - name: ${yamlString(model)}`,
        '    provider: openai',
        `    model: ${yamlString(model)}`,
        `    apiBase: ${yamlString(v1)}`,
        `    apiKey: ${input.key === null ? `\${{ secrets.${API_KEY_ENV} }}` : yamlString(input.key)}`,
      ].join('\n'),
    },
    {
      id: 'zed',
      group: 'tools',
      title: 'Zed',
      language: 'json',
      hint: `settings.json. Zed reads the key from ${API_KEY_ENV} (from the provider id) or asks for it under Settings → AI → LLM Providers; keys never go in settings.json.`,
      code: JSON.stringify(
        {
          language_models: {
            openai_compatible: {
              [PROVIDER_ID]: {
                api_url: v1,
                available_models: [{ name: model, display_name: model, max_tokens: input.contextLength ?? DEFAULT_CONTEXT }],
              },
            },
          },
        },
        null,
        2,
      ),
    },
    {
      id: 'cline',
      group: 'tools',
      title: 'Cline / Roo Code',
      language: 'text',
      hint: 'Settings → API Provider: “OpenAI Compatible”, then these fields.',
      code: [`Base URL: ${v1}`, `API Key:  ${input.key ?? 'the key you saved when you created it'}`, `Model ID: ${model}`].join('\n'),
    },
    {
      id: 'aider',
      group: 'tools',
      title: 'Aider',
      language: 'shell',
      hint: 'In the project folder.',
      code: [`export OPENAI_API_BASE=${shellQuote(v1)}`, `export OPENAI_API_KEY=${key.shellValue}`, `aider --model ${shellQuote(`openai/${model}`)}`].join('\n'),
    },
    {
      id: 'claude-code',
      group: 'tools',
      title: 'Claude Code',
      language: 'shell',
      hint: 'Through the Anthropic Messages API; background tasks use the same model.',
      code: [
        `export ANTHROPIC_BASE_URL=${shellQuote(origin)}`,
        `export ANTHROPIC_AUTH_TOKEN=${key.shellValue}`,
        // A set ANTHROPIC_API_KEY would win over the token and send a different key.
        'unset ANTHROPIC_API_KEY',
        `export ANTHROPIC_DEFAULT_HAIKU_MODEL=${shellQuote(model)}`,
        `claude --model ${shellQuote(model)}`,
      ].join('\n'),
    },
    {
      id: 'opencode',
      group: 'tools',
      title: 'opencode',
      language: 'json',
      hint:
        input.key === null
          ? `opencode.json in the project (or ~/.config/opencode/opencode.json); the key comes from ${API_KEY_ENV}.`
          : 'opencode.json in the project (or ~/.config/opencode/opencode.json).',
      code: JSON.stringify(
        {
          $schema: 'https://opencode.ai/config.json',
          provider: {
            [PROVIDER_ID]: {
              npm: '@ai-sdk/openai-compatible',
              name: 'MLX Manager',
              options: { baseURL: v1, apiKey: input.key ?? `{env:${API_KEY_ENV}}` },
              models: { [model]: { name: model } },
            },
          },
          model: `${PROVIDER_ID}/${model}`,
        },
        null,
        2,
      ),
    },
    ...envSnippet(input),
  ]
}

/** With the key at hand: the line that keeps it for tools reading the environment, after this page forgets it. */
function envSnippet(input: ConnectInput): Snippet[] {
  if (input.key === null) return []
  return [
    {
      id: 'env',
      group: 'tools',
      title: 'The key in your shell',
      language: 'shell',
      hint: `Zed, and these snippets without the key in them, read it from ${API_KEY_ENV}.`,
      code: `export ${API_KEY_ENV}=${shellQuote(input.key)}`,
    },
  ]
}

/** Every snippet for this origin, model and key, grouped as the page shows them. */
export function connectSnippets(input: ConnectInput): Snippet[] {
  return [...curlSnippets(input), ...pythonSnippets(input), ...javascriptSnippets(input), ...toolSnippets(input)]
}

/** The one snippet a server tile shows. */
export function quickCurl(input: ConnectInput): string {
  return curlSnippets(input)[0]?.code ?? ''
}
