import type { RangeWriter } from './disk'
import { DownloadFailure, diskFailure } from './failures'
import { followFile, hashRecipe, type FileHasher } from './file-hash'
import { bytesDone, contiguousPrefix, newRecord, rangeLength, readRecord, recordExtent, type RangeRecord } from './ranges'
import { retryDelay, transferFile, type FileLive, type PlannedFile, type TransferContext } from './transfer'

/** A range answered with the whole file (200): the server ignores Range, so the file goes on over one stream. */
class RangesIgnored extends Error {
  constructor() {
    super('the server answered a range with the whole file')
  }
}

// The checksum thread is told where the written prefix ends at most once per this many bytes.
const READY_STEP = 2 ** 20
// How often a file in ranges considers opening one more connection.
const RAMP_MS = 100

/**
 * Fetches one blob: a large LFS file in ranges over several connections, anything else (or a file
 * whose server ignores Range) over one, each connection taken from the shared budget.
 */
export async function fetchBlob(file: PlannedFile, live: FileLive, ctx: TransferContext): Promise<void> {
  const { options } = ctx
  const inRanges = file.lfs && file.size > 0 && file.size >= options.parallelMinBytes && options.connections > 1
  if (inRanges) {
    const resumingRanges = await ctx.disk.exists(ctx.paths.ranges(file.blobId))
    if (!resumingRanges && options.rangesProbeMs > 0 && (await oneStreamWhileFast(file, live, ctx)) === 'done') return
    if ((await transferRanges(file, live, ctx)) === 'done') return
  }
  await toOneStream(file, live, ctx)
  await ctx.budget.with(ctx.signal, () => transferFile(file, live, ctx))
}

/** Why a single stream was stopped: it was too slow, so the file goes on in ranges. */
class TooSlow extends Error {
  constructor() {
    super('one connection is slower than several would be')
  }
}

/**
 * Fetches the file over one stream for as long as that stream alone is fast: on a link one
 * connection fills, ranges would only add work. Once it has run `rangesProbeMs` and goes slower
 * than `fastConnectionBytesPerSecond` (a CDN capping each connection), it is stopped; what it
 * wrote is the start of the file, from which the ranges go on.
 */
async function oneStreamWhileFast(file: PlannedFile, live: FileLive, ctx: TransferContext): Promise<'done' | 'slow'> {
  const { options } = ctx
  const probe = new AbortController()
  const signal = AbortSignal.any([ctx.signal, probe.signal])
  const started = performance.now()
  const watch = setInterval(() => {
    if (performance.now() - started < options.rangesProbeMs || live.status !== 'downloading') return
    if (live.meter.bytesPerSecond() < options.fastConnectionBytesPerSecond) probe.abort(new TooSlow())
  }, RAMP_MS)
  try {
    await ctx.budget.with(signal, () => transferFile(file, live, { ...ctx, signal }))
    return 'done'
  } catch (error) {
    if (ctx.signal.aborted || !(probe.signal.reason instanceof TooSlow)) throw error
    return 'slow'
  } finally {
    clearInterval(watch)
  }
}

/**
 * Turns a partial file written in ranges into one a single stream can resume: cut after the bytes
 * that are all there from the first, then drop the record (in that order, so a crash between
 * leaves a record that still describes the file). Nothing to do for a file without a record.
 */
async function toOneStream(file: PlannedFile, live: FileLive, ctx: TransferContext): Promise<void> {
  const { disk, paths } = ctx
  const recordPath = paths.ranges(file.blobId)
  if (!(await disk.exists(recordPath))) return
  const record = await readRecord(disk, recordPath, file.size)
  const partPath = paths.incomplete(file.blobId)
  const size = await disk.size(partPath)
  try {
    if (size !== null) await disk.truncate(partPath, Math.min(size, record === null ? 0 : contiguousPrefix(record)))
    await disk.remove(recordPath)
  } catch (error) {
    throw diskFailure(error, paths.cacheDir)
  }
  live.bytesDone = (await disk.size(partPath)) ?? 0
}

/**
 * Fetches a file as ranges over up to `connections` connections (opened while each is slow), each written at its place in
 * the one `.incomplete` file. What is on disk is recorded (ranges.ts) so any stop resumes without
 * fetching it again; the sha256 follows the bytes in order as they become contiguous, on a thread,
 * and is checked over the whole file before the rename. Answers 'one-stream' when the server
 * turned out to ignore Range.
 */
