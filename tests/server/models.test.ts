import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalModel } from '../../shared/local-models'
import { downloadHarness, type Harness } from '../fixtures/faults/harness'
import { testRepo } from '../fixtures/faults/repos'
import { tempDir } from './helpers'

const MODEL = 'mlx-test/tiny'
const COMMIT = 'a'.repeat(40)

let harness: Harness | null = null
afterEach(async () => {
  await harness?.stop()
  harness = null
})

async function setup() {
  harness = await downloadHarness({ repos: [testRepo(MODEL), testRepo('mlx-test/vision', { vision: true })] })
  return harness
}

/** A repo folder laid out the way huggingface_hub writes one, with the given files (path → content). */
function writeRepo(cacheDir: string, id: string, files: Record<string, string>, options: { ref?: boolean; partial?: boolean } = {}) {
  const root = join(cacheDir, `models--${id.replace('/', '--')}`)
  const snapshot = join(root, 'snapshots', COMMIT)
  mkdirSync(join(root, 'blobs'), { recursive: true })
  for (const [path, content] of Object.entries(files)) {
    const blob = `${Bun.hash(content).toString(16).padStart(16, '0')}${'0'.repeat(24)}`
    writeFileSync(join(root, 'blobs', blob), content)
    const link = join(snapshot, path)
    mkdirSync(join(link, '..'), { recursive: true })
    symlinkSync(`${'../'.repeat(path.split('/').length + 1)}blobs/${blob}`, link)
  }
  if (options.ref !== false) {
    mkdirSync(join(root, 'refs'), { recursive: true })
    writeFileSync(join(root, 'refs', 'main'), COMMIT)
  }
  if (options.partial === true) writeFileSync(join(root, 'blobs', `${'b'.repeat(64)}.incomplete`), 'partial bytes')
  return root
}

const list = (h: Harness) => h.app.json<LocalModel[]>('GET', '/api/models', { token: h.token })

describe('the local model library', () => {
  test('a finished download is listed with its size, revision, shape, quantization and capabilities', async () => {
    const h = await setup()
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    const response = await list(h)
    expect(response.status).toBe(200)
    const model = response.body.find((m) => m.id === MODEL)
    expect(model).toMatchObject({
      id: MODEL,
      state: 'complete',
      revision: done.commit,
      revisions: [done.commit],
      sizeOnDiskBytes: done.bytesTotal,
      weightsBytes: 64 * 1024,
      fileCount: done.filesTotal,
      architecture: 'Qwen3ForCausalLM',
      modelType: 'qwen3',
      quantization: { bits: 4, groupSize: 64 },
      layers: 4,
      kvHeads: 8,
      headDim: 64,
      contextLength: 32768,
      downloadId: null,
    })
    expect(model?.capabilities.sort()).toEqual(['reasoning', 'tools'])
    expect(model?.lastUsedAt).not.toBeNull()
    // Downloading reads the files, but no server has loaded the model yet.
    expect(model?.lastServedAt).toBeNull()
  })

  test('vision models say so', async () => {
    const h = await setup()
    const { id } = await h.start('mlx-test/vision')
    await h.waitFor(id, 'completed')
    expect((await list(h)).body.find((m) => m.id === 'mlx-test/vision')?.capabilities).toContain('vision')
  })

  test('models other tools downloaded are listed, and partial ones as partial', async () => {
    const h = await setup()
    writeRepo(h.cacheDir, 'other-org/complete', { 'config.json': JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }), 'model.safetensors': 'weights' })
    writeRepo(h.cacheDir, 'other-org/partial', { 'config.json': '{}' }, { partial: true })
    writeRepo(h.cacheDir, 'other-org/noref', { 'config.json': '{}', 'model.safetensors': 'w' }, { ref: false })
    mkdirSync(join(h.cacheDir, 'datasets--someone--data'), { recursive: true })
    mkdirSync(join(h.cacheDir, 'models--bad..name'), { recursive: true })
    const models = (await list(h)).body
    expect(models.map((m) => m.id).sort()).toEqual(['other-org/complete', 'other-org/noref', 'other-org/partial'])
    expect(models.find((m) => m.id === 'other-org/complete')).toMatchObject({ state: 'complete', architecture: 'LlamaForCausalLM', revision: COMMIT, weightsBytes: 7 })
    expect(models.find((m) => m.id === 'other-org/partial')?.state).toBe('partial')
    expect(models.find((m) => m.id === 'other-org/noref')).toMatchObject({ state: 'complete', revision: COMMIT })
  })

  test('a running download shows as downloading, with its id', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: 512 * 1024, rules: [{ kind: 'throttle', match: '/resolve/', bytesPerSecond: 256 * 1024 }] })
    const h = harness
    const { id } = await h.start(MODEL)
    await h.until(() => existsSync(join(h.cacheDir, 'models--mlx-test--tiny', 'blobs')), 'the repo folder')
    expect((await list(h)).body.find((m) => m.id === MODEL)).toMatchObject({ state: 'downloading', downloadId: id })
    await h.app.json('POST', `/api/downloads/${id}/pause`, { token: h.token })
    expect((await list(h)).body.find((m) => m.id === MODEL)).toMatchObject({ state: 'partial', downloadId: id })
  })

  test('symlinks that lead out of the cache are never followed', async () => {
    const h = await setup()
    const outside = tempDir('mlx-manager-outside-')
    writeFileSync(join(outside, 'config.json'), JSON.stringify({ architectures: ['Secret'] }))
    writeFileSync(join(outside, 'weights.safetensors'), 'x'.repeat(5000))
    const root = writeRepo(h.cacheDir, 'evil-org/links', { 'README.md': 'hi' })
    const snapshot = join(root, 'snapshots', COMMIT)
    symlinkSync(join(outside, 'config.json'), join(snapshot, 'config.json'))
    symlinkSync('../../../../../../../../../../../../..' + join(outside, 'weights.safetensors'), join(snapshot, 'model.safetensors'))
    const model = (await list(h)).body.find((m) => m.id === 'evil-org/links')
    expect(model?.architecture).toBeNull()
    expect(model?.weightsBytes).toBe(0)
    expect(model?.state).toBe('partial')
    // A whole repo folder that is a symlink is not read either.
    symlinkSync(outside, join(h.cacheDir, 'models--evil-org--folder'))
    expect((await list(h)).body.some((m) => m.id === 'evil-org/folder')).toBe(false)
  })
})

