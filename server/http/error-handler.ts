import { Elysia, ValidationError } from 'elysia'
import { AppError, envelope } from './errors'

type Logger = Pick<Console, 'error'>

function describeValidation(error: ValidationError): string {
  // A schema's own `error` text is written for people; prefer it.
  if (typeof error.customError === 'string') return error.customError
  const first = error.all[0]
  const where = { body: 'request body', query: 'query string', params: 'path', headers: 'headers', cookie: 'cookie' }[
    error.type
  ] ?? error.type
  if (first === undefined) return `The ${where} is not valid.`
  const field = 'path' in first && typeof first.path === 'string' ? first.path.replace(/^\//, '').replaceAll('/', '.') : ''
  const detail = ('summary' in first && typeof first.summary === 'string' ? first.summary : undefined) ?? first.message
  return field === '' ? `The ${where} is not valid: ${detail}.` : `In the ${where}, "${field}" is not valid: ${detail}.`
}

interface Failure {
  status: number
  code: string
  message: string
  /** The request field at fault, when one is (OpenAI's `param`). */
  param?: string | null
}

function validationField(error: ValidationError): string | null {
  const first = error.all[0]
  const field = first !== undefined && 'path' in first && typeof first.path === 'string' ? first.path.replace(/^\//, '').replaceAll('/', '.') : ''
  return field === '' ? null : field
}

/** The failure behind any error, as status, stable code and a sentence; null for the unknown ones (a 500). */
function failureOf(code: string | number, error: unknown): Failure | null {
  if (error instanceof AppError) return { status: error.status, code: error.code, message: error.message }
  if (error instanceof ValidationError) return { status: 400, code: 'invalid-input', message: describeValidation(error), param: validationField(error) }
  switch (code) {
    case 'PARSE':
      return { status: 400, code: 'invalid-body', message: 'The request body could not be read as JSON.' }
    case 'NOT_FOUND':
      return { status: 404, code: 'not-found', message: 'There is nothing at this address.' }
    case 'INVALID_COOKIE_SIGNATURE':
      return { status: 400, code: 'invalid-cookie', message: 'A cookie was tampered with; sign in again.' }
  }
  const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500
  return status >= 400 && status < 500 ? { status, code: 'bad-request', message: 'The request could not be handled.' } : null
}

const INTERNAL: Failure = { status: 500, code: 'internal-error', message: 'Something went wrong inside the manager. The log has the details.' }

/** OpenAI's error `type` for a status, as its own API and clients use them. */
function openAiType(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 429) return 'rate_limit_error'
  return status >= 500 ? 'server_error' : 'invalid_request_error'
}

/** A failure in OpenAI's shape, for the gateway's clients (SDKs read `error.message` and `error.code`). */
export function openAiError({ status, code, message, param }: Failure) {
  // The edge's plain "sign in" 401 means, to an API client, a missing or unusable key.
  const keyProblem = status === 401
  return {
    error: {
      message: code === 'unauthorized' ? 'Send an API key as Authorization: Bearer mlxm_… (create one in the manager under API keys).' : message,
      type: openAiType(status),
      param: param ?? null,
      code: keyProblem ? 'invalid_api_key' : code.replaceAll('-', '_'),
    },
  }
}

/** Anthropic's error `type` for a status, as its API documents them (other 4xx are invalid requests). */
export function anthropicType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error'
    case 403:
      return 'permission_error'
    case 404:
      return 'not_found_error'
    case 413:
      return 'request_too_large'
    case 429:
      return 'rate_limit_error'
    case 503:
    case 529:
      return 'overloaded_error'
  }
  return status >= 500 ? 'api_error' : 'invalid_request_error'
}

/** A failure in Anthropic's shape, for the Messages API's clients (SDKs raise by status and read `error.type`). */
export function anthropicError({ status, code, message }: Failure) {
  return {
    type: 'error',
    error: {
      type: anthropicType(status),
      message: code === 'unauthorized' ? 'Send an API key as x-api-key: mlxm_… or Authorization: Bearer mlxm_… (create one in the manager under API keys).' : message,
    },
  }
}

/**
 * The error shape of a route family: the gateway (`/v1`) answers as the API its clients speak
 * (Anthropic's for `/v1/messages`, OpenAI's for the rest), everything else with the manager's envelope.
 */
function shapeFor(request: Request): (failure: Failure) => unknown {
  const path = new URL(request.url).pathname
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return anthropicError
  if (path === '/v1' || path.startsWith('/v1/')) return openAiError
  return (failure) => envelope(failure.code, failure.message)
}

/**
 * One place turns every failure into the error envelope (or, on the gateway, the shape its clients
 * expect). Unknown errors become a plain 500 sentence; their stack goes to the log, never to the client.
 */
export function errorHandler(logger: Logger = console) {
  return new Elysia({ name: 'error-handler' })
    .onError({ as: 'global' }, ({ code, error, set, request }) => {
      let failure = failureOf(code, error)
      if (failure === null) {
        logger.error(error)
        failure = INTERNAL
      }
      if (error instanceof AppError) Object.assign(set.headers, error.headers)
      set.status = failure.status
      return shapeFor(request)(failure)
    })
}
