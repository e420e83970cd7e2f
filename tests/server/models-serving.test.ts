import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalModel } from '../../shared/local-models'
import type { Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { EventBus } from '../../server/features/events/bus'
import { recordModelUseOnReady } from '../../server/features/models/serving-usage'
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

  test('a model counts as used when a server becomes ready, not each time a ready server publishes its state again', () => {
    const bus = new EventBus()
    const used: string[] = []
    const profile = { id: 7, model: MODEL } as Profile
    recordModelUseOnReady(bus, { profiles: { find: (id) => (id === profile.id ? profile : null) } }, { recordUse: (model) => void used.push(model) })
    const state = (value: ServerStatus['state'], idleStopsAt: string | null = null) =>
      bus.publish({ type: 'servers.state', data: { profileId: profile.id, state: value, idleStopsAt } as ServerStatus })

    state('starting')
    state('ready')
    // The pool moves the idle-stop time on every request: still the same start.
    state('ready', '2026-01-01T00:30:00.000Z')
    state('ready', '2026-01-01T00:31:00.000Z')
    expect(used).toEqual([MODEL])
    state('stopped')
    state('ready')
    expect(used).toEqual([MODEL, MODEL])
  })
})