describe('deleting a model', () => {
  test('removes the repo folder and announces it', async () => {
    const h = await setup()
    const { id } = await h.start(MODEL)
    await h.waitFor(id, 'completed')
    const response = await h.app.json('DELETE', `/api/models/${MODEL}`, { token: h.token })
    expect(response.status).toBe(204)
    expect(existsSync(join(h.cacheDir, 'models--mlx-test--tiny'))).toBe(false)
    expect((await list(h)).body.some((m) => m.id === MODEL)).toBe(false)
    expect(h.events.some((e) => e.type === 'models.changed' && e.data.modelId === MODEL && e.data.reason === 'deleted')).toBe(true)
    const again = await h.app.json<{ error: { code: string } }>('DELETE', `/api/models/${MODEL}`, { token: h.token })
    expect(again.status).toBe(404)
    expect(again.body.error.code).toBe('model-not-found')
  })

  test('is refused while a running server uses the model', async () => {
    const h = await setup()
    writeRepo(h.cacheDir, MODEL, { 'config.json': '{}' })
    h.app.models.useModelUsage({ isInUse: (modelId) => modelId === MODEL })
    const response = await h.app.json<{ error: { code: string; message: string } }>('DELETE', `/api/models/${MODEL}`, { token: h.token })
    expect(response.status).toBe(409)
    expect(response.body.error.code).toBe('model-in-use')
    expect(existsSync(join(h.cacheDir, 'models--mlx-test--tiny'))).toBe(true)
  })

  test('is refused while the model is downloading', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: 512 * 1024, rules: [{ kind: 'throttle', match: '/resolve/', bytesPerSecond: 256 * 1024 }] })
    const { id } = await harness.start(MODEL)
    await harness.waitFor(id, 'downloading')
    const response = await harness.app.json<{ error: { code: string } }>('DELETE', `/api/models/${MODEL}`, { token: harness.token })
    expect(response.status).toBe(409)
    expect(response.body.error.code).toBe('download-active')
  })

  test('bad ids are refused before they touch a path; a symlinked folder loses only its link', async () => {
    const h = await setup()
    for (const path of ['/api/models/..%2F..%2Fetc/passwd', '/api/models/.../x', '/api/models/org/..', '/api/models/-x/y']) {
      const response = await h.app.json<{ error: { code: string } }>('DELETE', path, { token: h.token })
      expect([400, 404]).toContain(response.status)
      if (response.status === 400) expect(response.body.error.code).toBe('invalid-model-id')
    }
    const outside = tempDir('mlx-manager-outside-')
    writeFileSync(join(outside, 'precious.txt'), 'keep me')
    mkdirSync(h.cacheDir, { recursive: true })
    symlinkSync(outside, join(h.cacheDir, 'models--evil-org--folder'))
    expect((await h.app.json('DELETE', '/api/models/evil-org/folder', { token: h.token })).status).toBe(204)
    expect(existsSync(join(h.cacheDir, 'models--evil-org--folder'))).toBe(false)
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me')
    expect((await h.app.json('DELETE', `/api/models/${MODEL}`)).status).toBe(401)
  })
})

describe('a failed download in the library', () => {
  test('shows as partial with the download to resume', async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)], options: { maxChecksumFailures: 1, fileConcurrency: 1 }, rules: [{ kind: 'corrupt', match: 'tokenizer.json' }] })
    const h = harness
    const { id } = await h.start(MODEL)
    expect((await h.waitFor(id, 'failed')).error?.code).toBe('checksum-mismatch')
    expect((await list(h)).body.find((m) => m.id === MODEL)).toMatchObject({ state: 'partial', downloadId: id })
  })
})
