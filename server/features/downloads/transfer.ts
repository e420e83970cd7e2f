import type { DownloadFileStatus } from '../../../shared/downloads'
import type { ConnectionBudget } from './budget'
import type { RepoPaths } from './cache-layout'
import type { DownloadDisk } from './disk'
import { DownloadFailure, diskFailure, isDiskError } from './failures'
import { followFile, hashRecipe, type FileHasher } from './file-hash'
import type { DownloadHub } from './hub'
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
  /** Connections fetching this file now: several for a large file fetched in ranges. */
  connections: number
}

export interface TransferContext {
  hub: DownloadHub
  disk: DownloadDisk
  options: DownloadOptions
  modelId: string
  commit: string
  paths: RepoPaths
  signal: AbortSignal
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  random?: () => number
  /** Connections open at once, shared by every file of every download. */
  budget: ConnectionBudget
}

export function retryDelay(attempt: number, options: DownloadOptions, random: () => number, retryAfterSeconds: number | null): number {
  const exponential = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempt - 1))
  const jittered = exponential * (0.5 + random() / 2)
  return retryAfterSeconds === null ? jittered : Math.min(options.retryMaxMs, Math.max(jittered, retryAfterSeconds * 1000))
}

/**
 * Fetches one file into `blobs/{id}.incomplete`, resuming with Range from whatever is on disk,
 * reconnecting after drops and stalls, starting over when the server ignores Range, and renaming
 * it into place only once its size and checksum match. The checksum is taken from the partial file
 * on disk, following the writes, so a resumed file is hashed from its first byte like a new one.
 */
export async function transferFile(file: PlannedFile, live: FileLive, ctx: TransferContext): Promise<void> {
  const partPath = ctx.paths.incomplete(file.blobId)
  const onThread = file.size >= ctx.options.hashThreadMinBytes
  let hasher: FileHasher | null = null
  const hashing: Hashing = {
    onThread,
    current: () => (hasher ??= followFile(hashRecipe(partPath, file), onThread)),
    restart: () => {
      hasher?.close()
      hasher = null
    },
  }
  try {
    await transferInto(file, live, ctx, hashing)
  } finally {
    hashing.restart()
  }
}

/** The checksum of the partial file: `restart` whenever the file is replaced or cut. */
interface Hashing {
  /** Whether the checksum follows the writes from a thread (or is taken once the file is whole). */
  readonly onThread: boolean
  current(): FileHasher
  restart(): void
}

async function transferInto(file: PlannedFile, live: FileLive, ctx: TransferContext, hashing: Hashing): Promise<void> {
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
  let attempts = 0
  let corruptions = 0
  live.bytesDone = Math.min(have, file.size)

  const startOver = async () => {
    hashing.restart()
    await disk.remove(partPath).catch((error: unknown) => {
      throw diskFailure(error, where)
    })
    have = 0
    live.bytesDone = 0
  }

  for (;;) {
    signal.throwIfAborted()
    if (have > file.size) {
      await startOver()
      continue
    }
    if (have === file.size) {
      live.status = 'verifying'
      let digest: string
      try {
        digest = await hashing.current().digest(file.size)
        if (digest !== file.blobId && hashing.onThread) {
          // A thread's checksum followed the writes, and a body that arrived whole is written after
          // the file is sized to it, so it may have read zeros there for a moment: ask again, at rest.
          hashing.restart()
          digest = await hashing.current().digest(file.size)
        }
      } catch (error) {
        // The partial file changed under the checksum (or could not be read): measure it again.
        signal.throwIfAborted()
        hashing.restart()
        have = (await disk.size(partPath)) ?? 0
        if (have === file.size) {
          const detail = error instanceof Error ? error.message : String(error)
          throw new DownloadFailure('write-error', `Checking the checksum of ${file.path} failed (${detail}). The file is kept; resume to check it again.`)
        }
        continue
      }
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
    // The checksum starts (or goes on) from the bytes already on disk while the rest arrives.
    hashing.current()
    const before = have
    // The disk is the truth: whatever arrived before a failure is kept and counted.
    const measureDisk = async () => {
      have = (await disk.size(partPath)) ?? 0
      live.bytesDone = Math.min(have, file.size)
    }
    try {
      await fetchRange(file, have, ctx, live, hashing)
    } catch (error) {
      await measureDisk()
      if (signal.aborted) throw signal.reason
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
      continue
    }
    await measureDisk()
    attempts = 0
  }
}

/** A body without its first `count` bytes: for a server that answered a Range from further back. */
function withoutFirst(body: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array> {
  let skip = count
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const dropped = Math.min(skip, chunk.length)
        skip -= dropped
        if (dropped < chunk.length) controller.enqueue(chunk.subarray(dropped))
      },
    }),
  )
}

