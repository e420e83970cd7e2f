import type { DownloadFileStatus } from '../../../shared/downloads'
import type { RepoPaths } from './cache-layout'
import type { DownloadDisk, FileWriter } from './disk'
import { DownloadFailure, diskFailure } from './failures'
import { createStreamHasher, type StreamHasher } from './hashing'
import type { HubClient } from './hub'
import type { DownloadOptions } from './options'
import type { SpeedMeter } from './speed'

/** A file the download will fetch: where it goes, how big it is, and the blob id it must hash to. */
export interface PlannedFile {
  path: string
  size: number
  /** The sha256 of an LFS file, or the git blob oid of a plain one. */
  blobId: string
  lfs: boolean
}

/** A file's live state, read by the progress ticker. */
export interface FileLive {
  bytesDone: number
  status: DownloadFileStatus
  meter: SpeedMeter
}

export interface TransferContext {
  hub: HubClient
  disk: DownloadDisk
  options: DownloadOptions
  modelId: string
  commit: string
  paths: RepoPaths
  signal: AbortSignal
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  random?: () => number
}

class StallError extends Error {
  override name = 'StallError'
}

export function retryDelay(attempt: number, options: DownloadOptions, random: () => number, retryAfterSeconds: number | null): number {
  const exponential = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempt - 1))
  const jittered = exponential * (0.5 + random() / 2)
  return retryAfterSeconds === null ? jittered : Math.min(options.retryMaxMs, Math.max(jittered, retryAfterSeconds * 1000))
}

/**
 * Fetches one file into `blobs/{id}.incomplete`, resuming with Range from whatever is on disk,
 * reconnecting after drops and stalls, starting over when the server ignores Range, and renaming
 * it into place only once its size and checksum match. Memory stays bounded: a chunk at a time
 * plus the disk writer's buffer.
 */
export async function transferFile(file: PlannedFile, live: FileLive, ctx: TransferContext): Promise<void> {
  // Every checksum started for this file (one per start-over) is closed, whatever happens.
  const hashers: StreamHasher[] = []
  const fresh = () => {
    const hasher = createStreamHasher(file)
    hashers.push(hasher)
    return hasher
  }
  try {
    await transferInto(file, live, ctx, fresh)
  } finally {
    for (const hasher of hashers) hasher.close()
  }
}

async function transferInto(file: PlannedFile, live: FileLive, ctx: TransferContext, fresh: () => StreamHasher): Promise<void> {
  const { disk, options, signal } = ctx
  const random = ctx.random ?? Math.random
  const blobPath = ctx.paths.blob(file.blobId)
  const partPath = ctx.paths.incomplete(file.blobId)
  const where = ctx.paths.cacheDir

  if ((await disk.size(blobPath)) === file.size) {
    live.bytesDone = file.size
    live.status = 'done'
    return
  }
  // A partial "file" that is not a regular file (a planted symlink) is removed, never written through.
  if ((await disk.size(partPath)) === null && (await disk.exists(partPath))) await disk.remove(partPath)
  let have = (await disk.size(partPath)) ?? 0
  let hash: StreamHasher | null = null
  let hashed = 0
  let attempts = 0
  let corruptions = 0
  live.bytesDone = Math.min(have, file.size)

  const startOver = async () => {
    await disk.remove(partPath).catch((error: unknown) => {
      throw diskFailure(error, where)
    })
    have = 0
    hash = null
    hashed = 0
    live.bytesDone = 0
  }

  /** The disk is the truth: buffered bytes lost to a failed write must be fetched again, from the right offset. */
  const resync = async () => {
    const onDisk = (await disk.size(partPath)) ?? 0
    if (onDisk === have) return
    have = onDisk
    hash = null
    live.bytesDone = Math.min(have, file.size)
  }

  for (;;) {
    signal.throwIfAborted()
    if (have > file.size) {
      await startOver()
      continue
    }
    if (have === file.size) {
      live.status = 'verifying'
      if (hash === null || hashed !== have) ({ hash, hashed } = await rebuildHash(file, partPath, have, disk, fresh))
      const digest = await hash.digest()
      hash = null
      if (digest === file.blobId) {
        try {
          await disk.rename(partPath, blobPath)
        } catch (error) {
          throw diskFailure(error, where)
        }
        live.status = 'done'
        return
      }
      corruptions++
      await startOver()
      if (corruptions >= options.maxChecksumFailures) {
        throw new DownloadFailure(
          'checksum-mismatch',
          `${file.path} arrived ${corruptions} times with the wrong checksum, so it was deleted each time. The hub or something between you and it is corrupting data; try again later or on another network.`,
        )
      }
      continue
    }

    live.status = 'downloading'
    const before = have
    try {
      if (hash === null || hashed !== have) ({ hash, hashed } = await rebuildHash(file, partPath, have, disk, fresh))
      const result = await fetchRange(file, have, ctx, (next) => {
        have = next.have
        hash = next.hash
        hashed = next.hashed
        live.bytesDone = Math.min(have, file.size)
      }, hash, fresh, live)
      have = result.have
      hash = result.hash
      hashed = result.hashed
      live.bytesDone = Math.min(have, file.size)
      attempts = 0
      await resync()
    } catch (error) {
      if (signal.aborted) throw signal.reason
      await resync()
      if (!(error instanceof DownloadFailure) || !error.retryable) throw error
      // A connection that delivered bytes was making progress: its failure starts the count afresh.
      attempts = have > before ? 1 : attempts + 1
      if (attempts >= options.maxAttempts) {
        throw new DownloadFailure(
          error.code,
          `${error.message} Gave up on ${file.path} after ${attempts} attempts in a row; the partial file is kept, so resume continues where it stopped.`,
        )
      }
      await ctx.sleep(retryDelay(attempts, options, random, error.retryAfterSeconds), signal)
    }
  }
}

