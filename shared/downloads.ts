/** A download's life: queued → downloading → completed, or paused / failed / cancelled on the way. */
export const DOWNLOAD_STATUSES = ['queued', 'downloading', 'paused', 'completed', 'failed', 'cancelled'] as const
export type DownloadStatus = (typeof DOWNLOAD_STATUSES)[number]

/** Statuses that still hold work: a new request for the same model joins these instead of starting another. */
export const ACTIVE_DOWNLOAD_STATUSES: readonly DownloadStatus[] = ['queued', 'downloading', 'paused']

/** One file of a download. `pending` files have not started; `verifying` is the sha256 check before the rename. */
export type DownloadFileStatus = 'pending' | 'downloading' | 'verifying' | 'done'

export interface DownloadFile {
  path: string
  sizeBytes: number
  bytesDone: number
  status: DownloadFileStatus
  /** Bytes per second over the last few seconds; 0 while nothing arrives. */
  speedBps: number
  /** Connections fetching it now: more than 1 for a large file fetched in ranges (absent or 0 when idle). */
  connections?: number
}

/**
 * Why a download stopped, with a code the UI can branch on and a sentence that says what to do.
 * Codes: hf-token-required, hf-token-refused, model-not-found, revision-not-found, unsafe-file-name,
 * no-model-files, disk-space-low, disk-full, checksum-mismatch, network-error, hub-error, write-error.
 */
/** Failures a retry would only repeat: the repo, revision or its files are wrong, not the network or the disk. */
export const FINAL_DOWNLOAD_ERRORS: readonly string[] = ['model-not-found', 'revision-not-found', 'unsafe-file-name', 'no-model-files']

export interface DownloadError {
  code: string
  message: string
}

export interface Download {
  id: number
  modelId: string
  /** What was asked for: a branch, tag or commit. */
  revision: string
  /** The commit pinned from the model info; null until the download has started once. */
  commit: string | null
  status: DownloadStatus
  bytesDone: number
  bytesTotal: number
  filesDone: number
  filesTotal: number
  speedBps: number
  /** Seconds left at the current speed; null when unknown or stalled. */
  etaSeconds: number | null
  error: DownloadError | null
  /** Files with their own progress (empty until the file list is known). */
  files: DownloadFile[]
  createdAt: string
  updatedAt: string
  completedAt: string | null
}

/** `downloads.progress`: pushed a few times a second while bytes move (and once more when they stop). */
export interface DownloadProgress {
  id: number
  modelId: string
  bytesDone: number
  bytesTotal: number
  filesDone: number
  filesTotal: number
  speedBps: number
  etaSeconds: number | null
  /** Files that are in flight right now. */
  files: DownloadFile[]
}

/** How often progress is pushed at most while a download moves. */
export const DOWNLOAD_PROGRESS_INTERVAL_MS = 250
