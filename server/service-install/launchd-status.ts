import { LAUNCHD_LABEL } from './spec'

export interface LaunchdStatus {
  loaded: boolean
  /** launchd's word for it: `running`, `not running`, `spawn scheduled`, …; null when not loaded. */
  state: string | null
  pid: number | null
  /** null before the first exit ("(never exited)") or when not loaded. */
  lastExitCode: number | null
}

/** The `launchctl print` target of the manager's agent for a user. */
export const launchdTarget = (uid: number) => `gui/${uid}/${LAUNCHD_LABEL}`

/**
 * Reads `launchctl print gui/<uid>/<label>`: a `key = value` block per service. Anything that is
 * not such a block (launchctl prints "Could not find service …" when the agent is not loaded)
 * means not loaded.
 */
export function parseLaunchctlPrint(text: string): LaunchdStatus {
  if (!new RegExp(`^\\S*${LAUNCHD_LABEL.replaceAll('.', '\\.')} = \\{`, 'm').test(text)) return { loaded: false, state: null, pid: null, lastExitCode: null }
  // Only the service's own top-level keys (one tab in), not nested blocks such as its environment.
  const field = (key: string) => new RegExp(`^\\t${key} = (.+)$`, 'm').exec(text)?.[1]?.trim() ?? null
  const pid = field('pid')
  const exit = field('last exit code')
  return {
    loaded: true,
    state: field('state'),
    pid: pid !== null && /^\d+$/.test(pid) ? Number(pid) : null,
    lastExitCode: exit !== null && /^-?\d+$/.test(exit) ? Number(exit) : null,
  }
}
