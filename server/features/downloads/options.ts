/** Tuning for the download manager. Tests shrink the timeouts; people rarely need to touch them. */
export interface DownloadOptions {
  /** Files of one model fetched at the same time. */
  fileConcurrency: number
  /** Models downloading at the same time; the rest wait in the queue. */
  modelConcurrency: number
  /** No bytes for this long on a connection → abort it and reconnect with Range. */
  stallTimeoutMs: number
  /** First retry delay; doubles per failed attempt (with jitter) up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
  /** Failed attempts in a row (with no byte received between them) before a file, and so the download, fails. */
  maxAttempts: number
  /** Times one file may fail its sha256 check before the download fails. */
  maxChecksumFailures: number
  /** How often progress is pushed while bytes move. */
  progressIntervalMs: number
  /** The speed shown is the average over this window, so it drops to 0 once nothing arrives for that long. */
  speedWindowMs: number
  /** Free space kept beyond what the files need before a download may start. */
  diskReserveBytes: number
  /** Files from this size on are hashed on a thread of their own while they download; smaller ones in place once whole. */
  hashThreadMinBytes: number
  /**
   * Connections open at once over all downloads. A large file uses up to this many, one byte range
   * each (CDNs cap what one connection carries); 1 fetches every file over a single stream.
   */
  connections: number
  /** LFS files from this size on are fetched in ranges over several connections; smaller ones over one. */
  parallelMinBytes: number
  /** Most bytes one range asks for; a file is cut into ranges of this size (smaller for files under connections × this). */
  rangeBytes: number
  /**
   * A file fetched in ranges starts on one connection and opens another every 100 ms while its
   * connections average less than this: a capped CDN connection is slow and more of them add up,
   * while one that is this fast already has the link to itself, and more would only cost CPU.
   */
  fastConnectionBytesPerSecond: number
  /**
   * A large file starts over one stream (the fastest path to disk, no per-chunk work here) and
   * moves to ranges once, after this long, it goes slower than `fastConnectionBytesPerSecond`;
   * 0 goes to ranges at once. A file with a ranges record on disk resumes in ranges.
   */
  rangesProbeMs: number
  /** How often the ranges done are written to disk (after the data itself is synced), so a crash loses at most this much work. */
  rangeRecordIntervalMs: number
}

export const DEFAULT_DOWNLOAD_OPTIONS: DownloadOptions = {
  fileConcurrency: 2,
  modelConcurrency: 2,
  stallTimeoutMs: 30_000,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  maxAttempts: 8,
  maxChecksumFailures: 3,
  progressIntervalMs: 250,
  speedWindowMs: 3_000,
  diskReserveBytes: 256 * 2 ** 20,
  // A hashing thread takes about 35 ms to start; below 16 MiB hashing in place once the file is
  // whole is cheaper, and holds the event loop for about 12 ms at the most.
  hashThreadMinBytes: 16 * 2 ** 20,
  // huggingface_hub's hf_transfer used 8 connections of 10 MB ranges; 16 MiB keeps the ranges-done
  // record small (64 ranges per GiB) and the checksum, which follows the bytes in order, close behind.
  connections: 8,
  parallelMinBytes: 64 * 2 ** 20,
  rangeBytes: 16 * 2 ** 20,
  rangeRecordIntervalMs: 250,
  fastConnectionBytesPerSecond: 64 * 2 ** 20,
  rangesProbeMs: 1_000,
}

const ENV_NAMES: Record<string, keyof DownloadOptions> = {
  MLX_MANAGER_DOWNLOAD_FILES: 'fileConcurrency',
  MLX_MANAGER_DOWNLOAD_MODELS: 'modelConcurrency',
  MLX_MANAGER_DOWNLOAD_STALL_MS: 'stallTimeoutMs',
  MLX_MANAGER_DOWNLOAD_RETRY_MS: 'retryBaseMs',
  MLX_MANAGER_DOWNLOAD_CONNECTIONS: 'connections',
  MLX_MANAGER_DOWNLOAD_PARALLEL_MIN_BYTES: 'parallelMinBytes',
}

/** Reads the few options a person (or a test driving a real process) may set from the environment. */
export function downloadOptionsFromEnv(env: Record<string, string | undefined>): Partial<DownloadOptions> {
  const out: Partial<DownloadOptions> = {}
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    const least = key.endsWith('Ms') || key.endsWith('Bytes') ? 0 : 1
    if (!Number.isInteger(value) || value < least) {
      const unit = key.endsWith('Ms') ? ' of milliseconds' : key.endsWith('Bytes') ? ' of bytes' : ' of at least 1'
      throw new Error(`${name} must be a whole number${unit}, not "${raw}".`)
    }
    if (key === 'connections' && value > 64) throw new Error(`${name} must be at most 64 (connections at once), not "${raw}".`)
    out[key] = value
  }
  return out
}