async function transferRanges(file: PlannedFile, live: FileLive, ctx: TransferContext): Promise<'done' | 'one-stream'> {
  const { disk, options, signal, paths } = ctx
  const blobPath = paths.blob(file.blobId)
  const partPath = paths.incomplete(file.blobId)
  const recordPath = paths.ranges(file.blobId)
  const where = paths.cacheDir
  const guard = async (work: () => Promise<unknown>) => {
    try {
      await work()
    } catch (error) {
      throw diskFailure(error, where)
    }
  }

  if ((await disk.size(blobPath)) === file.size) {
    await guard(() => disk.remove(recordPath))
    live.bytesDone = file.size
    live.status = 'done'
    return 'done'
  }
  // A partial "file" that is not a regular file (a planted symlink) is removed, never written through.
  if ((await disk.size(partPath)) === null && (await disk.exists(partPath))) await guard(() => disk.remove(partPath))

  let corruptions = 0
  for (;;) {
    signal.throwIfAborted()
    const record = await loadRecord(file, ctx)
    const outcome = await fetchRanges(file, live, ctx, record)
    if (outcome === 'ranges-ignored') return 'one-stream'
    if (outcome.digest === file.blobId) {
      await guard(() => disk.rename(partPath, blobPath))
      await guard(() => disk.remove(recordPath))
      live.bytesDone = file.size
      live.status = 'done'
      return 'done'
    }
    // Which range was wrong cannot be told: the whole file starts over (record first, see toOneStream).
    corruptions++
    await guard(() => disk.remove(recordPath))
    await guard(() => disk.remove(partPath))
    live.bytesDone = 0
    if (corruptions >= options.maxChecksumFailures) {
      throw new DownloadFailure(
        'checksum-mismatch',
        `${file.path} arrived ${corruptions} times with the wrong checksum, so it was deleted each time. The hub or something between you and it is corrupting data; try again later or on another network.`,
      )
    }
  }
}

/**
 * The record of what is on disk, written before any range is: a partial file from one stream
 * counts from its start; a record that claims more than the file holds (the file was cut) keeps
 * only its prefix; a record that cannot be read means the file's bytes cannot be placed, so it
 * starts over.
 */
async function loadRecord(file: PlannedFile, ctx: TransferContext): Promise<RangeRecord> {
  const { disk, options, paths } = ctx
  const partPath = paths.incomplete(file.blobId)
  const recordPath = paths.ranges(file.blobId)
  const fresh = (prefix: number) => newRecord(file.size, Math.min(options.rangeBytes, Math.max(64 * 1024, Math.ceil(file.size / options.connections))), prefix)
  try {
    const size = (await disk.size(partPath)) ?? 0
    let record = await readRecord(disk, recordPath, file.size)
    if (record === null && (await disk.exists(recordPath))) {
      await disk.remove(partPath)
      record = fresh(0)
    } else if (record === null) {
      if (size > file.size) await disk.remove(partPath)
      record = fresh(size > file.size ? 0 : size)
    } else if (recordExtent(record) > size) {
      record = newRecord(file.size, record.rangeBytes, Math.min(size, contiguousPrefix(record)))
    }
    await disk.writeDurable(recordPath, JSON.stringify(record))
    return record
  } catch (error) {
    throw diskFailure(error, paths.cacheDir)
  }
}

type Outcome = { digest: string } | 'ranges-ignored'

// Each chunk a connection reads is a new buffer: left to itself the collector lets them pile up to
// 70–100 MB over a gigabyte at 64 MB/s (measured with bench/downloads.ts); a collection per 32 MiB,
// at most 4 a second, keeps the growth under 50 MB and costs less CPU than the pile-up did.
const COLLECT_BYTES = 32 * 2 ** 20
const COLLECT_MIN_MS = 250
const collector = { bytes: 0, at: 0 }
function collectNowAndThen(count: number): void {
  collector.bytes += count
  if (collector.bytes < COLLECT_BYTES || performance.now() - collector.at < COLLECT_MIN_MS) return
  collector.bytes = 0
  collector.at = performance.now()
  Bun.gc(true)
}