/**
 * One connection: asks for the bytes from `start` on and appends them to the partial file. A
 * watchdog measures the file as it grows: progress and speed come from there, and it cuts the
 * connection when nothing arrives for `stallTimeoutMs` or the file grows past its size.
 */
async function fetchRange(file: PlannedFile, start: number, ctx: TransferContext, live: FileLive, hashing: Hashing): Promise<void> {
  const { disk, options } = ctx
  const partPath = ctx.paths.incomplete(file.blobId)
  const connection = new AbortController()
  const signal = AbortSignal.any([ctx.signal, connection.signal])
  // Why the watchdog cut the connection: that, not the abort it caused, is the failure to report.
  const cutting: { because: DownloadFailure | null } = { because: null }
  const cut = (failure: DownloadFailure) => {
    cutting.because ??= failure
    connection.abort(failure)
  }
  let seen = start
  let lastGrowthAt = performance.now()
  live.connections = 1
  const measure = async () => {
    const size = (await disk.size(partPath).catch(() => null)) ?? 0
    if (size > seen) {
      live.meter.add(size - seen)
      lastGrowthAt = performance.now()
    }
    seen = size
    live.bytesDone = Math.min(size, file.size)
    if (size > file.size) {
      cut(new DownloadFailure('hub-error', `The hub sent more than the ${file.size} bytes of ${file.path}; starting it over.`, true))
    } else if (performance.now() - lastGrowthAt >= options.stallTimeoutMs) {
      cut(new DownloadFailure('network-error', `The download of ${file.path} stalled (no data for ${options.stallTimeoutMs / 1000} s); reconnecting.`, true))
    }
  }
  // One measurement at a time; the last one is awaited before the connection's result is read.
  const inFlight: { measuring: Promise<void> | null } = { measuring: null }
  const watchdog = setInterval(
    () => {
      inFlight.measuring ??= measure().finally(() => {
        inFlight.measuring = null
      })
    },
    Math.max(10, Math.min(250, options.stallTimeoutMs / 4)),
  )
  try {
    const response = await ctx.hub.openFile(ctx.modelId, ctx.commit, file.path, start, signal)
    if (response.status === 416) {
      // Nothing past `start`: either the partial file is already whole, or it is longer than the file.
      if (start !== file.size) {
        hashing.restart()
        await disk.remove(partPath)
      }
      return
    }
    let body = response.body
    let mode: 'append' | 'truncate' = 'append'
    if (response.status === 200) {
      // The server ignored Range: the body is the whole file, so it replaces the partial one.
      mode = 'truncate'
      if (start > 0) {
        hashing.restart()
        seen = 0
      }
    } else if (response.start > start) {
      await body.cancel().catch(() => undefined)
      throw new DownloadFailure('hub-error', `The hub sent ${file.path} from the wrong place.`, true)
    } else if (response.start < start) {
      body = withoutFirst(body, start - response.start)
    }
    try {
      await disk.writeBody(partPath, mode, body)
    } catch (error) {
      if (isDiskError(error)) throw diskFailure(error, ctx.paths.cacheDir)
      throw error
    }
    await inFlight.measuring
    await measure()
    if (seen < file.size) {
      throw new DownloadFailure('network-error', `The connection closed after ${seen} of ${file.size} bytes of ${file.path}.`, true)
    }
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    if (cutting.because !== null) throw cutting.because
    if (error instanceof DownloadFailure) throw error
    const code = (error as { code?: unknown } | null)?.code
    throw new DownloadFailure('network-error', `The connection dropped while fetching ${file.path} (${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)}).`, true)
  } finally {
    clearInterval(watchdog)
    live.connections = 0
    connection.abort()
    await inFlight.measuring
  }
}
