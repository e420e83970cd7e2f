/**
 * Measured memory and the one-click benchmark against the real mlx_lm.server and the tiny model:
 * the peak of the real process tree is stored and shows in the catalog, and a benchmark measures
 * prompt sizes with the engine's own token counts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { BenchmarkRun } from '../../shared/benchmarks'
import type { ModelDetails } from '../../shared/catalog'
import type { Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { eventually, freePort } from '../fixtures/engine/harness'
import { startHubFixture, type HubFixture } from '../fixtures/hub/server'
import { type TestApp } from '../server/helpers'
import { buildTinyModel, engineEnvironment, removeDir, repoFromFolder, realManager } from './setup'

const TINY = 'tiny-org/tiny-measured-4bit'

let hub: HubFixture
let app: TestApp
let token = ''
let modelDir = ''

beforeAll(async () => {
  const venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
  modelDir = await buildTinyModel(venv)
  hub = startHubFixture({ repos: [repoFromFolder(TINY, modelDir)], sizes: 'content' })
  ;({ app, token } = await realManager(venv, hub.url, { prefix: 'mlx-manager-real-measured-' }))
}, 900_000)

afterAll(async () => {
  await app?.serving.supervisor.stopAll()
  await hub?.stop()
  if (modelDir !== '') removeDir(modelDir)
})

const api = <T>(method: string, path: string, body?: unknown) => app.json<T>(method, path, { token, ...(body === undefined ? {} : { body }) })

describe('the real mlx_lm.server, measured', () => {
  test('its real peak is stored for the tiny model and replaces the estimate; a benchmark measures two prompt sizes', async () => {
    const created = await api<{ id: number }>('POST', '/api/downloads', { modelId: TINY })
    expect(created.status).toBe(202)
    await eventually(async () => (await api<{ id: number; status: string }[]>('GET', '/api/downloads')).body.some((row) => row.status === 'completed'), 30_000)

    const profile = await api<Profile>('POST', '/api/profiles', { name: 'Tiny measured', model: TINY, engine: 'mlx_lm.server', port: await freePort() })
    expect(profile.status).toBe(201)
    const started = await api<ServerStatus>('POST', `/api/servers/${profile.body.id}/start?wait=true`)
    expect(started.body.state).toBe('ready')

    const run = await api<BenchmarkRun>('POST', '/api/benchmarks', { profileId: profile.body.id, promptSizes: [32, 128], generatedTokens: 16 })
    expect(run.status).toBe(202)
    await app.benchmarks.running
    const [done] = (await api<BenchmarkRun[]>('GET', '/api/benchmarks')).body
    expect(done).toMatchObject({ id: run.body.id, status: 'completed', error: null, engine: 'mlx_lm.server', memorySource: 'rss' })
    expect(done?.results.map((step) => step.targetPromptTokens)).toEqual([32, 128])
    for (const step of done?.results ?? []) {
      // Counted by the engine's own tokenizer and chat template.
      expect(Math.abs(step.promptTokens - step.targetPromptTokens)).toBeLessThanOrEqual(Math.max(8, step.targetPromptTokens * 0.03))
      expect(step.generatedTokens).toBeGreaterThan(1)
      expect(step.timeToFirstTokenMs).toBeGreaterThan(0)
      expect(step.promptTokensPerSecond).toBeGreaterThan(0)
      expect(step.generationTokensPerSecond).toBeGreaterThan(0)
      expect(step.peakBytes).toBeGreaterThan(20 * 2 ** 20)
    }
    console.log(`  tiny model benchmark: ${JSON.stringify(done?.results)}`)

    // The peak of the real process: mlx_lm.server takes no context flag, so it is stored without one.
    const [peak] = app.memoryUsage.measurements(TINY)
    expect(peak).toMatchObject({ modelId: TINY, engine: 'mlx_lm.server', contextTokens: null, source: 'rss' })
    expect(peak?.peakBytes).toBeGreaterThan(20 * 2 ** 20)
    expect(peak?.peakBytes).toBeGreaterThanOrEqual(done?.peakBytes ?? Infinity)
    console.log(`  tiny model peak: ${((peak?.peakBytes ?? 0) / 2 ** 20).toFixed(1)} MiB (${peak?.source})`)

    const page = await api<ModelDetails>('GET', `/api/catalog/models/${TINY}`)
    expect(page.body.fit).toMatchObject({ basis: 'measured', totalBytes: peak?.peakBytes, measured: { measuredAt: peak?.measuredAt } })
    // The estimate of a few-MB model is far below what the Python process really holds.
    expect(page.body.fit?.estimatedBytes).toBeLessThan(peak?.peakBytes ?? 0)

    await api('POST', `/api/servers/${profile.body.id}/stop`)
  }, 180_000)
})