/** One pass over the missing ranges with up to `connections` workers; the digest once every byte is there. */
async function fetchRanges(file: PlannedFile, live: FileLive, ctx: TransferContext, record: RangeRecord): Promise<Outcome> {
  const { disk, options, signal, paths } = ctx
  const partPath = paths.incomplete(file.blobId)
  const recordPath = paths.ranges(file.blobId)
  let writer: RangeWriter
  try {
    writer = await disk.openRanges(partPath)
  } catch (error) {
    throw diskFailure(error, paths.cacheDir)
  }
  const hasher: FileHasher = followFile({ ...hashRecipe(partPath, file), ordered: true }, file.size >= options.hashThreadMinBytes)
  const inner = new AbortController()
  const rangeSignal = AbortSignal.any([signal, inner.signal])
  const state: { failure: unknown; saving: Promise<void> | null; savedAt: number; firstOpen: number; told: number } = {
    failure: null,
    saving: null,
    savedAt: performance.now(),
    firstOpen: 0,
    told: -1,
  }
  const fail = (error: unknown) => {
    if (state.failure !== null) return
    state.failure = error
    inner.abort(error)
  }

  /** Tells the checksum how far the bytes from the first are all there. */
  const advance = () => {
    while (state.firstOpen < record.done.length && (record.done[state.firstOpen] ?? 0) >= rangeLength(record, state.firstOpen)) state.firstOpen++
    const prefix = Math.min(file.size, state.firstOpen * record.rangeBytes + (record.done[state.firstOpen] ?? 0))
    if (prefix - state.told >= READY_STEP || (prefix === file.size && state.told !== prefix)) {
      state.told = prefix
      hasher.ready(prefix)
    }
  }

  /** Syncs the data, then records it: the record never claims what a power cut could lose. */
  const save = (force: boolean): Promise<void> => {
    if (state.saving !== null) return state.saving
    if (!force && performance.now() - state.savedAt < options.rangeRecordIntervalMs) return Promise.resolve()
    const snapshot = JSON.stringify(record)
    state.saving = (async () => {
      try {
        await writer.sync()
        await disk.writeDurable(recordPath, snapshot)
      } catch (error) {
        fail(diskFailure(error, paths.cacheDir))
      } finally {
        state.savedAt = performance.now()
        state.saving = null
      }
    })()
    return state.saving
  }

  const onBytes = (count: number) => {
    collectNowAndThen(count)
    live.bytesDone += count
    live.meter.add(count)
    advance()
    void save(false)
  }

  live.status = 'downloading'
  live.bytesDone = bytesDone(record)
  advance()
  const open = record.done.flatMap((done, index) => (done < rangeLength(record, index) ? [index] : []))
  const worker = async () => {
    for (let index = open.shift(); index !== undefined && state.failure === null; index = open.shift()) {
      await fetchRange(file, live, ctx, { record, index, writer, signal: rangeSignal, onBytes })
    }
  }
  const workers: Promise<void>[] = []
  const spawn = () => workers.push(worker().catch((error: unknown) => fail(error)))
  // One connection first, then one more per tick while they are slow (see fastConnectionBytesPerSecond).
  if (open.length > 0) spawn()
  const ramp = setInterval(() => {
    if (state.failure !== null || open.length === 0 || workers.length >= options.connections) return
    if (live.meter.bytesPerSecond() / Math.max(1, live.connections) < options.fastConnectionBytesPerSecond) spawn()
  }, RAMP_MS)
  try {
    // Workers may be added while the first ones run: wait for every one, including those.
    for (let waited = 0; waited < workers.length; waited++) await workers[waited]
  } finally {
    clearInterval(ramp)
  }
  // Whatever stopped the ranges (done, pause, a failure), what reached the disk is recorded.
  await state.saving
  await save(true)
  await writer.close().catch(() => undefined)

  try {
    if (signal.aborted) throw signal.reason
    if (state.failure instanceof RangesIgnored) return 'ranges-ignored'
    if (state.failure !== null) throw state.failure as Error
    live.status = 'verifying'
    advance()
    try {
      return { digest: await hasher.digest(file.size) }
    } catch (error) {
      signal.throwIfAborted()
      const detail = error instanceof Error ? error.message : String(error)
      throw new DownloadFailure('write-error', `Checking the checksum of ${file.path} failed (${detail}). The file is kept; resume to check it again.`)
    }
  } finally {
    hasher.close()
  }
}

interface RangeJob {
  record: RangeRecord
  index: number
  writer: RangeWriter
  signal: AbortSignal
  onBytes: (count: number) => void
}

