import type { ErrorEnvelope } from '../../shared/errors'

/**
 * A failure the user can act on. Services throw these; the one error handler turns
 * them into the envelope with a stable kebab-case code.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message)
export const unauthorized = (message = 'Sign in to continue.') => new AppError(401, 'unauthorized', message)
export const forbidden = (code: string, message: string) => new AppError(403, code, message)
export const notFound = (code: string, message: string) => new AppError(404, code, message)
export const conflict = (code: string, message: string) => new AppError(409, code, message)

export function envelope(code: string, message: string): ErrorEnvelope {
  return { error: { code, message } }
}
