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

/**
 * One place turns every failure into the error envelope. Unknown errors become a plain
 * 500 sentence; their stack goes to the log, never to the client.
 */
export function errorHandler(logger: Logger = console) {
  return new Elysia({ name: 'error-handler' })
    .onError({ as: 'global' }, ({ code, error, set }) => {
      if (error instanceof AppError) {
        set.status = error.status
        Object.assign(set.headers, error.headers)
        return envelope(error.code, error.message)
      }
      if (error instanceof ValidationError) {
        set.status = 400
        return envelope('invalid-input', describeValidation(error))
      }
      switch (code) {
        case 'PARSE':
          set.status = 400
          return envelope('invalid-body', 'The request body could not be read as JSON.')
        case 'NOT_FOUND':
          set.status = 404
          return envelope('not-found', 'There is nothing at this address.')
        case 'INVALID_COOKIE_SIGNATURE':
          set.status = 400
          return envelope('invalid-cookie', 'A cookie was tampered with; sign in again.')
        default: {
          const status = 'status' in error && typeof error.status === 'number' ? error.status : 500
          if (status >= 400 && status < 500) {
            set.status = status
            return envelope('bad-request', 'The request could not be handled.')
          }
          logger.error(error)
          set.status = 500
          return envelope('internal-error', 'Something went wrong inside the manager. The log has the details.')
        }
      }
    })
}
