import { afterEach, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { downloadHarness, type Harness } from '../fixtures/faults/harness'
import type { FaultRule } from '../fixtures/faults/proxy'
import { testRepo } from '../fixtures/faults/repos'
import { FIXTURE_TOKEN } from '../fixtures/hub'

const MODEL = 'mlx-test/tiny'
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

let harness: Harness | null = null
afterEach(async () => {
  await harness?.stop()
  harness = null
})

async function setup(options: Partial<Parameters<typeof downloadHarness>[0]> = {}) {
  harness = await downloadHarness({ repos: [testRepo(MODEL)], ...options })
  return harness
}

function weights(h: Harness, commit: string | null) {
  const file = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')
  const bytes = readFileSync(join(h.cacheDir, 'models--mlx-test--tiny', 'snapshots', commit ?? '', 'model.safetensors'))
  return { expected: file?.lfs?.oid, actual: sha256(bytes) }
}

function blobs(h: Harness): string[] {
  const dir = join(h.cacheDir, 'models--mlx-test--tiny', 'blobs')
  return existsSync(dir) ? readdirSync(dir) : []
}

describe('downloads through a flaky network', () => {
  test('a download interrupted 20 times at random offsets resumes with Range and ends with the right sha256', async () => {
    const size = 512 * 1024
    const drops: FaultRule[] = Array.from({ length: 20 }, () => ({
      kind: 'drop',
      match: 'model.safetensors',
      atByte: 1 + Math.floor(Math.random() * 20_000),
      times: 1,
    }))
    // Throttled so bytes arrive as they are sent (a client may lose what it buffered when a socket dies).
    const h = await setup({ generatedBytes: size, rules: [...drops, { kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 20 * 2 ** 20 }] })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    expect(h.proxy.counters.drop).toBe(20)
    const requests = h.proxy.requests.filter((r) => r.url.includes('model.safetensors'))
    expect(requests.length).toBe(21)
    // Each reconnect asks for the bytes after what is on disk: never past what was sent, never backwards.
    let previous = 0
    for (const [index, request] of requests.entries()) {
      const sentBefore = requests.slice(0, index).reduce((sum, r) => sum + r.bytesSent, 0)
      const start = request.range === null ? 0 : Number(/^bytes=(\d+)-$/.exec(request.range)?.[1] ?? -1)
      expect(start).toBeGreaterThanOrEqual(previous)
      expect(start).toBeLessThanOrEqual(sentBefore)
      previous = start
    }
    expect(previous).toBeGreaterThan(0)
    // Little is fetched twice: at most one in-flight piece per drop.
    const refetched = requests.reduce((sum, r) => sum + r.bytesSent, 0) - size
    expect(refetched).toBeLessThanOrEqual(20 * ((20 * 2 ** 20) / 20))
  })

  test('a corrupt file is detected by its sha256, deleted and fetched again', async () => {
    const h = await setup({ rules: [{ kind: 'corrupt', match: 'model.safetensors', atByte: 1000, times: 1 }] })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    expect(h.proxy.counters.corrupt).toBe(1)
    expect(h.proxy.requests.filter((r) => r.url.includes('model.safetensors')).length).toBe(2)
  })

  test('hashed on a thread while it downloads: drops, a stall, a corrupt copy and a server ignoring Range still end right', async () => {
    const size = 512 * 1024
    const drops: FaultRule[] = Array.from({ length: 6 }, () => ({ kind: 'drop', match: 'model.safetensors', atByte: 1 + Math.floor(Math.random() * 60_000), times: 1 }))
    const h = await setup({
      generatedBytes: size,
      options: { hashThreadMinBytes: 0 },
      rules: [
        ...drops,
        { kind: 'stall', match: 'model.safetensors', atByte: 30_000, ms: 2_000, times: 1 },
        { kind: 'ignore-range', match: 'model.safetensors', times: 1 },
        { kind: 'corrupt', match: 'model.safetensors', atByte: 5_000, times: 1 },
        { kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 20 * 2 ** 20 },
      ],
    })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed', 20_000)
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    expect(h.proxy.counters).toMatchObject({ drop: 6, stall: 1, corrupt: 1 })
    expect(blobs(h).filter((name) => name.endsWith('.incomplete'))).toEqual([])
  })

  test('a file sized before it is written (as Bun does with a body that arrived whole) is not taken for corrupt', async () => {
    const { systemDownloadDisk } = await import('../../server/features/downloads/disk')
    const size = 256 * 1024
    const disk = {
      ...systemDownloadDisk,
      // Zeros to the full size first, and the bytes a moment later: the checksum following the file reads zeros.
      async writeBody(path: string, mode: 'append' | 'truncate', body: ReadableStream<Uint8Array>) {
        const oid = harness?.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.lfs?.oid
        if (mode === 'truncate' && oid !== undefined && path.endsWith(`${oid}.incomplete`)) {
          writeFileSync(path, new Uint8Array(size))
          await Bun.sleep(60)
        }
        return systemDownloadDisk.writeBody(path, mode, body)
      },
    }
    // Hashed on a thread, following the writes, as weights are.
    const h = await setup({ disk, generatedBytes: size, options: { hashThreadMinBytes: 0 } })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    expect(h.proxy.requests.filter((r) => r.url.includes('model.safetensors')).length).toBe(1)
  })

  test('a file corrupt every time fails clearly after the limit and leaves no bad blob', async () => {
    const h = await setup({ rules: [{ kind: 'corrupt', match: 'model.safetensors' }] })
    const { id } = await h.start(MODEL)
    const failed = await h.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('checksum-mismatch')
    expect(failed.error?.message).toContain('model.safetensors')
    expect(h.proxy.counters.corrupt).toBe(h.app.downloads.options.maxChecksumFailures)
    const oid = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.lfs?.oid ?? ''
    expect(blobs(h).filter((name) => name.startsWith(oid))).toEqual([])
  })

  test('a stalled connection is dropped and resumed with Range; the speed shows 0 while stalled', async () => {
    const h = await setup({
      generatedBytes: 256 * 1024,
      options: { stallTimeoutMs: 1_000, speedWindowMs: 300, fileConcurrency: 1 },
      rules: [{ kind: 'stall', match: 'model.safetensors', atByte: 50_000, ms: 5_000, times: 1 }],
    })
    const { id } = await h.start(MODEL)
    // While nothing arrives the reported speed falls to exactly 0.
    await h.until(() => h.proxy.counters.stall === 1, 'the stall')
    await h.until(
      () => h.events.some((e) => e.type === 'downloads.progress' && e.data.bytesDone > 0 && e.data.speedBps === 0 && e.data.bytesDone < e.data.bytesTotal),
      'a progress event with 0 B/s during the stall',
    )
    const done = await h.waitFor(id, 'completed')
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    const requests = h.proxy.requests.filter((r) => r.url.includes('model.safetensors'))
    expect(requests.length).toBe(2)
    expect(requests[1]?.range).toBe(`bytes=${requests[0]?.bytesSent}-`)
  })

  test('5xx answers are retried with backoff', async () => {
    const h = await setup({
      rules: [
        { kind: 'status', status: 503, match: '/api/models/', times: 2 },
        { kind: 'status', status: 500, match: 'model.safetensors', times: 3 },
        { kind: 'status', status: 429, match: 'tokenizer.json', times: 1, retryAfterSeconds: 0 },
      ],
    })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    expect(weights(h, done.commit).actual).toBe(weights(h, done.commit).expected ?? '')
    expect(h.proxy.counters.status).toBe(6)
  })

  test('a hub that keeps failing ends in a failed download that says why', async () => {
    const h = await setup({ options: { maxAttempts: 3 }, rules: [{ kind: 'status', status: 502, match: 'model.safetensors' }] })
    const { id } = await h.start(MODEL)
    const failed = await h.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('hub-error')
    expect(failed.error?.message).toContain('502')
    expect(failed.error?.message).toContain('resume')
  })

  test('a server that ignores Range is answered by starting that file over', async () => {
    const h = await setup({
      generatedBytes: 128 * 1024,
      rules: [
        { kind: 'drop', match: 'model.safetensors', atByte: 40_000, times: 1 },
        { kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 400_000, times: 1 },
        { kind: 'ignore-range', match: 'model.safetensors' },
      ],
    })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    const requests = h.proxy.requests.filter((r) => r.url.includes('model.safetensors'))
    expect(requests.map((r) => r.status)).toEqual([200, 200])
    // The second request asked to resume, got the whole file instead, and the file was started over.
    expect(requests[1]?.range).toMatch(/^bytes=[1-9]\d*-$/)
    expect(requests[1]?.bytesSent).toBe(128 * 1024)
  })

  test('LFS files redirected to another host are fetched without the Authorization header', async () => {
    harness = await downloadHarness({
      repos: [testRepo('mlx-test/gated', { gated: true })],
      token: FIXTURE_TOKEN,
      rules: [{ kind: 'redirect-cdn', match: '.safetensors' }, { kind: 'redirect-cdn', match: 'tokenizer.json' }],
    })
    const h = harness
    const { id } = await h.start('mlx-test/gated')
    await h.waitFor(id, 'completed')
    const cdn = h.proxy.requests.filter((r) => r.server === 'cdn')
    expect(cdn.length).toBe(2)
    for (const request of cdn) expect(request.authorization).toBeNull()
    const hub = h.proxy.requests.filter((r) => r.server === 'hub')
    for (const request of hub) expect(request.authorization).toBe(`Bearer ${FIXTURE_TOKEN}`)
    expect(h.proxy.counters['redirect-cdn']).toBe(2)
  })
})

describe('gated and private repos', () => {
  test('without a token the download says a token is needed', async () => {
    harness = await downloadHarness({ repos: [testRepo('mlx-test/gated', { gated: true })] })
    const { id } = await harness.start('mlx-test/gated')
    const failed = await harness.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('hf-token-required')
    expect(failed.error?.message).toContain('HF_TOKEN')
  })

  test('a token the hub does not accept is reported as refused', async () => {
    harness = await downloadHarness({ repos: [testRepo('mlx-test/gated', { gated: true })], token: 'hf_not_a_real_token' })
    const { id } = await harness.start('mlx-test/gated')
    expect((await harness.waitFor(id, 'failed')).error?.code).toBe('hf-token-refused')
  })

  test('403 (terms not accepted) is reported as refused', async () => {
    harness = await downloadHarness({
      repos: [testRepo('mlx-test/gated', { gated: true })],
      token: FIXTURE_TOKEN,
      rules: [{ kind: 'status', status: 403, match: '/resolve/' }],
    })
    const { id } = await harness.start('mlx-test/gated')
    const failed = await harness.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('hf-token-refused')
    expect(failed.error?.message).toContain('terms')
  })

  test('a private repo downloads with the token', async () => {
    harness = await downloadHarness({ repos: [testRepo('mlx-test/private', { private: true })], token: FIXTURE_TOKEN })
    const { id } = await harness.start('mlx-test/private')
    const done = await harness.waitFor(id, 'completed')
    expect(done.bytesDone).toBe(done.bytesTotal)
    const hubCalls = harness.proxy.requests.filter((r) => r.server === 'hub')
    expect(hubCalls.length).toBeGreaterThan(0)
    expect(hubCalls.every((r) => r.authorization === `Bearer ${FIXTURE_TOKEN}`)).toBe(true)
  })
})

describe('hub file names are never trusted', () => {
  for (const name of ['../../../escape.json', 'nested/../../escape.json', 'a\\..\\escape.json', 'tokenizer.json\u0000.json']) {
    test(`a repo listing ${JSON.stringify(name)} is refused and nothing is written`, async () => {
      harness = await downloadHarness({ repos: [testRepo('evil-org/traversal', { extraFiles: [{ path: name, text: '{"pwned": true}' }] })] })
      const h = harness
      const { id } = await h.start('evil-org/traversal')
      const failed = await h.waitFor(id, 'failed')
      expect(failed.error?.code).toBe('unsafe-file-name')
      expect(failed.error?.message).toContain('Nothing was written')
      // Not a byte anywhere: no repo folder, nothing next to the cache.
      expect(existsSync(join(h.cacheDir, 'models--evil-org--traversal'))).toBe(false)
      expect(readdirSync(h.home).filter((entry) => entry !== 'dist')).toEqual(existsSync(h.cacheDir) ? ['hub'] : [])
      expect(h.proxy.requests.filter((r) => r.url.includes('/resolve/'))).toEqual([])
    })
  }
})

describe('the disk', () => {
  test('too little free space fails before starting, with the numbers', async () => {
    const { systemDownloadDisk } = await import('../../server/features/downloads/disk')
    harness = await downloadHarness({ repos: [testRepo(MODEL)], disk: { ...systemDownloadDisk, freeBytes: () => Promise.resolve(1000) } })
    const { id } = await harness.start(MODEL)
    const failed = await harness.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('disk-space-low')
    expect(failed.error?.message).toContain('free')
    expect(harness.proxy.requests.filter((r) => r.url.includes('/resolve/'))).toEqual([])
  })

  test('a disk that fills up mid-file fails clearly, keeps the partial data, and resume finishes', async () => {
    const { systemDownloadDisk } = await import('../../server/features/downloads/disk')
    let budget = 100_000
    let full = true
    const disk = {
      ...systemDownloadDisk,
      // Writes what fits in the budget, then fails like a full disk.
      async writeBody(path: string, mode: 'append' | 'truncate', body: ReadableStream<Uint8Array>) {
        if (!full) return systemDownloadDisk.writeBody(path, mode, body)
        if (mode === 'truncate') writeFileSync(path, '')
        const reader = body.getReader()
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          const chunk = next.value
          appendFileSync(path, chunk.subarray(0, budget))
          if (chunk.length > budget) {
            budget = 0
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' })
          }
          budget -= chunk.length
        }
      },
    }
    harness = await downloadHarness({ repos: [testRepo(MODEL)], disk, generatedBytes: 256 * 1024, options: { fileConcurrency: 1 } })
    const h = harness
    const { id } = await h.start(MODEL)
    const failed = await h.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('disk-full')
    expect(failed.error?.message).toContain('Partial files are kept')
    const partial = blobs(h).find((name) => name.endsWith('.incomplete'))
    expect(partial).toBeDefined()
    const kept = statSync(join(h.cacheDir, 'models--mlx-test--tiny', 'blobs', partial ?? '')).size
    expect(kept).toBeGreaterThan(0)

    full = false
    h.proxy.clear()
    const resumed = await h.app.json<{ status: string }>('POST', `/api/downloads/${id}/resume`, { token: h.token })
    expect(resumed.status).toBe(200)
    const done = await h.waitFor(id, 'completed')
    expect(done.error).toBeNull()
    const { expected, actual } = weights(h, done.commit)
    expect(actual).toBe(expected ?? '')
    // The resume asked only for what was missing.
    const again = h.proxy.requests.find((r) => r.url.endsWith(partial?.startsWith(h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.lfs?.oid ?? '-') ? 'model.safetensors' : 'tokenizer.json'))
    expect(again?.range).toBe(`bytes=${kept}-`)
  })
})

