import { afterEach, describe, expect, test } from 'bun:test'
import { scanCacheDir } from '@huggingface/hub'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DownloadDisk } from '../../server/features/downloads/disk'
import { systemDownloadDisk } from '../../server/features/downloads/disk'
import { bytesDone, contiguousPrefix, newRecord, parseRecord } from '../../server/features/downloads/ranges'
import { downloadHarness, type Harness } from '../fixtures/faults/harness'
import type { FaultRule, ProxyRequest } from '../fixtures/faults/proxy'
import { testRepo } from '../fixtures/faults/repos'
import { FIXTURE_TOKEN } from '../fixtures/hub'

const MODEL = 'mlx-test/tiny'
const ROOT = 'models--mlx-test--tiny'
const SIZE = 1024 * 1024
const RANGE = 128 * 1024
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

// Every LFS file of the test repo (weights and tokenizer.json, SIZE bytes each) goes straight to 128 KiB ranges over 4 connections,
// its checksum on a thread following the bytes in order as weights' is.
const PARALLEL = { connections: 4, parallelMinBytes: 0, rangeBytes: RANGE, rangeRecordIntervalMs: 20, hashThreadMinBytes: 0, rangesProbeMs: 0 }

let harness: Harness | null = null
afterEach(async () => {
  await harness?.stop()
  harness = null
})

async function setup(options: Partial<Parameters<typeof downloadHarness>[0]> = {}) {
  harness = await downloadHarness({ repos: [testRepo(MODEL)], generatedBytes: SIZE, ...options, options: { ...PARALLEL, ...options.options } })
  return harness
}

const oidOf = (h: Harness, path = 'model.safetensors') => h.repo(MODEL).files.find((f) => f.path === path)?.lfs?.oid ?? ''
const blobsDir = (h: Harness) => join(h.cacheDir, ROOT, 'blobs')
const blobNames = (h: Harness) => (existsSync(blobsDir(h)) ? readdirSync(blobsDir(h)) : [])
const weightRequests = (h: Harness) => h.proxy.requests.filter((r) => r.url.includes('model.safetensors'))

/** `bytes=a-b` as [a, b]; null for anything else. */
function bounds(request: ProxyRequest): [number, number] | null {
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.range ?? '')
  return match === null ? null : [Number(match[1]), Number(match[2])]
}

/** The finished weights are the fixture's bytes exactly, and @huggingface/hub's scanner reads the snapshot. */
async function expectFinished(h: Harness, commit: string | null) {
  const served = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')
  const bytes = readFileSync(join(h.cacheDir, ROOT, 'snapshots', commit ?? '', 'model.safetensors'))
  expect(sha256(bytes)).toBe(oidOf(h))
  expect(Buffer.compare(bytes, Buffer.from(served?.content ?? []))).toBe(0)
  expect(blobNames(h).filter((name) => name.includes('.incomplete'))).toEqual([])
  const scan = await scanCacheDir(h.cacheDir)
  expect(scan.warnings).toEqual([])
  const cached = scan.repos.find((r) => r.id.name === MODEL)
  const weights = cached?.revisions[0]?.files.find((f) => f.path.endsWith('model.safetensors'))
  expect(weights?.blob.size).toBe(SIZE)
  expect(weights?.blob.path).toBe(join(blobsDir(h), oidOf(h)))
}

