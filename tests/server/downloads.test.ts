import { afterEach, describe, expect, test } from 'bun:test'
import { scanCacheDir } from '@huggingface/hub'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readFileSync, readlinkSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Download } from '../../shared/downloads'
import { downloadHarness, type Harness } from '../fixtures/faults/harness'
import { testRepo } from '../fixtures/faults/repos'

const MODEL = 'mlx-test/tiny'
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const repoDir = (h: Harness, id = MODEL) => join(h.cacheDir, `models--${id.replace('/', '--')}`)

let harness: Harness | null = null
afterEach(async () => {
  await harness?.stop()
  harness = null
})

async function setup(options: Partial<Parameters<typeof downloadHarness>[0]> = {}) {
  harness = await downloadHarness({ repos: [testRepo(MODEL)], ...options })
  return harness
}

/** Every LFS file of the finished snapshot has the fixture's sha256, read through the symlink. */
function expectVerifiedSnapshot(h: Harness, download: Download, id = MODEL) {
  const repo = h.repo(id)
  for (const file of repo.files.filter((f) => f.lfs !== null && f.path.endsWith('.safetensors'))) {
    const bytes = readFileSync(join(repoDir(h, id), 'snapshots', download.commit ?? '', file.path))
    expect(sha256(bytes)).toBe(file.lfs?.oid ?? '')
  }
}