describe('the cache is never written through a symlink', () => {
  const setupPlanted = async () => {
    harness = await downloadHarness({ repos: [testRepo(MODEL)] })
    const outside = mkdtempSync(join(tmpdir(), 'mlx-manager-outside-'))
    const root = join(harness.cacheDir, 'models--mlx-test--tiny')
    mkdirSync(root, { recursive: true })
    return { h: harness, outside, root }
  }

  test('a blobs folder that leads out of the cache is refused and nothing is written there', async () => {
    const { h, outside, root } = await setupPlanted()
    symlinkSync(outside, join(root, 'blobs'))
    const { id } = await h.start(MODEL)
    const failed = await h.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('unsafe-cache')
    expect(readdirSync(outside)).toEqual([])
  })

  test('a snapshot folder that leads out of the cache is refused', async () => {
    const { h, outside, root } = await setupPlanted()
    const snapshot = join(root, 'snapshots', h.repo(MODEL).sha)
    mkdirSync(snapshot, { recursive: true })
    symlinkSync(outside, join(snapshot, 'nested'))
    const { id } = await h.start(MODEL)
    expect((await h.waitFor(id, 'failed')).error?.code).toBe('unsafe-cache')
    expect(readdirSync(outside)).toEqual([])
  })

  test('a partial file replaced by a symlink is removed, not written through', async () => {
    const { h, outside, root } = await setupPlanted()
    const victim = join(outside, 'victim.txt')
    writeFileSync(victim, 'keep me')
    const oid = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.lfs?.oid ?? ''
    mkdirSync(join(root, 'blobs'), { recursive: true })
    symlinkSync(victim, join(root, 'blobs', `${oid}.incomplete`))
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    expect(readFileSync(victim, 'utf8')).toBe('keep me')
    expect(weights(h, done.commit).actual).toBe(oid)
  })
})