describe('large files in ranges over several connections', () => {
  test('a file is fetched as ranges at once, each written in place, and the blob is exact', async () => {
    const h = await setup({ rules: [{ kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 2 * 2 ** 20 }] })
    const { id } = await h.start(MODEL)
    // While it moves, the file's line says several connections carry it, and bytes add up over all of them.
    await h.until(
      () => h.events.some((e) => e.type === 'downloads.progress' && e.data.files.some((f) => f.path === 'model.safetensors' && (f.connections ?? 0) > 1 && f.speedBps > 0)),
      'a progress event with several connections on the weights',
    )
    const done = await h.waitFor(id, 'completed')
    expect(done.bytesDone).toBe(done.bytesTotal)
    await expectFinished(h, done.commit)
    const ranges = weightRequests(h).map(bounds)
    // One request per range, each for its own bytes, together the whole file.
    expect(ranges.length).toBe(SIZE / RANGE)
    expect(ranges.map((r) => r?.[0]).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: SIZE / RANGE }, (_, i) => i * RANGE))
    for (const range of ranges) expect(range?.[1]).toBe((range?.[0] ?? 0) + RANGE - 1)
    expect(weightRequests(h).reduce((sum, r) => sum + r.bytesSent, 0)).toBe(SIZE)
  })

  test('connections cut at random points in every range resume each range where it stopped', async () => {
    const drops: FaultRule[] = Array.from({ length: 16 }, () => ({ kind: 'drop', match: 'model.safetensors', atByte: 1 + Math.floor(Math.random() * (RANGE - 2)), times: 1 }))
    const h = await setup({ rules: [...drops, { kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 8 * 2 ** 20 }] })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed', 20_000)
    await expectFinished(h, done.commit)
    expect(h.proxy.counters.drop).toBe(16)
    // Each connection cut short (a drop past a resumed range's end never fires) was followed by
    // one asking for the rest of that range only, from no further back than what had been sent.
    const requests = weightRequests(h)
    const length = (r: ProxyRequest) => (bounds(r)?.[1] ?? 0) - (bounds(r)?.[0] ?? 0) + 1
    const cut = requests.filter((r) => r.bytesSent < length(r))
    expect(cut.length).toBeGreaterThanOrEqual(8)
    expect(requests.length).toBe(SIZE / RANGE + cut.length)
    for (const request of cut) {
      const [start = 0, end = 0] = bounds(request) ?? []
      const next = requests.slice(requests.indexOf(request) + 1).find((r) => bounds(r)?.[1] === end)
      expect(bounds(next as ProxyRequest)?.[0]).toBeGreaterThan(start)
      expect(bounds(next as ProxyRequest)?.[0]).toBeLessThanOrEqual(start + request.bytesSent)
    }
    const refetched = requests.reduce((sum, r) => sum + r.bytesSent, 0) - SIZE
    expect(refetched).toBeLessThanOrEqual(16 * 16 * 1024)
  })

  test('a stalled range is cut and fetched again from where it stopped while the others go on', async () => {
    const h = await setup({ options: { stallTimeoutMs: 300 }, rules: [{ kind: 'stall', match: 'model.safetensors', atByte: 50_000, ms: 5_000, times: 1 }] })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    expect(h.proxy.counters.stall).toBe(1)
    const stalled = weightRequests(h).find((r) => r.faults.includes('stall'))
    const [start = -1, end = -1] = (stalled && bounds(stalled)) ?? []
    const again = weightRequests(h).find((r) => r.range === `bytes=${start + (stalled?.bytesSent ?? 0)}-${end}`)
    expect(again).toBeDefined()
  })

  test('a range answered with wrong bytes fails the sha256; the file is deleted and fetched again', async () => {
    const h = await setup({ rules: [{ kind: 'corrupt', match: 'model.safetensors', atByte: 1000, times: 1 }] })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    expect(h.proxy.counters.corrupt).toBe(1)
    expect(weightRequests(h).length).toBe(2 * (SIZE / RANGE))
  })

  test('a range answered 200 with the whole file: the file goes on over one stream from what it has', async () => {
    const h = await setup({
      // Hashed in place once whole, as files under hashThreadMinBytes are.
      options: { connections: 2, hashThreadMinBytes: 16 * 2 ** 20 },
      rules: [
        { kind: 'ignore-range', match: 'model.safetensors', times: 1 },
        { kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 4 * 2 ** 20 },
      ],
    })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    const requests = weightRequests(h)
    // One range was answered with the whole file…
    expect(requests.filter((r) => r.range !== null && r.status === 200).length).toBe(1)
    // After the 200, one stream asked for the rest of the file from the bytes it had in order.
    const tail = requests.at(-1)
    expect(tail?.range ?? 'bytes=0-').toMatch(/^bytes=\d+-$/)
    expect(tail?.status).toBe(tail?.range === null ? 200 : 206)
  })

  test('each range may be sent to a CDN of its own; none of them sees the token', async () => {
    harness = await downloadHarness({
      repos: [testRepo('mlx-test/gated', { gated: true })],
      token: FIXTURE_TOKEN,
      generatedBytes: SIZE,
      options: PARALLEL,
      rules: [{ kind: 'redirect-cdn', match: 'model.safetensors' }],
    })
    const h = harness
    const { id } = await h.start('mlx-test/gated')
    await h.waitFor(id, 'completed')
    const cdn = h.proxy.requests.filter((r) => r.server === 'cdn' && r.url.includes('model.safetensors'))
    expect(cdn.length).toBe(SIZE / RANGE)
    expect(new Set(cdn.map((r) => r.range)).size).toBe(SIZE / RANGE)
    for (const request of cdn) expect(request.authorization).toBeNull()
  })

  test('a connection fast enough to have the link to itself gets no company', async () => {
    const h = await setup({ options: { fastConnectionBytesPerSecond: 1, fileConcurrency: 1 }, rules: [{ kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 4 * 2 ** 20 }] })
    const { id } = await h.start(MODEL)
    let peak = 0
    for (;;) {
      const download = await h.app.downloads.get(id)
      peak = Math.max(peak, download.files.find((f) => f.path === 'model.safetensors')?.connections ?? 0)
      if (download.status !== 'downloading' && download.status !== 'queued') break
      await Bun.sleep(5)
    }
    expect((await h.app.downloads.get(id)).status).toBe('completed')
    expect(peak).toBe(1)
    // Still in ranges, one after the other.
    expect(weightRequests(h).length).toBe(SIZE / RANGE)
  })

  test('several files of a model share the connection budget', async () => {
    // Two files in ranges at once, 3 connections in all: never more than 3 requests in flight.
    const h = await setup({ options: { connections: 3, fileConcurrency: 2 }, rules: [{ kind: 'throttle', match: '/resolve/', bytesPerSecond: 4 * 2 ** 20 }] })
    let peak = 0
    const { id } = await h.start(MODEL)
    for (;;) {
      const download = await h.app.downloads.get(id)
      peak = Math.max(peak, download.files.reduce((sum, f) => sum + (f.connections ?? 0), 0))
      if (download.status !== 'downloading' && download.status !== 'queued') break
      await Bun.sleep(5)
    }
    expect((await h.app.downloads.get(id)).status).toBe('completed')
    expect(peak).toBeGreaterThan(1)
    expect(peak).toBeLessThanOrEqual(3)
    const tokenizer = h.proxy.requests.filter((r) => r.url.includes('tokenizer.json'))
    expect(tokenizer.length).toBeGreaterThan(1)
  })
})

