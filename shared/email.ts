import { EMAIL_MAX_LENGTH } from './limits'

/**
 * One spelling per mailbox: trimmed, Unicode NFC, lower case. Two people typing
 * "Ann@Example.com " and "ann@example.com" mean the same account.
 */
export function normalizeEmail(raw: string): string {
  return raw.normalize('NFC').trim().toLowerCase()
}

/** Deliberately loose (one @, a dot in the domain, no spaces or control characters): the server never sends mail. */
const EMAIL_SHAPE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u

export function emailProblem(email: string): string | null {
  if (email.length === 0) return 'Enter an email address.'
  if (email.length > EMAIL_MAX_LENGTH) return `An email address has at most ${EMAIL_MAX_LENGTH} characters.`
  if (!EMAIL_SHAPE.test(email)) return 'That does not look like an email address (name@example.com).'
  return null
}