/** One range until it is whole: reconnects after drops and stalls with backoff, from where it stopped. */
async function fetchRange(file: PlannedFile, live: FileLive, ctx: TransferContext, job: RangeJob): Promise<void> {
  const { options } = ctx
  const random = ctx.random ?? Math.random
  const length = rangeLength(job.record, job.index)
  let attempts = 0
  while ((job.record.done[job.index] ?? 0) < length) {
    job.signal.throwIfAborted()
    const before = job.record.done[job.index] ?? 0
    try {
      await ctx.budget.with(job.signal, () => fetchOnce(file, live, ctx, job, length))
    } catch (error) {
      if (job.signal.aborted) throw job.signal.reason
      if (!(error instanceof DownloadFailure) || !error.retryable) throw error
      // A connection that delivered bytes was making progress: its failure starts the count afresh.
      attempts = (job.record.done[job.index] ?? 0) > before ? 1 : attempts + 1
      if (attempts >= options.maxAttempts) {
        throw new DownloadFailure(
          error.code,
          `${error.message} Gave up on ${file.path} after ${attempts} attempts in a row; the partial file is kept, so resume continues where it stopped.`,
        )
      }
      await ctx.sleep(retryDelay(attempts, options, random, error.retryAfterSeconds), job.signal)
    }
  }
}

/** One connection for the rest of one range, cut when nothing arrives for `stallTimeoutMs`. */
async function fetchOnce(file: PlannedFile, live: FileLive, ctx: TransferContext, job: RangeJob, length: number): Promise<void> {
  const { options, paths } = ctx
  const { record, index } = job
  const rangeStart = index * record.rangeBytes
  const from = rangeStart + (record.done[index] ?? 0)
  const last = rangeStart + length - 1
  const connection = new AbortController()
  const signal = AbortSignal.any([job.signal, connection.signal])
  const stall: { failure: DownloadFailure | null; lastAt: number } = { failure: null, lastAt: performance.now() }
  const watchdog = setInterval(
    () => {
      if (performance.now() - stall.lastAt < options.stallTimeoutMs) return
      stall.failure ??= new DownloadFailure('network-error', `A connection for ${file.path} stalled (no data for ${options.stallTimeoutMs / 1000} s); reconnecting.`, true)
      connection.abort(stall.failure)
    },
    Math.max(10, Math.min(250, options.stallTimeoutMs / 4)),
  )
  live.connections++
  try {
    const response = await ctx.hub.openFile(ctx.modelId, ctx.commit, file.path, from, signal, last)
    if (response.status === 416) {
      throw new DownloadFailure('hub-error', `The hub said ${file.path} has no bytes ${from}-${last}, though it listed ${file.size} bytes.`, true)
    }
    if (response.status === 200) {
      await response.body.cancel().catch(() => undefined)
      throw new RangesIgnored()
    }
    if (response.start > from) {
      await response.body.cancel().catch(() => undefined)
      throw new DownloadFailure('hub-error', `The hub sent part of ${file.path} from the wrong place.`, true)
    }
    let skip = from - response.start
    const reader = response.body.getReader()
    try {
      while ((record.done[index] ?? 0) < length) {
        const next = await reader.read()
        if (next.done) break
        stall.lastAt = performance.now()
        let chunk = next.value
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.length)
          skip -= dropped
          chunk = chunk.subarray(dropped)
        }
        const done = record.done[index] ?? 0
        // A server that sends past the range's end: the rest belongs to another range.
        if (chunk.length > length - done) chunk = chunk.subarray(0, length - done)
        if (chunk.length === 0) continue
        try {
          await job.writer.write(chunk, rangeStart + done)
        } catch (error) {
          throw diskFailure(error, paths.cacheDir)
        }
        record.done[index] = done + chunk.length
        job.onBytes(chunk.length)
      }
    } finally {
      void reader.cancel().catch(() => undefined)
    }
    if ((record.done[index] ?? 0) < length) {
      throw new DownloadFailure('network-error', `A connection closed after ${record.done[index] ?? 0} of the ${length} bytes of a range of ${file.path}.`, true)
    }
  } catch (error) {
    if (job.signal.aborted) throw job.signal.reason
    if (stall.failure !== null) throw stall.failure
    if (error instanceof DownloadFailure || error instanceof RangesIgnored) throw error
    const code = (error as { code?: unknown } | null)?.code
    throw new DownloadFailure('network-error', `The connection dropped while fetching ${file.path} (${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)}).`, true)
  } finally {
    clearInterval(watchdog)
    live.connections--
    connection.abort()
  }
}