describe('one stream first, ranges when it is slow', () => {
  test('a stream fast enough alone fetches the whole file', async () => {
    const h = await setup({ options: { rangesProbeMs: 50, fastConnectionBytesPerSecond: 1 } })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    expect(weightRequests(h).map((r) => [r.range, r.status])).toEqual([[null, 200]])
  })

  test('a slow stream is stopped and the file goes on in ranges from what it wrote', async () => {
    const h = await setup({
      options: { rangesProbeMs: 300, fastConnectionBytesPerSecond: 2 ** 30 },
      rules: [{ kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 1024 * 1024 }],
    })
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    const [first, ...rest] = weightRequests(h)
    expect(first?.range).toBeNull()
    expect(first?.bytesSent).toBeGreaterThan(0)
    expect(first?.bytesSent).toBeLessThan(SIZE)
    expect(rest.length).toBeGreaterThan(1)
    for (const request of rest) expect(bounds(request)).not.toBeNull()
    // The ranges start after what the stream wrote: only what was in flight when it stopped came twice.
    expect(Math.min(...rest.map((r) => bounds(r)?.[0] ?? 0))).toBeGreaterThan(0)
    expect(weightRequests(h).reduce((sum, r) => sum + r.bytesSent, 0) - SIZE).toBeLessThan(128 * 1024)
  })
})

