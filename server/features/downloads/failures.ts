import type { DownloadError } from '../../../shared/downloads'
import { HubFailure } from '../../hub/failure'

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

/**
 * The shared hub client's failure, worded for a download: what can pass (network, 5xx, 429, a
 * garbled answer) is retryable, with the hub's Retry-After; the rest end the download. Anything
 * else (the caller's abort, a DownloadFailure) passes through.
 */
export function fromHubFailure(error: unknown, modelId: string): unknown {
  if (!(error instanceof HubFailure)) return error
  switch (error.kind) {
    case 'unreachable':
      return networkFailure(error.message)
    case 'rate-limited':
      return new DownloadFailure(
        'hub-error',
        `The hub is rate-limiting downloads (it asked to wait ${error.retryAfterSeconds ?? 60} s); retried until it stopped.`,
        true,
        error.retryAfterSeconds,
      )
    case 'bad-response':
      return new DownloadFailure('hub-error', `The hub sent an answer the manager could not read (${error.message}).`, true)
    case 'revision-not-found':
      return new DownloadFailure('revision-not-found', `${modelId} has no such revision on the hub. Check the branch, tag or commit.`)
    case 'not-found':
      return error.tokenSent
        ? hubStatusFailure(404, modelId, true, null)
        : new DownloadFailure('model-not-found', `The hub has no model ${modelId}, or it is private and needs a HuggingFace token (set one in Settings). Check the name.`)
    case 'gated':
    case 'token-required':
    case 'token-rejected':
      return hubStatusFailure(error.tokenSent ? 403 : 401, modelId, error.tokenSent, null)
    case 'server-error':
    case 'rejected':
      return hubStatusFailure(error.status ?? 500, modelId, error.tokenSent, null)
  }
}

/** Turns a hub answer that is not a success into the failure a person can act on. */
export function hubStatusFailure(status: number, modelId: string, hasToken: boolean, retryAfter: string | null): DownloadFailure {
  if (status === 401 && !hasToken) {
    return new DownloadFailure(
      'hf-token-required',
      `${modelId} is gated or private: the hub wants a HuggingFace token. Accept the model's terms on its hub page, then set an access token of that account in Settings (or HF_TOKEN, or hf auth login), and resume.`,
    )
  }
  if (status === 401 || status === 403) {
    return new DownloadFailure(
      'hf-token-refused',
      `The hub refused your HuggingFace token for ${modelId}. Check that the token (in Settings) is valid and has read access, and that you accepted the model's terms on its hub page; then resume.`,
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
