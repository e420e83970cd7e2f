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
}

const ENV_NAMES: Record<string, keyof DownloadOptions> = {
  MLX_MANAGER_DOWNLOAD_FILES: 'fileConcurrency',
  MLX_MANAGER_DOWNLOAD_MODELS: 'modelConcurrency',
  MLX_MANAGER_DOWNLOAD_STALL_MS: 'stallTimeoutMs',
  MLX_MANAGER_DOWNLOAD_RETRY_MS: 'retryBaseMs',
}

/** Reads the few options a person (or a test driving a real process) may set from the environment. */
export function downloadOptionsFromEnv(env: Record<string, string | undefined>): Partial<DownloadOptions> {
  const out: Partial<DownloadOptions> = {}
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    if (!Number.isInteger(value) || value < (key.endsWith('Ms') ? 0 : 1)) {
      throw new Error(`${name} must be a whole number${key.endsWith('Ms') ? ' of milliseconds' : ' of at least 1'}, not "${raw}".`)
    }
    out[key] = value
  }
  return out
}
