import type { ApiKey } from '../../../../shared/keys'
import type { Profile } from '../../../../shared/profiles'

/** Model types that answer chat requests; the snippets all chat. */
const CHATS = new Set<Profile['modelType']>(['lm', 'multimodal'])

export function chatProfiles(profiles: readonly Profile[]): Profile[] {
  return profiles.filter((profile) => CHATS.has(profile.modelType))
}

/** The profile to start with: the one asked for by id when it is there, else the first. */
export function initialProfile(profiles: readonly Profile[], wanted: unknown): Profile | null {
  const id = typeof wanted === 'string' && /^\d+$/.test(wanted) ? Number(wanted) : null
  return profiles.find((profile) => profile.id === id) ?? profiles[0] ?? null
}

/** Whether a key may be used for a profile: its allow-list names it, or it has none. */
export function keyAllows(key: Pick<ApiKey, 'profiles'>, profileId: number): boolean {
  return key.profiles === null || key.profiles.includes(profileId)
}

/** The manager's origin as this browser reaches it: what a client on the same network types. */
export function browserOrigin(): string {
  return typeof location === 'undefined' ? '' : location.origin
}
