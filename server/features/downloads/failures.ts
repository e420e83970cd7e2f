import type { DownloadError } from '../../../shared/downloads'

/**
 * Why a file or a download stopped. `retryable` failures (network drops, stalls, 5xx, 429) are
 * retried with backoff; the others end the download with their code and sentence.
 */
export class DownloadFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    /** Seconds the hub asked us to wait (Retry-After), when it did. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message)
    this.name = 'DownloadFailure'
  }

  toError(): DownloadError {
    return { code: this.code, message: this.message }
  }
}

export const networkFailure = (detail: string) =>
  new DownloadFailure('network-error', `The connection to the hub failed (${detail}). Check the network (and HF_ENDPOINT), then resume.`, true)

/** Turns a hub answer that is not a success into the failure a person can act on. */
export function hubStatusFailure(status: number, modelId: string, hasToken: boolean, retryAfter: string | null): DownloadFailure {
  if (status === 401 && !hasToken) {
    return new DownloadFailure(
      'hf-token-required',
      `${modelId} is gated or private: the hub wants a HuggingFace token. Accept the model's terms on its hub page, then sign in with that account (hf auth login) or set HF_TOKEN to an access token of it, restart the manager, and resume.`,
    )
  }
  if (status === 401 || status === 403) {
    return new DownloadFailure(
      'hf-token-refused',
      `The hub refused your HuggingFace token for ${modelId}. Check that the token is valid and has read access, and that you accepted the model's terms on its hub page; then resume.`,
    )
  }
  if (status === 404) {
    return new DownloadFailure('model-not-found', `The hub has no model ${modelId} at this revision (or it is private). Check the name.`)
  }
  if (status === 429 || status >= 500) {
    const seconds = retryAfter === null ? null : Number(retryAfter)
    return new DownloadFailure(
      'hub-error',
      status === 429 ? 'The hub is rate-limiting downloads; retried until it stopped.' : `The hub answered ${status} and kept failing.`,
      true,
      seconds !== null && Number.isFinite(seconds) && seconds >= 0 ? seconds : null,
    )
  }
  return new DownloadFailure('hub-error', `The hub answered ${status} for ${modelId}. Try again later.`)
}

/** Disk errors by errno: a full disk keeps the partial data so a resume continues where it stopped. */
export function diskFailure(error: unknown, where: string): DownloadFailure {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DownloadFailure(
      'disk-full',
      `The disk holding ${where} is full. Partial files are kept: free some space (delete models you no longer use) and resume.`,
    )
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new DownloadFailure('write-error', `The manager may not write to ${where} (${String(code)}). Check the folder's permissions or HF_HUB_CACHE.`)
  }
  const detail = error instanceof Error ? error.message : String(error)
  return new DownloadFailure('write-error', `Writing to ${where} failed: ${detail}.`)
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EFBIG', 'ELOOP', 'EISDIR', 'ENOTDIR'])

/** Whether a failed transfer failed at the disk (a file-system call) rather than on the network. */
export function isDiskError(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown }
  return typeof syscall === 'string' || (typeof code === 'string' && DISK_CODES.has(code))
}
