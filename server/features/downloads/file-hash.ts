import { closeSync, constants, openSync, readSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { Worker } from 'node:worker_threads'

/** What a blob must hash to: sha256 of the bytes (LFS), or the git blob oid (sha1 of a header and the bytes). */
export interface HashRecipe {
  path: string
  algorithm: 'sha256' | 'sha1'
  /** Bytes hashed before the file's own: git's `blob {size}\0`. */
  header: string | null
  /**
   * The file is written at offsets by several connections, so its length says nothing: read only
   * as far as the writer has said (`ready`) its bytes from the first are all there.
   */
  ordered?: boolean
}

export function hashRecipe(path: string, file: { lfs: boolean; size: number }): HashRecipe {
  return file.lfs ? { path, algorithm: 'sha256', header: null } : { path, algorithm: 'sha1', header: `blob ${file.size}\0` }
}

const CHUNK = 1 << 20
const IDLE_MIN_MS = 1
// A slow connection should not cost a read per millisecond for hours.
const IDLE_MAX_MS = 50

const isMissing = (error: unknown) => (error as { code?: unknown } | null)?.code === 'ENOENT'

/**
 * Hashes a file from its first byte while a writer may still be appending to it, reading what
 * the writer has put on disk and waiting when it has caught up, until `end()` names the final
 * size. A file that is not there yet counts as empty; a symlink is never followed.
 */
export async function hashGrowingFile(
  recipe: HashRecipe,
  end: () => number | null,
  closed: () => boolean = () => false,
  /** Waits for the writer; the worker cuts it short when it learns the end. */
  idle: (ms: number) => Promise<void> = (ms) => Bun.sleep(ms),
  /** How far the file may be read before the end is known; null follows its length. */
  ready: () => number | null = () => null,
): Promise<string> {
  const hash = createHash(recipe.algorithm)
  if (recipe.header !== null) hash.update(recipe.header)
  const buffer = new Uint8Array(CHUNK)
  let fd: number | null = null
  let position = 0
  let idleMs = IDLE_MIN_MS
  try {
    for (;;) {
      if (closed()) throw new Error('hashing was stopped')
      const last = end()
      if (last !== null && position > last) throw new Error(`${recipe.path} holds more bytes than the ${last} it should end at`)
      if (last !== null && position === last) return hash.digest('hex')
      fd ??= openIfThere(recipe.path)
      // Synchronous reads: on the worker nothing else waits, and for a file hashed in place (under
      // hashThreadMinBytes) a thread-pool hop per chunk costs more than the read.
      const limit = last ?? ready()
      const wanted = limit === null ? CHUNK : Math.min(CHUNK, limit - position)
      const read = fd === null || wanted <= 0 ? 0 : readSync(fd, buffer, 0, wanted, position)
      if (read > 0) {
        hash.update(buffer.subarray(0, read))
        position += read
        idleMs = IDLE_MIN_MS
        continue
      }
      if (last !== null) throw new Error(`${recipe.path} ended at ${position} bytes, before the ${last} it should hold`)
      await idle(idleMs)
      idleMs = Math.min(IDLE_MAX_MS, idleMs * 2)
    }
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

/** The partial file opened for reading, never through a symlink; null while it does not exist yet. */
function openIfThere(path: string): number | null {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if (isMissing(error)) return null
    throw error
  }
}

/** A checksum of a partial file, following it while it grows. */
export interface FileHasher {
  /** The checksum of the file's first `size` bytes; asked once the writer has stopped there. */
  digest(size: number): Promise<string>
  /** For an `ordered` recipe: the first `bytes` of the file are written and may be hashed. */
  ready(bytes: number): void
  close(): void
}

// Bun's bundler writes this module's source URL into the build, so the built server (like
// projectRoot) starts the worker from the checkout it was built from; Bun compiles it on start.
const workerUrl = new URL('./hash-worker.ts', import.meta.url)

/** Messages from the hash worker. */
export type HashWorkerReply = { digest: string } | { error: string }

/**
 * Starts hashing a partial file from its first byte. Weights (`onThread`) are hashed on a worker
 * thread while they download: sha256 on the thread that writes them would hold back the writes
 * (measured here: about 0.8× the speed of curl on 2 cores, against 1.0× with the hash beside them).
 * Smaller files are hashed in one go when asked.
 */
export function followFile(recipe: HashRecipe, onThread: boolean): FileHasher {
  return onThread ? threadHasher(recipe) : inlineHasher(recipe)
}

function inlineHasher(recipe: HashRecipe): FileHasher {
  let closed = false
  return {
    digest: (size) => hashGrowingFile(recipe, () => size, () => closed),
    // Hashed in one go once whole, so nothing to follow.
    ready: () => undefined,
    close: () => {
      closed = true
    },
  }
}

function threadHasher(recipe: HashRecipe): FileHasher {
  const worker = new Worker(workerUrl, { workerData: recipe })
  worker.unref()
  const result = new Promise<string>((resolve, reject) => {
    worker.on('message', (reply: HashWorkerReply) => {
      if ('digest' in reply) resolve(reply.digest)
      else reject(new Error(reply.error))
    })
    worker.on('error', reject)
    worker.on('exit', (code) => reject(new Error(`the hashing thread stopped (exit ${code})`)))
  })
  // Nobody may ask for the digest (a cancelled download): its failure is then nobody's to report.
  result.catch(() => undefined)
  return {
    digest(size) {
      worker.postMessage({ end: size })
      return result
    },
    ready(bytes) {
      worker.postMessage({ ready: bytes })
    },
    close() {
      void worker.terminate().catch(() => undefined)
    },
  }
}
