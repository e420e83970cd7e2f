/**
 * Anthropic's Messages API on the gateway against the real mlx_lm.server and the tiny model: the
 * official @anthropic-ai/sdk client, a model started on demand, the real engine's answers and
 * streams translated, and a tool conversation in the shape the real engine's chat template takes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import { freePort } from '../fixtures/engine/harness'
import { startHubFixture, type HubFixture } from '../fixtures/hub/server'
import type { TestApp } from '../server/helpers'
import { buildTinyModel, downloadThrough, engineEnvironment, removeDir, repoFromFolder, realManager } from './setup'

const TINY = 'tiny-org/tiny-chatml-4bit'

let hub: HubFixture
let app: TestApp
let token = ''
let modelDir = ''
let anthropic: Anthropic

const api = <T>(method: string, path: string, body?: unknown) => app.json<T>(method, path, { token, ...(body === undefined ? {} : { body }) })

beforeAll(async () => {
  const venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
  modelDir = await buildTinyModel(venv)
  hub = startHubFixture({ repos: [repoFromFolder(TINY, modelDir)], sizes: 'content' })
  ;({ app, token } = await realManager(venv, hub.url, { prefix: 'mlx-manager-real-anthropic-' }))
  await downloadThrough(app, token, TINY)
  const profile = await api<Profile>('POST', '/api/profiles', { name: 'Tiny', model: TINY, engine: 'mlx_lm.server', port: await freePort() })
  if (profile.status !== 201) throw new Error(JSON.stringify(profile.body))
  const key = await api<CreatedApiKey>('POST', '/api/keys', { name: 'anthropic' })
  app.app.listen({ port: 0, hostname: '127.0.0.1' })
  anthropic = new Anthropic({ apiKey: key.body.key, baseURL: `http://127.0.0.1:${app.app.server?.port ?? 0}`, maxRetries: 0 })
}, 900_000)

afterAll(async () => {
  app?.pool.close()
  await app?.serving.supervisor.stopAll()
  await app?.app.stop(true)
  await hub?.stop()
  if (modelDir !== '') removeDir(modelDir)
})

const hello: Anthropic.MessageParam[] = [{ role: 'user', content: 'Hi' }]

describe('POST /v1/messages on the real mlx_lm.server', () => {
  test('not streamed, the model started on demand: its reasoning as a thinking block, its answer as text, max_tokens and usage', async () => {
    const message = await anthropic.messages.create({ model: 'Tiny', max_tokens: 24, thinking: { type: 'enabled', budget_tokens: 16 }, messages: hello })
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text'])
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking.trim()).toBe('Let me think about this')
    expect((message.content[1] as Anthropic.TextBlock).text.trim()).toStartWith('Hello from the tiny model .')
    expect(message.stop_reason).toBe('max_tokens')
    expect(message.usage.output_tokens).toBe(24)
    expect(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(0)
  }, 120_000)

  test('streamed: Anthropic’s events in order from the real engine’s chunks, usage from its last chunk', async () => {
    const stream = anthropic.messages.stream({ model: 'Tiny', max_tokens: 16, messages: hello })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    expect(types[0]).toBe('message_start')
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop'])
    const final = await stream.finalMessage()
    // Thinking was not asked for, so the reasoning is left out.
    expect(final.content.map((block) => block.type)).toEqual(['text'])
    expect((final.content[0] as Anthropic.TextBlock).text.trim()).toStartWith('Hello from the tiny')
    expect(final.stop_reason).toBe('max_tokens')
    expect(final.usage.output_tokens).toBe(16)
    expect(final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(0)
  }, 60_000)

  test('thinking disabled reaches the chat template: the prompt no longer opens <think>', async () => {
    const prompt = (usage: Anthropic.Usage) => usage.input_tokens + (usage.cache_read_input_tokens ?? 0)
    const on = await anthropic.messages.create({ model: 'Tiny', max_tokens: 4, thinking: { type: 'enabled', budget_tokens: 16 }, messages: hello })
    const off = await anthropic.messages.create({ model: 'Tiny', max_tokens: 4, thinking: { type: 'disabled' }, messages: hello })
    expect(prompt(off.usage)).toBe(prompt(on.usage) - 1)
  }, 60_000)

  test('a tool conversation (tools, tool_use, tool_result) is taken by the real engine’s chat template', async () => {
    const tool: Anthropic.Tool = { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }
    const message = await anthropic.messages.create({
      model: 'Tiny',
      max_tokens: 8,
      system: 'You are a helpful assistant.',
      tools: [tool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' }, { type: 'text', text: 'Thanks.' }] },
      ],
    })
    expect(message.type).toBe('message')
    expect(message.usage.output_tokens).toBe(8)
    expect(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(20)
  }, 60_000)
})
