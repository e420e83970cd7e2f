/**
 * The gateway in front of the real mlx_lm.server: a stopped model started on demand by concurrent
 * first requests (once), answers relayed to the official openai client as the engine sent them,
 * the manager's measurements on the finishing chunk, and every request recorded.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import type { ServerState } from '../../shared/servers'
import { freePort } from '../fixtures/engine/harness'
import { startHubFixture, type HubFixture } from '../fixtures/hub/server'
import type { TestApp } from '../server/helpers'
import { buildTinyModel, downloadThrough, engineEnvironment, removeDir, repoFromFolder, realManager } from './setup'

const TINY = 'tiny-org/tiny-gateway-4bit'

let hub: HubFixture
let app: TestApp
let token = ''
let modelDir = ''
let base = ''

beforeAll(async () => {
  const venv = await engineEnvironment()
  modelDir = await buildTinyModel(venv)
  hub = startHubFixture({ repos: [repoFromFolder(TINY, modelDir)], sizes: 'content' })
  ;({ app, token } = await realManager(venv, hub.url, { prefix: 'mlx-manager-real-gateway-' }))
  app.app.listen({ port: 0, hostname: '127.0.0.1' })
  base = `http://127.0.0.1:${app.app.server?.port ?? 0}`
}, 900_000)

afterAll(async () => {
  app?.pool.close()
  await app?.serving.supervisor.stopAll()
  await app?.app.stop(true)
  await hub?.stop()
  if (modelDir !== '') removeDir(modelDir)
})

const api = <T>(method: string, path: string, body?: unknown) => app.json<T>(method, path, { token, ...(body === undefined ? {} : { body }) })

const download = (modelId: string) => downloadThrough(app, token, modelId)

describe('the gateway in front of the real mlx_lm.server', () => {
  test('concurrent first requests start the stopped model once; streamed and whole answers, measured and recorded', async () => {
    await download(TINY)
    const created = await api<Profile>('POST', '/api/profiles', { name: 'Tiny', model: TINY, engine: 'mlx_lm.server', port: await freePort(), aliases: ['gpt-4o-mini'] })
    expect(created.status).toBe(201)
    const tiny = created.body
    const starts: ServerState[] = []
    const unsubscribe = app.bus.subscribe(({ event }) => {
      if (event.type === 'servers.state' && event.data.profileId === tiny.id && event.data.state === 'starting') starts.push(event.data.state)
    })
    const key = (await api<CreatedApiKey>('POST', '/api/keys', { name: 'real' })).body
    const openai = new OpenAI({ apiKey: key.key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 120_000 })
    const hello: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hi' }]

    const answers = await Promise.all([0, 1, 2].map(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 12 })))
    unsubscribe()
    expect(starts).toHaveLength(1)
    for (const answer of answers) {
      expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0)
      expect(answer.usage?.completion_tokens).toBe(12)
      // The engine was asked for the model it was started with, and says so.
      expect(answer.model).toBe(TINY)
    }

    const stream = await openai.chat.completions.create({ model: 'Tiny', messages: hello, max_tokens: 16, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let measured: { time_to_first_token_ms: number; tokens_per_second: number | null } | undefined
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      usage = chunk.usage ?? usage
      const extra = (chunk as unknown as { x_mlx_manager?: typeof measured }).x_mlx_manager
      if (extra !== undefined) measured = extra
    }
    expect(text.length).toBeGreaterThan(0)
    expect(usage?.completion_tokens).toBe(16)
    expect(measured?.time_to_first_token_ms).toBeGreaterThan(0)
    expect(measured?.tokens_per_second).toBeGreaterThan(0)

    const completion = await openai.completions.create({ model: 'Tiny', prompt: 'Once upon a time', max_tokens: 8 })
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0)

    const records = app.metrics.records().filter((record) => record.keyId === key.id)
    expect(records.map((record) => record.endpoint)).toEqual(['chat/completions', 'chat/completions', 'chat/completions', 'chat/completions', 'completions'])
    expect(records.every((record) => record.status === 200 && record.errorCode === null && record.userId === 1)).toBe(true)
    expect(records[3]?.timeToFirstTokenMs).toBeGreaterThan(0)
  }, 180_000)
})
