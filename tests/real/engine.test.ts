/**
 * The product against the real mlx_lm.server and a real (tiny) model: installed by the manager's
 * own installer code, served from the local hub as an ordinary repo, driven through the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EngineManagement } from '../../shared/engines'
import type { EngineInfo, Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { freePort } from '../fixtures/engine/harness'
import { startHubFixture, type HubFixture } from '../fixtures/hub/server'
import { sseReader, type SseEvent, type TestApp } from '../server/helpers'
import { buildTinyModel, downloadThrough, engineEnvironment, removeDir, repoFromFolder, realManager } from './setup'

const TINY = 'tiny-org/tiny-chatml-4bit'
const CORRUPT = 'tiny-org/tiny-corrupt-4bit'

let hub: HubFixture
let app: TestApp
let token = ''
let modelDir = ''

beforeAll(async () => {
  const venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
  modelDir = await buildTinyModel(venv)
  const weights = new Uint8Array(readFileSync(join(modelDir, 'model.safetensors')))
  hub = startHubFixture({ repos: [repoFromFolder(TINY, modelDir), repoFromFolder(CORRUPT, modelDir, weights.subarray(0, 5000))], sizes: 'content' })
  ;({ app, token } = await realManager(venv, hub.url, { prefix: 'mlx-manager-real-' }))
}, 900_000)

afterAll(async () => {
  await app?.serving.supervisor.stopAll()
  await hub?.stop()
  if (modelDir !== '') removeDir(modelDir)
})

const api = <T>(method: string, path: string, body?: unknown) => app.json<T>(method, path, { token, ...(body === undefined ? {} : { body }) })

const download = (modelId: string) => downloadThrough(app, token, modelId)

async function profile(name: string, model: string, port?: number): Promise<Profile> {
  const created = await api<Profile>('POST', '/api/profiles', { name, model, engine: 'mlx_lm.server', port: port ?? (await freePort()) })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  return created.body
}

async function chat(profileId: number, maxTokens: number, stopAfterTokens?: number): Promise<SseEvent[]> {
  const controller = new AbortController()
  const response = await app.call('POST', '/api/chat', { token, signal: controller.signal, body: { profileId, maxTokens, messages: [{ role: 'user', content: 'Hi' }] } })
  expect(response.status).toBe(200)
  const reader = sseReader(response)
  const events: SseEvent[] = []
  for (;;) {
    const batch = await reader.next(1, 30_000)
    if (batch.length === 0) throw new Error(`chat stalled after ${JSON.stringify(events.slice(-3))}`)
    events.push(...batch)
    const last = events.at(-1)
    if (last?.event === 'done' || last?.event === 'error') return events
    if (stopAfterTokens !== undefined && events.filter((event) => event.event === 'token').length >= stopAfterTokens) {
      controller.abort()
      return events
    }
  }
}

const text = (events: SseEvent[], kind: string) => events.filter((event) => event.event === kind).map((event) => (event.data as { text: string }).text).join('')

describe('the real mlx_lm.server', () => {
  test('installed, downloaded, started, chatted with, watched and stopped through the API', async () => {
    const engines = await api<(EngineInfo & EngineManagement)[]>('GET', '/api/engines')
    const lm = engines.body.find((engine) => engine.name === 'mlx_lm.server')
    expect(lm).toMatchObject({ installed: true, source: 'managed', installable: true })
    expect(lm?.version).toMatch(/^0\.\d+/)

    // Found in the catalog like any hub model, with its facts read from its real config.
    const found = await api<{ models: { id: string }[] }>('GET', `/api/catalog/search?q=${encodeURIComponent(TINY.split('/')[1] ?? '')}`)
    expect(found.body.models.map((model) => model.id)).toContain(TINY)
    const card = await api<{ quantization: { bits: number } | null; fit: unknown }>('GET', `/api/catalog/models/${TINY}`)
    expect(card.status).toBe(200)
    expect(card.body.quantization?.bits).toBe(4)
    expect(card.body.fit).not.toBeNull()

    await download(TINY)
    const tiny = await profile('Tiny', TINY)
    const started = await api<ServerStatus>('POST', `/api/servers/${tiny.id}/start?wait=true`)
    expect(started.body.state).toBe('ready')

    const events = await chat(tiny.id, 24)
    expect(text(events, 'reasoning')).toBe('Let me think about this')
    expect(text(events, 'token')).toStartWith('Hello from the tiny model .')
    const metrics = events.find((event) => event.event === 'metrics')?.data as { promptTokens: number | null; completionTokens: number | null }
    expect(metrics.promptTokens).toBeGreaterThan(0)
    expect(metrics.completionTokens).toBe(24)
    expect(events.at(-1)?.event).toBe('done')

    // Stopping mid-answer cancels the engine's request; the server keeps serving.
    const stopped = await chat(tiny.id, 4000, 5)
    expect(text(stopped, 'token').length).toBeGreaterThan(0)
    expect((await chat(tiny.id, 8)).at(-1)?.event).toBe('done')

    app.serving.supervisor.sampleStats()
    const running = await api<ServerStatus>('GET', `/api/servers/${tiny.id}`)
    expect(running.body.rssBytes).toBeGreaterThan(20 * 2 ** 20)
    expect(running.body.cpuPercent).not.toBeNull()

    const logs = sseReader(await app.call('GET', `/api/servers/${tiny.id}/logs?tail=200`, { token }))
    const [tail] = await logs.next(1, 5_000)
    expect(JSON.stringify(tail?.data)).toContain('Starting httpd')

    const stop = await api<ServerStatus>('POST', `/api/servers/${tiny.id}/stop`)
    expect(stop.body).toMatchObject({ state: 'stopped', failure: null })
  }, 120_000)

  test('corrupt weights fail the start within seconds with the engine’s own error', async () => {
    await download(CORRUPT)
    const bad = await profile('Corrupt', CORRUPT)
    const begun = Date.now()
    const result = await api<ServerStatus>('POST', `/api/servers/${bad.id}/start?wait=true`)
    expect(result.body.state).toBe('failed')
    expect(result.body.failure?.message).toContain('load_safetensors')
    expect(Date.now() - begun).toBeLessThan(20_000)
  }, 60_000)

  test('a model id the engine cannot resolve fails the start, not a hang', async () => {
    const missing = await profile('Missing', 'tiny-org/not-on-the-hub')
    const begun = Date.now()
    const result = await api<ServerStatus>('POST', `/api/servers/${missing.id}/start?wait=true`)
    expect(result.body.state).toBe('failed')
    expect(result.body.failure?.message).toMatch(/not-on-the-hub|Repository|404|snapshot/i)
    expect(Date.now() - begun).toBeLessThan(30_000)
  }, 60_000)

  test('a port already taken is refused before the start, or fails at once', async () => {
    const port = await freePort()
    const taken = await profile('Taken', TINY, port)
    const squatter = Bun.serve({ hostname: '127.0.0.1', port, fetch: () => new Response('busy') })
    try {
      const begun = Date.now()
      const result = await api<ServerStatus & { error?: { code: string } }>('POST', `/api/servers/${taken.id}/start?wait=true`)
      if (result.status === 200) {
        expect(result.body.state).toBe('failed')
        expect(result.body.failure?.message).toContain('Address already in use')
      } else expect(result.body.error?.code).toMatch(/port/)
      expect(Date.now() - begun).toBeLessThan(20_000)
    } finally {
      await squatter.stop(true)
    }
  }, 60_000)
})
