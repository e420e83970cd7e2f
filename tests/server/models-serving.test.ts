import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalModel } from '../../shared/local-models'
import { servingApp } from '../fixtures/engine/harness'

const MODEL = 'mlx-community/Tiny-Model-4bit'
let cleanup: (() => Promise<unknown>) | null = null

afterEach(async () => {
  await cleanup?.()
  cleanup = null
})

/** A finished cache entry, as any HF tool leaves it. */
function plantModel(cacheDir: string, modelId: string): void {
  const repo = join(cacheDir, `models--${modelId.replace('/', '--')}`)
  mkdirSync(join(repo, 'blobs'), { recursive: true })
  mkdirSync(join(repo, 'refs'), { recursive: true })
  mkdirSync(join(repo, 'snapshots', 'abc123'), { recursive: true })
  writeFileSync(join(repo, 'blobs', 'cfg'), JSON.stringify({ model_type: 'llama' }))
  writeFileSync(join(repo, 'refs', 'main'), 'abc123')
  writeFileSync(join(repo, 'snapshots', 'abc123', 'config.json'), JSON.stringify({ model_type: 'llama' }))
}

describe('models and running servers', () => {
  test('a model cannot be deleted while a server uses it, and counts as used once ready', async () => {
    const serving = await servingApp()
    const { app, token } = serving
    cleanup = () => app.serving.supervisor.stopAll()
    plantModel(app.config.hfHubCache, MODEL)
    const profile = await serving.profile({ name: 'tiny', model: MODEL, engine: 'mlx_lm.server' })
    const started = await serving.start(profile.id)
    expect(started.body.state).toBe('ready')

    const refused = await app.json('DELETE', `/api/models/${MODEL}`, { token })
    expect(refused.status).toBe(409)
    expect(refused.body).toMatchObject({ error: { code: 'model-in-use' } })
    const listed = await app.json<LocalModel[]>('GET', '/api/models', { token })
    expect(listed.body.find((m) => m.id === MODEL)?.lastUsedAt).not.toBeNull()
    expect(listed.body.find((m) => m.id === MODEL)?.lastServedAt).not.toBeNull()

    await serving.stop(profile.id)
    expect((await app.call('DELETE', `/api/models/${MODEL}`, { token })).status).toBe(204)
  })
})
