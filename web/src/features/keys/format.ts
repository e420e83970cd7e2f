import type { ApiKey, ListedApiKey } from '../../../../shared/keys'

/** A date as people read it; `never` for none. */
export function keyDate(iso: string | null, none = 'never'): string {
  if (iso === null) return none
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

/** Which profiles a key may use, by name; ids of profiles gone or hidden since read as "#id". */
export function keyProfiles(key: Pick<ApiKey, 'profiles'>, names: ReadonlyMap<number, string>): string {
  if (key.profiles === null) return 'All your models'
  return key.profiles.map((id) => names.get(id) ?? `#${id}`).join(', ')
}

/** A limited key's day so far, "1,234 of 50,000 tokens today"; null for a key without a limit. */
export function keyLimit(key: Pick<ListedApiKey, 'dailyTokenLimit' | 'tokensToday'>): string | null {
  if (key.dailyTokenLimit === null) return null
  const count = (n: number) => n.toLocaleString('en-US')
  return `${count(key.tokensToday ?? 0)} of ${count(key.dailyTokenLimit)} tokens today`
}

export function expired(key: Pick<ApiKey, 'expiresAt'>, now = Date.now()): boolean {
  return key.expiresAt !== null && Date.parse(key.expiresAt) <= now
}

/** The end of the picked day, in the user's time zone, as the expiry to send. */
export function expiryFromDay(dayStartMs: number | null): string | null {
  if (dayStartMs === null) return null
  const end = new Date(dayStartMs)
  end.setHours(23, 59, 59, 999)
  return end.toISOString()
}
