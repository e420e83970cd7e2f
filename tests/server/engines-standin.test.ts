import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ENGINE_DIR, eventually, freePort, standinEnv } from '../fixtures/engine/harness'

const running: ReturnType<typeof Bun.spawn>[] = []
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL')
  await Promise.all(running.map((child) => child.exited))
})

function run(name: 'mlx-openai-server' | 'mlx_lm.server', args: string[], env: Record<string, string> = {}) {
  return Bun.spawn([join(ENGINE_DIR, name), ...args], { env: standinEnv(env), stdout: 'pipe', stderr: 'pipe' })
}

async function finished(child: ReturnType<typeof run>) {
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()])
  return { code, stdout, stderr }
}

async function serve(name: 'mlx-openai-server' | 'mlx_lm.server', model: string, extra: string[] = [], env: Record<string, string> = {}) {
  const port = await freePort()
  const args = name === 'mlx-openai-server' ? ['launch', '--model-path', model, '--host', '127.0.0.1', '--port', String(port), ...extra] : ['--model', model, '--host', '127.0.0.1', '--port', String(port), ...extra]
  const child = run(name, args, env)
  running.push(child)
  const base = `http://127.0.0.1:${port}`
  await eventually(async () => {
    try {
      return (await fetch(`${base}/v1/models`)).status === 200
    } catch {
      return false
    }
  })
  return base
}

interface Chunk {
  object: string
  choices: { delta?: Record<string, unknown>; text?: string; finish_reason: string | null }[]
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
}