describe('stopping a download fetched in ranges', () => {
  const throttled: FaultRule[] = [{ kind: 'throttle', match: 'model.safetensors', bytesPerSecond: 512 * 1024 }]

  test('a disk that fills up during the writes fails clearly, keeps what is recorded, and resume fetches only the rest', async () => {
    let budget = 300_000
    const disk: DownloadDisk = {
      ...systemDownloadDisk,
      async openRanges(path) {
        const writer = await systemDownloadDisk.openRanges(path)
        return {
          ...writer,
          async write(bytes, position) {
            if (!path.includes(oidOf(harness as Harness))) return writer.write(bytes, position)
            if (bytes.length > budget) {
              budget = 0
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' })
            }
            budget -= bytes.length
            return writer.write(bytes, position)
          },
        }
      },
    }
    const h = await setup({ disk, rules: throttled })
    const { id } = await h.start(MODEL)
    const failed = await h.waitFor(id, 'failed')
    expect(failed.error?.code).toBe('disk-full')
    expect(failed.error?.message).toContain('Partial files are kept')
    const recordPath = join(blobsDir(h), `${oidOf(h)}.incomplete.ranges`)
    const record = parseRecord(readFileSync(recordPath, 'utf8'), SIZE)
    const kept = record === null ? 0 : bytesDone(record)
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThanOrEqual(300_000)
    // The list shows what is on disk, not the partial file's length.
    expect(failed.files.find((f) => f.path === 'model.safetensors')?.bytesDone).toBe(kept)

    budget = Number.POSITIVE_INFINITY
    h.proxy.clear()
    h.proxy.setRules([])
    const resumed = await h.app.json<{ status: string }>('POST', `/api/downloads/${id}/resume`, { token: h.token })
    expect(resumed.status).toBe(200)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    // The resume asked for exactly the bytes the record did not have.
    const asked = weightRequests(h).reduce((sum, r) => sum + ((bounds(r)?.[1] ?? -1) - (bounds(r)?.[0] ?? 0) + 1), 0)
    expect(asked).toBe(SIZE - kept)
  })

  test('pause keeps the ranges done; resume fetches only the rest', async () => {
    const h = await setup({ rules: throttled })
    const { id } = await h.start(MODEL)
    await h.until(async () => ((await h.app.downloads.get(id)).files.find((f) => f.path === 'model.safetensors')?.bytesDone ?? 0) > SIZE / 4, 'a quarter of the weights')
    const paused = await h.app.json<{ status: string }>('POST', `/api/downloads/${id}/pause`, { token: h.token })
    expect(paused.status).toBe(200)
    const record = parseRecord(readFileSync(join(blobsDir(h), `${oidOf(h)}.incomplete.ranges`), 'utf8'), SIZE)
    const kept = record === null ? 0 : bytesDone(record)
    expect(kept).toBeGreaterThan(SIZE / 4)
    expect((await h.app.downloads.get(id)).files.find((f) => f.path === 'model.safetensors')?.bytesDone).toBe(kept)
    const sentBefore = weightRequests(h).reduce((sum, r) => sum + r.bytesSent, 0)

    h.proxy.setRules([])
    await h.app.json('POST', `/api/downloads/${id}/resume`, { token: h.token })
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    const sentTotal = weightRequests(h).reduce((sum, r) => sum + r.bytesSent, 0)
    // What was sent but not yet written when the pause cut the connections is all that came twice.
    expect(sentTotal - SIZE).toBeLessThanOrEqual(sentBefore - kept)
    expect(sentTotal - SIZE).toBeLessThan(4 * 64 * 1024)
  })

  test('cancel stops every connection and removes the partial file and its record', async () => {
    const h = await setup({ rules: throttled })
    const { id } = await h.start(MODEL)
    await h.until(() => blobNames(h).some((name) => name.endsWith('.incomplete.ranges')), 'the ranges record')
    await h.until(async () => ((await h.app.downloads.get(id)).files.find((f) => f.path === 'model.safetensors')?.bytesDone ?? 0) > 0, 'some bytes')
    const cancelled = await h.app.json<{ status: string }>('POST', `/api/downloads/${id}/cancel`, { token: h.token })
    expect(cancelled.status).toBe(200)
    expect((await h.app.downloads.get(id)).status).toBe('cancelled')
    expect(existsSync(join(h.cacheDir, ROOT))).toBe(false)
    // Cancelled means every range request is abandoned, and none is asked again.
    const requestsAtCancel = h.proxy.requests.length
    await h.until(() => h.proxy.answering === 0, 'the ranges to be abandoned', 2_000)
    expect(h.proxy.requests.length).toBe(requestsAtCancel)
  })
})