describe('downloading into the HuggingFace cache', () => {
  test('pins the commit, fetches what engines load, and lays out blobs, relative links and refs/main', async () => {
    const h = await setup()
    const started = await h.start(MODEL)
    expect(['queued', 'downloading']).toContain(started.status)
    expect(started.modelId).toBe(MODEL)
    const done = await h.waitFor(started.id, 'completed')
    const repo = h.repo(MODEL)
    expect(done.commit).toBe(repo.sha)
    expect(done.bytesDone).toBe(done.bytesTotal)
    expect(done.filesDone).toBe(done.filesTotal)
    expect(done.completedAt).not.toBeNull()

    const root = repoDir(h)
    expect(readFileSync(join(root, 'refs', 'main'), 'utf8')).toBe(repo.sha)
    const snapshot = join(root, 'snapshots', repo.sha)
    const wanted = ['README.md', 'config.json', 'model.safetensors', 'nested/deeper/extra.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']
    expect(done.files.map((f) => f.path).sort()).toEqual(wanted)
    for (const path of wanted) {
      const file = repo.files.find((f) => f.path === path)
      const blobId = file?.lfs?.oid ?? file?.gitOid ?? ''
      const link = join(snapshot, path)
      expect(lstatSync(link).isSymbolicLink()).toBe(true)
      const depth = path.split('/').length - 1
      expect(readlinkSync(link)).toBe(`${'../'.repeat(depth + 2)}blobs/${blobId}`)
      expect(readFileSync(link)).toEqual(Buffer.from(file?.content ?? []))
    }
    // What no engine loads stays on the hub.
    for (const skipped of ['original/consolidated.pth', 'notes.md', '.gitattributes']) expect(existsSync(join(snapshot, skipped))).toBe(false)
    expect(readdirSync(join(root, 'blobs')).some((name) => name.endsWith('.incomplete'))).toBe(false)
    expectVerifiedSnapshot(h, done)

    // The cache is readable by other tools: @huggingface/hub's own scanner agrees.
    const scan = await scanCacheDir(h.cacheDir)
    expect(scan.warnings).toEqual([])
    const cached = scan.repos.find((r) => r.id.name === MODEL)
    expect(cached?.revisions.map((r) => [r.commitOid, r.refs])).toEqual([[repo.sha, ['main']]])
    // Its scanner does not descend into folders inside a snapshot, so it sees the top-level files.
    const topLevel = done.files.filter((f) => !f.path.includes('/'))
    expect(cached?.revisions[0]?.files.length).toBe(topLevel.length)
    expect(cached?.size).toBe(topLevel.reduce((sum, f) => sum + f.sizeBytes, 0))
    for (const file of cached?.revisions[0]?.files ?? []) expect(file.blob.path.startsWith(join(root, 'blobs'))).toBe(true)
  })

  test('the list, live events and the library follow the download', async () => {
    const h = await setup()
    const { id } = await h.start(MODEL)
    await h.waitFor(id, 'completed')
    const list = await h.app.json<Download[]>('GET', '/api/downloads', { token: h.token })
    expect(list.status).toBe(200)
    expect(list.body.map((d) => [d.id, d.modelId, d.status])).toEqual([[id, MODEL, 'completed']])
    await h.until(() => h.events.some((e) => e.type === 'models.changed'), 'models.changed')
    const states = h.events.flatMap((e) => (e.type === 'downloads.state' ? [e.data.status] : []))
    expect(states[0]).toBe('queued')
    expect(states).toContain('downloading')
    expect(states.at(-1)).toBe('completed')
    // The last state is whole, as a page that only heard it would show it: every file, every byte.
    const last = h.events.filter((e) => e.type === 'downloads.state').at(-1)?.data
    expect(last?.bytesTotal).toBe(list.body[0]?.bytesTotal ?? -1)
    expect(last?.bytesTotal).toBeGreaterThan(0)
    expect(last?.bytesDone).toBe(last?.bytesTotal ?? -1)
    expect(last?.files.length).toBe(last?.filesTotal ?? -1)
    expect(last?.files.every((file) => file.status === 'done')).toBe(true)
    const progress = h.events.filter((e) => e.type === 'downloads.progress')
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)?.data).toMatchObject({ id, modelId: MODEL, speedBps: 0, etaSeconds: null })
    expect(h.events.find((e) => e.type === 'models.changed')?.data).toEqual({ modelId: MODEL, reason: 'downloaded' })
  })

  test('asking twice for the same model joins the running download', async () => {
    const h = await setup({ rules: [{ kind: 'throttle', bytesPerSecond: 256 * 1024, match: '.safetensors' }] })
    const first = await h.start(MODEL)
    const second = await h.start(MODEL)
    expect(second.id).toBe(first.id)
    await h.waitFor(first.id, 'completed')
  })

  test('bad input is refused before anything touches the disk', async () => {
    const h = await setup()
    for (const modelId of ['../etc', 'a/b/c', '/abs', 'org/..', 'no-slash', '']) {
      const response = await h.app.json<{ error: { code: string } }>('POST', '/api/downloads', { token: h.token, body: { modelId } })
      expect(response.status).toBe(400)
      expect(response.body.error.code).toBe('invalid-model-id')
    }
    const badRevision = await h.app.json<{ error: { code: string } }>('POST', '/api/downloads', {
      token: h.token,
      body: { modelId: MODEL, revision: '../../x' },
    })
    expect(badRevision.body.error.code).toBe('invalid-revision')
    expect((await h.app.json('GET', '/api/downloads')).status).toBe(401)
    expect((await h.app.json('POST', '/api/downloads/999/pause', { token: h.token })).status).toBe(404)
    expect(existsSync(h.cacheDir)).toBe(false)
  })

  test('an unknown model or revision is refused at once with the hub’s answer, and nothing is queued', async () => {
    const h = await setup()
    const missing = await h.app.json<{ error: { code: string; message: string } }>('POST', '/api/downloads', { token: h.token, body: { modelId: 'mlx-test/missing' } })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('model-not-found')
    expect(missing.body.error.message).toContain('mlx-test/missing')
    const revision = await h.app.json<{ error: { code: string } }>('POST', '/api/downloads', { token: h.token, body: { modelId: MODEL, revision: 'no-such-branch' } })
    expect(revision.status).toBe(404)
    expect(revision.body.error.code).toBe('revision-not-found')
    expect((await h.app.json<Download[]>('GET', '/api/downloads', { token: h.token })).body).toEqual([])
    expect(h.events.some((e) => e.type === 'downloads.state')).toBe(false)
  })

  test('a hub that cannot answer yet does not stop a download from queueing', async () => {
    const h = await setup({ rules: [{ kind: 'status', status: 503, match: '/api/models/', times: 1 }] })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    expect(h.proxy.counters.status).toBe(1)
    expect(done.bytesDone).toBe(done.bytesTotal)
  })

  test('finished, failed and cancelled downloads can be cleared; active ones cannot', async () => {
    const h = await setup({ rules: [{ kind: 'throttle', bytesPerSecond: 64 * 1024, match: '.safetensors' }] })
    const running = await h.start(MODEL)
    const refused = await h.app.json<{ error: { code: string } }>('DELETE', `/api/downloads/${running.id}`, { token: h.token })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('download-active')
    await h.app.json('POST', `/api/downloads/${running.id}/cancel`, { token: h.token })
    expect((await h.app.json('DELETE', `/api/downloads/${running.id}`, { token: h.token })).status).toBe(204)
    expect(h.events.some((e) => e.type === 'downloads.removed' && e.data.ids.includes(running.id))).toBe(true)
    expect((await h.app.json<Download[]>('GET', '/api/downloads', { token: h.token })).body).toEqual([])
    expect((await h.app.json('DELETE', `/api/downloads/${running.id}`, { token: h.token })).status).toBe(404)
    const bulk = await h.app.json<{ ids: number[] }>('DELETE', '/api/downloads', { token: h.token })
    expect(bulk.body).toEqual({ ids: [] })
  })

  test('two models download at once up to the limit; the rest wait in the queue', async () => {
    harness = await downloadHarness({
      repos: [testRepo('mlx-test/one'), testRepo('mlx-test/two')],
      options: { modelConcurrency: 1 },
      rules: [{ kind: 'throttle', bytesPerSecond: 512 * 1024, match: '/one/resolve/' }],
    })
    const h = harness
    const one = await h.start('mlx-test/one')
    const two = await h.start('mlx-test/two')
    await h.waitFor(one.id, 'downloading')
    expect((await h.app.downloads.get(two.id)).status).toBe('queued')
    await h.waitFor(one.id, 'completed')
    await h.waitFor(two.id, 'completed')
  })
})