async function streamed(response: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const text = await response.text()
  const data = text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length))
  return { chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk), done: data[data.length - 1] === '[DONE]' }
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('the stand-in engine’s command lines', () => {
  test('versions', async () => {
    expect((await finished(run('mlx-openai-server', ['--version']))).stdout).toContain('Version: 1.8.1')
    expect((await finished(run('mlx_lm.server', ['--version']))).stdout.trim()).toBe('mlx_lm.server 0.32.2')
  })

  test('unknown flags and bad values fail as Click and argparse do, with exit code 2', async () => {
    const click = await finished(run('mlx-openai-server', ['launch', '--model-path', 'a/b', '--bogus']))
    expect(click.code).toBe(2)
    expect(click.stderr).toBe("Usage: mlx-openai-server launch [OPTIONS]\nTry 'mlx-openai-server launch --help' for help.\n\nError: No such option: --bogus\n")
    const missing = await finished(run('mlx-openai-server', ['launch']))
    expect(missing.stderr).toContain('Error: Either --config (multi-handler YAML) or --model-path (single model) is required.')
    const choice = await finished(run('mlx-openai-server', ['launch', '--model-path', 'a/b', '--model-type', 'video']))
    expect(choice.stderr).toContain("Error: Invalid value for '--model-type': 'video' is not one of 'lm', 'multimodal'")
    const argparse = await finished(run('mlx_lm.server', ['--model', 'a/b', '--bogus', '1']))
    expect(argparse.code).toBe(2)
    expect(argparse.stderr).toMatch(/^usage: mlx_lm\.server \[-h\] \[--model MODEL\]/)
    expect(argparse.stderr).toContain('mlx_lm.server: error: unrecognized arguments: --bogus 1')
    const type = await finished(run('mlx_lm.server', ['--port', 'abc']))
    expect(type.stderr).toContain("mlx_lm.server: error: argument --port: invalid int value: 'abc'")
  })

  test('help lists the flags and choices an adapter reads', async () => {
    const help = await finished(run('mlx-openai-server', ['launch', '--help']))
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--tool-call-parser [functiongemma|gemma4|glm4_moe|')
    expect(help.stdout).toContain('--chat-template-file TEXT')
    expect((await finished(run('mlx_lm.server', ['--help']))).stdout).toContain('--max-tokens MAX_TOKENS')
  })
})

describe('the stand-in engine’s OpenAI API', () => {
  test('mlx-openai-server: /health is 503 while loading; streaming chat with reasoning_content and a final usage chunk', async () => {
    const port = await freePort()
    const child = run('mlx-openai-server', ['launch', '--model-path', 'standin/load-600ms', '--host', '127.0.0.1', '--port', String(port), '--reasoning-parser', 'qwen3'])
    running.push(child)
    const base = `http://127.0.0.1:${port}`
    await eventually(async () => {
      try {
        return (await fetch(`${base}/health`)).status === 503
      } catch {
        return false
      }
    })
    await eventually(async () => (await fetch(`${base}/health`)).status === 200)
    const response = await post(`${base}/v1/chat/completions`, {
      messages: [{ role: 'user', content: 'hello there' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const { chunks, done } = await streamed(response)
    expect(done).toBe(true)
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
    const reasoning = chunks.flatMap((c) => (typeof c.choices[0]?.delta?.reasoning_content === 'string' ? [c.choices[0].delta.reasoning_content] : []))
    const content = chunks.flatMap((c) => (typeof c.choices[0]?.delta?.content === 'string' ? [c.choices[0].delta.content] : []))
    expect(reasoning.join('')).toBe('Let me think about what was asked. A short answer will do.')
    expect(content.join('')).toBe('This is the stand-in engine answering: hello there')
    const finish = chunks.find((c) => c.choices[0]?.finish_reason !== null && c.choices[0]?.finish_reason !== undefined)
    expect(finish?.choices[0]?.finish_reason).toBe('stop')
    const last = chunks[chunks.length - 1]
    expect(last?.choices).toEqual([])
    expect(last?.usage).toEqual({ prompt_tokens: 2, completion_tokens: reasoning.length + content.length - 1, total_tokens: 2 + reasoning.length + content.length - 1 })
  })

  test('mlx_lm.server: reasoning arrives in `reasoning`; max_tokens ends with finish_reason length', async () => {
    const base = await serve('mlx_lm.server', 'standin/reasoning')
    const response = await post(`${base}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 })
    const body = (await response.json()) as { choices: { message: Record<string, unknown>; finish_reason: string }[]; usage: { completion_tokens: number } }
    expect(body.choices[0]?.finish_reason).toBe('length')
    expect(body.choices[0]?.message.reasoning).toBe('The user asked')
    expect(body.usage.completion_tokens).toBe(3)
  })

  test('a tool call when the user names an offered tool', async () => {
    const base = await serve('mlx-openai-server', 'mlx-community/Qwen3-4B-4bit')
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]
    const { chunks } = await streamed(await post(`${base}/v1/chat/completions`, { messages: [{ role: 'user', content: 'use get_weather' }], tools, stream: true }))
    const call = chunks.find((c) => Array.isArray(c.choices[0]?.delta?.tool_calls))?.choices[0]?.delta?.tool_calls as { function: { name: string; arguments: string } }[]
    expect(call[0]?.function).toEqual({ name: 'get_weather', arguments: '{"city":"example"}' })
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true)
  })

  test('text completions, streamed and not, at the configured token rate', async () => {
    const base = await serve('mlx_lm.server', 'mlx-community/Qwen3-4B-4bit', [], { STANDIN_TOKENS_PER_SECOND: '100', STANDIN_REPLY: 'one two three four five six seven eight nine ten' })
    const started = performance.now()
    const { chunks, done } = await streamed(await post(`${base}/v1/completions`, { prompt: 'count', stream: true }))
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    expect(done).toBe(true)
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true)
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('one two three four five six seven eight nine ten')
    const whole = (await (await post(`${base}/v1/completions`, { prompt: 'count', max_tokens: 2 })).json()) as { choices: { text: string }[] }
    expect(whole.choices[0]?.text).toBe('one two')
  })

  test('embeddings: one unit vector per input, the same for the same text', async () => {
    const base = await serve('mlx-openai-server', 'mlx-community/bge-small', ['--model-type', 'embeddings'])
    const body = (await (await post(`${base}/v1/embeddings`, { input: ['a', 'b', 'a'], model: 'x' })).json()) as { data: { index: number; embedding: number[] }[] }
    expect(body.data.map((d) => d.index)).toEqual([0, 1, 2])
    expect(body.data[0]?.embedding).toEqual(body.data[2]?.embedding ?? [])
    expect(Math.hypot(...(body.data[1]?.embedding ?? []))).toBeCloseTo(1, 5)
    expect((await post(`${base}/v1/chat/completions`, { messages: [] })).status).toBe(400)
  })
})
