import { NO_PROFILE, type RequestLogRow } from '../../../../shared/observability'

/** "14:03:12" today, "2 Dec 14:03" on another day, in the viewer's time zone. */
export function when(iso: string, now: number): string {
  const at = new Date(iso)
  const today = new Date(now)
  const sameDay = at.toDateString() === today.toDateString()
  return sameDay
    ? at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : at.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
}

/** Who made the request: the key's name (and its owner for admins), or the manager's own chat. */
export function who(row: RequestLogRow, showUser: boolean): string {
  const source = row.endpoint === 'chat' ? 'Chat' : row.keyName ?? (row.keyId === null ? 'No key' : `Key #${row.keyId} (revoked)`)
  return showUser && row.userEmail !== null ? `${source} · ${row.userEmail}` : source
}

/** The profile that answered; for a request that named none the key may use, the name it asked for. */
export function server(row: RequestLogRow): string {
  // Short, as the column is narrow: the status beside it says whether unknown or not allowed.
  if (row.profileId === NO_PROFILE) return `${row.model} (no profile)`
  return row.profileName ?? `${row.model} (profile deleted)`
}

export function milliseconds(ms: number | null): string {
  if (ms === null) return '–'
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`
}

export function rate(tokensPerSecond: number | null): string {
  return tokensPerSecond === null ? '–' : tokensPerSecond.toFixed(tokensPerSecond >= 100 ? 0 : 1)
}

export function isError(row: Pick<RequestLogRow, 'status' | 'errorCode'>): boolean {
  return row.status >= 400 || row.errorCode !== null
}

/** Endpoints as people know them. */
export function endpointLabel(row: RequestLogRow): string {
  return row.endpoint === 'chat' ? 'chat' : `/v1/${row.endpoint}`
}
