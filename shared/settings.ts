import type { EngineName } from './profiles'

/** A HuggingFace token is never sent back whole: only whether there is one, its end, and where it comes from. */
export interface HubTokenState {
  set: boolean
  /** The last 4 characters, so a person can tell which token it is. */
  lastFour: string | null
  /** `settings`: set on the Settings page (stored by the manager); `environment`: HF_TOKEN or the file `hf auth login` wrote. */
  source: 'settings' | 'environment' | null
}

/** What a new profile starts with. `idleTimeoutMinutes: null` keeps servers running until stopped. */
export interface ProfileDefaults {
  engine: EngineName
  idleTimeoutMinutes: number | null
}

/** The model cache folder and the free space on its disk (null when it cannot be read). */
export interface CacheFolder {
  path: string
  freeBytes: number | null
  totalBytes: number | null
}

/** What admins see and change on the Settings page. */
export interface AdminSettings {
  hfToken: HubTokenState
  hubEndpoint: string
  cache: CacheFolder
  profileDefaults: ProfileDefaults
}

/** Longest token accepted; HuggingFace tokens are about 40 characters. */
export const HF_TOKEN_MAX_LENGTH = 512

/** Why a token cannot be right, or null. Tokens are one word of printable ASCII. */
export function hubTokenProblem(token: string): string | null {
  if (token === '') return 'Paste the access token, or remove the token instead.'
  if (token.length > HF_TOKEN_MAX_LENGTH) return `A token has at most ${HF_TOKEN_MAX_LENGTH} characters.`
  if (!/^[\x21-\x7e]+$/.test(token)) return 'A token is one word without spaces, as HuggingFace shows it (such as hf_…).'
  return null
}

/** The end of a token shown to people; short tokens show less so most of one is never revealed. */
export function tokenEnd(token: string): string {
  return token.length >= 12 ? token.slice(-4) : ''
}
