import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './limits'

/** Length is counted in code points so an emoji counts as one character, as a person would count it. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length
  if (length < PASSWORD_MIN_LENGTH) return `A password needs at least ${PASSWORD_MIN_LENGTH} characters.`
  if (length > PASSWORD_MAX_LENGTH) return `A password has at most ${PASSWORD_MAX_LENGTH} characters.`
  return null
}