describe('what is on disk before a download in ranges starts', () => {
  const asked = (h: Harness) => weightRequests(h).reduce((sum, r) => sum + ((bounds(r)?.[1] ?? -1) - (bounds(r)?.[0] ?? 0) + 1), 0)
  const plant = (h: Harness, bytes: Uint8Array, record: string | null) => {
    mkdirSync(blobsDir(h), { recursive: true })
    writeFileSync(join(blobsDir(h), `${oidOf(h)}.incomplete`), bytes)
    if (record !== null) writeFileSync(join(blobsDir(h), `${oidOf(h)}.incomplete.ranges`), record)
  }

  test('a partial file from one stream (no record) counts as the start of the file', async () => {
    const h = await setup()
    const served = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.content ?? new Uint8Array()
    plant(h, served.subarray(0, 300_000), null)
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    expect(asked(h)).toBe(SIZE - 300_000)
  })

  test('a record that cannot be read starts the file over instead of trusting bytes it cannot place', async () => {
    const h = await setup()
    plant(h, new Uint8Array(SIZE).fill(7), '{"size": 12')
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    expect(asked(h)).toBe(SIZE)
  })

  test('a record that claims more than the partial file holds keeps only what is there in order', async () => {
    const h = await setup()
    const served = h.repo(MODEL).files.find((f) => f.path === 'model.safetensors')?.content ?? new Uint8Array()
    // The record says every range is done, but the file was cut at 200,000 bytes.
    plant(h, served.subarray(0, 200_000), JSON.stringify(newRecord(SIZE, RANGE, SIZE)))
    const { id } = await h.start(MODEL)
    const done = await h.waitFor(id, 'completed')
    await expectFinished(h, done.commit)
    expect(asked(h)).toBe(SIZE - 200_000)
  })

  test('records are checked before they are believed', () => {
    const record = newRecord(SIZE, RANGE, 300_000)
    expect(record.done.slice(0, 4)).toEqual([RANGE, RANGE, 300_000 - 2 * RANGE, 0])
    expect(contiguousPrefix(record)).toBe(300_000)
    expect(parseRecord(JSON.stringify(record), SIZE)).toEqual(record)
    expect(parseRecord(JSON.stringify(record), SIZE + 1)).toBeNull()
    expect(parseRecord(JSON.stringify({ ...record, done: [...record.done.slice(1), 0] }), SIZE)).toEqual({ ...record, done: [...record.done.slice(1), 0] })
    expect(parseRecord(JSON.stringify({ ...record, done: [RANGE + 1, ...record.done.slice(1)] }), SIZE)).toBeNull()
    expect(parseRecord(JSON.stringify({ ...record, done: record.done.slice(1) }), SIZE)).toBeNull()
    expect(parseRecord(JSON.stringify({ ...record, rangeBytes: 0 }), SIZE)).toBeNull()
    expect(parseRecord('not json', SIZE)).toBeNull()
  })
})

describe('the hub stand-in caps each connection like a CDN', () => {
  test('one connection gets the cap; four connections for a quarter each get four times as much', async () => {
    const h = await setup()
    h.hub.setConnectionRate(2 * 2 ** 20)
    const file = `${h.hub.url}/${MODEL}/resolve/main/model.safetensors`
    const fetchBytes = async (range?: string) => (await (await fetch(file, range === undefined ? {} : { headers: { range } })).arrayBuffer()).byteLength
    let started = performance.now()
    expect(await fetchBytes()).toBe(SIZE)
    const oneStream = performance.now() - started
    // 1 MiB at 2 MiB/s.
    expect(oneStream).toBeGreaterThanOrEqual(450)

    started = performance.now()
    const quarters = await Promise.all([0, 1, 2, 3].map((i) => fetchBytes(`bytes=${(i * SIZE) / 4}-${((i + 1) * SIZE) / 4 - 1}`)))
    expect(quarters).toEqual([SIZE / 4, SIZE / 4, SIZE / 4, SIZE / 4])
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(oneStream / 2)

    // Lifted, the same file comes at once.
    h.hub.setConnectionRate(null)
    started = performance.now()
    expect(await fetchBytes()).toBe(SIZE)
    expect(performance.now() - started).toBeLessThan(oneStream / 2)
  })
})
