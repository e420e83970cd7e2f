import { AppError } from '../http/errors'
import type { HubFailure } from './failure'

const TOKEN = 'your HuggingFace token (set in Settings, or HF_TOKEN)'

/**
 * A hub failure as the error envelope, each with a sentence that says what to do. Every route that
 * answers with what the hub said (catalog search, model pages) words it here.
 */
export function explainHubFailure(failure: HubFailure, where: { endpoint: string; model: string | null }): AppError {
  const { endpoint } = where
  const model = where.model ?? 'This model'
  switch (failure.kind) {
    case 'rate-limited': {
      const seconds = failure.retryAfterSeconds ?? 60
      return new AppError(429, 'hub-rate-limited', `The HuggingFace Hub is limiting requests from this machine; try again in ${seconds} s.`, {
        'retry-after': String(seconds),
      })
    }
    case 'unreachable':
    case 'server-error':
      return new AppError(502, 'hub-unreachable', `Could not reach the HuggingFace Hub at ${endpoint} (HF_ENDPOINT): ${failure.message}. Check the network or HF_ENDPOINT and try again.`)
    case 'bad-response':
      return new AppError(502, 'hub-bad-response', `The hub at ${endpoint} (HF_ENDPOINT) sent an answer the manager could not read (${failure.message}). Try again later, or check that HF_ENDPOINT points at a HuggingFace Hub.`)
    case 'not-found':
      return new AppError(404, 'model-not-found', `There is no model ${model} on the hub at ${endpoint}. Model ids look like mlx-community/Qwen3-8B-4bit.`)
    case 'revision-not-found':
      return new AppError(404, 'revision-not-found', `${model} has no such revision on the hub. Check the branch, tag or commit.`)
    case 'gated':
      return new AppError(
        403,
        'model-gated',
        failure.tokenSent
          ? `${model} is gated and the hub refused ${TOKEN} for it: accept its license at ${endpoint}/${model} with the account the token belongs to.`
          : `${model} is gated: accept its license at ${endpoint}/${model}, then set an access token of that account in Settings (or HF_TOKEN).`,
      )
    case 'token-required':
      return new AppError(403, 'hub-token-required', `${model} needs a HuggingFace token: set an access token from ${endpoint}/settings/tokens in Settings (or HF_TOKEN).`)
    case 'token-rejected':
      return new AppError(403, 'hub-token-rejected', `The hub at ${endpoint} refused ${TOKEN}: ${failure.message}. Check the token, or remove it to browse public models.`)
    case 'rejected':
      return new AppError(400, 'hub-rejected-query', `The hub refused this request (${failure.message}). If you passed a cursor, start again from the first page.`)
  }
}
