import { afterEach, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createApp } from '../../server/app'
import { openDatabase } from '../../server/db/database'
import type { Download } from '../../shared/downloads'
import { downloadHarness, FAST, type Harness } from '../fixtures/faults/harness'
import { testRepo } from '../fixtures/faults/repos'
import { fastHasher } from './helpers'

const MODEL = 'mlx-test/tiny'
const REPO = 'models--mlx-test--tiny'
const SLOW = { kind: 'throttle' as const, match: '/resolve/', bytesPerSecond: 400 * 1024 }

let harness: Harness | null = null
afterEach(async () => {
  await harness?.stop()
  harness = null
})

function partials(h: Harness): { name: string; size: number }[] {
  const dir = join(h.cacheDir, REPO, 'blobs')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => name.endsWith('.incomplete'))
    .map((name) => ({ name, size: statSync(join(dir, name)).size }))
}

const post = (h: Harness, path: string) => h.app.json<Download & { error: { code: string } }>('POST', path, { token: h.token })

describe('pause, resume and cancel', () => {
  test('pause stops the transfer and keeps partial files; resume continues from them with Range', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: 512 * 1024, rules: [SLOW] })
    const h = harness
    const { id } = await h.start(MODEL)
    await h.until(() => partials(h).some((p) => p.size > 64 * 1024), 'some bytes on disk')
    const paused = await post(h, `/api/downloads/${id}/pause`)
    expect(paused.status).toBe(200)
    expect(paused.body.status).toBe('paused')
    expect(paused.body.speedBps).toBe(0)
    const kept = partials(h)
    expect(kept.length).toBeGreaterThan(0)
    expect(paused.body.bytesDone).toBeGreaterThan(0)
    // Paused means paused: the transfers are abandoned (the hub stand-in stops answering them), and
    // nothing more reached the disk.
    const sent = h.proxy.bytesSent
    await h.until(() => h.proxy.answering === 0, 'the paused transfers to be abandoned', 2_000)
    expect(partials(h)).toEqual(kept)
    expect(h.proxy.bytesSent - sent).toBeLessThan(64 * 1024)

    h.proxy.clear()
    const resumed = await post(h, `/api/downloads/${id}/resume`)
    expect(['queued', 'downloading']).toContain(resumed.body.status)
    const done = await h.waitFor(id, 'completed')
    expect(done.bytesDone).toBe(done.bytesTotal)
    const ranges = h.proxy.requests.filter((r) => r.url.includes('/resolve/') && r.range !== null).map((r) => r.range)
    for (const partial of kept) expect(ranges).toContain(`bytes=${partial.size}-`)
    const weights = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')
    const bytes = readFileSync(join(h.cacheDir, REPO, 'snapshots', done.commit ?? '', 'model.safetensors'))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(weights?.lfs?.oid ?? '')
  })

  test('a queued download can be paused before it starts, and asking for the model again resumes it', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL), testRepo('mlx-test/other')], options: { modelConcurrency: 1 }, rules: [SLOW] })
    const h = harness
    const first = await h.start('mlx-test/other')
    const second = await h.start(MODEL)
    expect((await post(h, `/api/downloads/${second.id}/pause`)).body.status).toBe('paused')
    await h.waitFor(first.id, 'completed')
    expect((await h.app.downloads.get(second.id)).status).toBe('paused')
    const again = await h.start(MODEL)
    expect(again.id).toBe(second.id)
    await h.waitFor(second.id, 'completed')
  })

  test('cancel stops the transfer and removes partial files and the folder it created', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: 512 * 1024, rules: [SLOW] })
    const h = harness
    const { id } = await h.start(MODEL)
    await h.until(() => partials(h).some((p) => p.size > 0), 'a partial file')
    const cancelled = await post(h, `/api/downloads/${id}/cancel`)
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.status).toBe('cancelled')
    expect(existsSync(join(h.cacheDir, REPO))).toBe(false)
    await h.until(() => h.events.some((e) => e.type === 'models.changed' && e.data.reason === 'deleted'), 'models.changed')
    // A cancelled download cannot be paused or resumed; cancelling again is harmless.
    expect((await post(h, `/api/downloads/${id}/pause`)).body.error.code).toBe('download-not-active')
    expect((await post(h, `/api/downloads/${id}/resume`)).body.error.code).toBe('download-not-active')
    expect((await post(h, `/api/downloads/${id}/cancel`)).status).toBe(200)
  })

  test('cancel keeps a model that was already in the cache, removing only partial files', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: 512 * 1024 })
    const h = harness
    const first = await h.start(MODEL)
    await h.waitFor(first.id, 'completed')
    // Change the hub's answer so a second download has something new to fetch.
    const blobDir = join(h.cacheDir, REPO, 'blobs')
    const weights = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.lfs?.oid ?? ''
    await Bun.write(join(blobDir, `${weights}.incomplete`), new Uint8Array(10))
    const { rmSync } = await import('node:fs')
    rmSync(join(blobDir, weights))
    h.proxy.setRules([SLOW])
    const second = await h.start(MODEL)
    const cancelled = await post(h, `/api/downloads/${second.id}/cancel`)
    expect(cancelled.body.status).toBe('cancelled')
    expect(existsSync(join(h.cacheDir, REPO, 'snapshots'))).toBe(true)
    expect(partials(h)).toEqual([])
  })

  test('a completed download cannot be cancelled; the library deletes models', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)] })
    const { id } = await harness.start(MODEL)
    await harness.waitFor(id, 'completed')
    const response = await post(harness, `/api/downloads/${id}/cancel`)
    expect(response.status).toBe(409)
    expect(response.body.error.code).toBe('download-completed')
  })
})

describe('restarts', () => {
  test('stopping the manager mid-download requeues it; the next start resumes from the partial files', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: 512 * 1024, rules: [SLOW] })
    const h = harness
    const { id } = await h.start(MODEL)
    await h.until(() => partials(h).some((p) => p.size > 64 * 1024), 'some bytes on disk')
    await h.app.downloads.stop()
    expect((await h.app.downloads.get(id)).status).toBe('queued')
    const kept = partials(h)

    // A second manager on the same database and cache, as after a restart.
    h.proxy.clear()
    const again = createApp({ config: h.config, db: h.app.db, secret: 'another-secret-long-enough-for-hs256-signing', hasher: fastHasher, downloads: FAST })
    again.downloads.start()
    try {
      await h.until(async () => (await again.downloads.get(id)).status === 'completed', 'the second manager to finish it')
      const ranges = h.proxy.requests.map((r) => r.range)
      for (const partial of kept) expect(ranges).toContain(`bytes=${partial.size}-`)
    } finally {
      await again.downloads.stop()
    }
  })

  test('a download left "downloading" by a crash is queued again at start', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)] })
    const h = harness
    const db = openDatabase(':memory:')
    const app = createApp({ config: h.config, db, secret: 'crash-secret-long-enough-for-hs256-signing', hasher: fastHasher, downloads: FAST })
    db.query("INSERT INTO downloads (model_id, revision, status, created_at, updated_at) VALUES (?, 'main', 'downloading', 'x', 'x')").run(MODEL)
    app.downloads.start()
    try {
      await h.until(async () => (await app.downloads.get(1)).status === 'completed', 'the requeued download to finish')
      const done = await app.downloads.get(1)
      expect(done.bytesDone).toBe(done.bytesTotal)
    } finally {
      await app.downloads.stop()
    }
  })
})
