import { emailProblem, normalizeEmail } from '../../../../shared/email'
import { passwordProblem } from '../../../../shared/password'

export type AuthMode = 'sign-in' | 'register'

/** The same rules the server applies, checked before a round trip. */
export function emailFieldProblem(raw: string): string | null {
  return emailProblem(normalizeEmail(raw))
}

export function passwordFieldProblem(raw: string, mode: AuthMode): string | null {
  if (raw === '') return mode === 'sign-in' ? 'Enter your password.' : 'Choose a password of at least 8 characters.'
  return passwordProblem(raw)
}

/** "45 seconds", "1 minute", "14 minutes": how long a throttled sign-in has to wait. */
export function formatWait(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds))
  if (whole < 60) return `${whole} ${whole === 1 ? 'second' : 'seconds'}`
  const minutes = Math.ceil(whole / 60)
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`
}