async function rebuildHash(file: PlannedFile, partPath: string, have: number, disk: DownloadDisk, fresh: () => StreamHasher) {
  const hash = fresh()
  let hashed = 0
  if (have > 0) {
    for await (const chunk of disk.read(partPath, have)) {
      await hash.update(chunk)
      hashed += chunk.length
    }
  }
  if (hashed !== have) throw new DownloadFailure('write-error', `${file.path}: the partial file changed while it was read.`, true)
  return { hash, hashed }
}

interface RangeState {
  have: number
  hash: StreamHasher
  hashed: number
}

/**
 * One connection: asks for the bytes from `have` on and appends them, with a watchdog that
 * aborts the connection when no byte arrives for `stallTimeoutMs`.
 */
async function fetchRange(
  file: PlannedFile,
  start: number,
  ctx: TransferContext,
  sync: (state: RangeState) => void,
  startHash: StreamHasher,
  fresh: () => StreamHasher,
  live: FileLive,
): Promise<RangeState> {
  const connection = new AbortController()
  const signal = AbortSignal.any([ctx.signal, connection.signal])
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  // A watchdog, not a race per read: racing every read against one long-lived promise would keep
  // every chunk reachable from it. Aborting the connection ends the pending read instead.
  let lastByteAt = performance.now()
  const stalled: { error: StallError | null } = { error: null }
  const throwIfStalled = () => {
    if (stalled.error !== null) throw stalled.error
  }
  const watchdog = setInterval(
    () => {
      if (performance.now() - lastByteAt < ctx.options.stallTimeoutMs) return
      stalled.error = new StallError(`no data for ${ctx.options.stallTimeoutMs} ms`)
      connection.abort(stalled.error)
      void reader?.cancel(stalled.error).catch(() => undefined)
    },
    Math.max(10, Math.min(1000, ctx.options.stallTimeoutMs / 4)),
  )
  const partPath = ctx.paths.incomplete(file.blobId)
  let state: RangeState = { have: start, hash: startHash, hashed: start }
  let writer: FileWriter | null = null
  try {
    const response = await ctx.hub.openFile(ctx.modelId, ctx.commit, file.path, start, signal)
    throwIfStalled()
    if (response.status === 416) {
      // Nothing past `start`: either the partial file is already whole, or it is longer than the file.
      if (start !== file.size) {
        await ctx.disk.remove(partPath)
        state = { have: 0, hash: fresh(), hashed: 0 }
        sync(state)
      }
      return state
    }
    let skip = 0
    if (response.status === 200 || response.start > start) {
      // The server ignored Range (or answered from elsewhere): the body is the whole file, so start over.
      if (start > 0 || response.status === 206) {
        state = { have: 0, hash: fresh(), hashed: 0 }
        sync(state)
      }
      if (response.status === 206 && response.start > 0) {
        await response.body.cancel().catch(() => undefined)
        throw new DownloadFailure('hub-error', `The hub sent ${file.path} from the wrong place.`, true)
      }
    } else {
      skip = start - response.start
    }
    reader = response.body.getReader()
    try {
      writer = await ctx.disk.openWriter(partPath, state.have === 0 ? 'truncate' : 'append')
    } catch (error) {
      throw diskFailure(error, ctx.paths.cacheDir)
    }
    for (;;) {
      const chunk = await reader.read()
      throwIfStalled()
      lastByteAt = performance.now()
      if (chunk.done) break
      let bytes = chunk.value
      if (skip > 0) {
        const dropped = Math.min(skip, bytes.length)
        skip -= dropped
        bytes = bytes.subarray(dropped)
        if (bytes.length === 0) continue
      }
      try {
        await writer.write(bytes)
      } catch (error) {
        throw diskFailure(error, ctx.paths.cacheDir)
      }
      const hashing = state.hash.update(bytes)
      if (hashing !== undefined) await hashing
      state.have += bytes.length
      state.hashed = state.have
      live.bytesDone = Math.min(state.have, file.size)
      live.meter.add(bytes.length)
      if (state.have > file.size) break
    }
    const finished = writer
    writer = null
    try {
      await finished.close()
    } catch (error) {
      throw diskFailure(error, ctx.paths.cacheDir)
    }
    if (state.have < file.size) {
      throw new DownloadFailure('network-error', `The connection closed after ${state.have} of ${file.size} bytes of ${file.path}.`, true)
    }
    return state
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    if (stalled.error !== null || error instanceof StallError) {
      throw new DownloadFailure('network-error', `The download of ${file.path} stalled (no data for ${ctx.options.stallTimeoutMs / 1000} s); reconnecting.`, true)
    }
    if (error instanceof DownloadFailure) throw error
    const code = (error as { code?: unknown } | null)?.code
    throw new DownloadFailure('network-error', `The connection dropped while fetching ${file.path} (${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)}).`, true)
  } finally {
    clearInterval(watchdog)
    if (reader !== null) await reader.cancel().catch(() => undefined)
    connection.abort()
    if (writer !== null) await writer.close().catch(() => undefined)
    // Keep the caller's view in step even when this connection failed part way.
    sync(state)
  }
}
