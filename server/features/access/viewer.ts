import type { BenchmarkRun } from '../../../shared/benchmarks'
import type { ServerChatMetrics } from '../../../shared/chat'
import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import type { PublicUser } from '../../../shared/users'
import { forbidden, notFound } from '../../http/errors'

/** Who is looking: enough of the signed-in user to decide what they may see and do. */
export type Viewer = Pick<PublicUser, 'id' | 'isAdmin'>

/**
 * Admins see and run every profile. Approved members see only the profiles an admin marked
 * available to them, and chat with those (which may start their server); nothing else.
 */
export function mayUse(viewer: Viewer, profile: Pick<Profile, 'availableToMembers'>): boolean {
  return viewer.isAdmin || profile.availableToMembers
}

/** The same answer as for a profile that does not exist, so members cannot probe for hidden ones. */
export function hiddenProfile(id: number) {
  return notFound('profile-not-found', `There is no profile with id ${id}. The list may be out of date; reload it.`)
}

export function notAvailable(profile: Pick<Profile, 'name'>) {
  return forbidden('profile-not-available', `"${profile.name}" is not available to members. Ask an administrator to make it available.`)
}

/**
 * A profile as a member sees it: the fields that run programs or read files on the host are an
 * admin's business (and may hold paths or arguments they would rather not share), so they are blanked.
 */
export function profileFor(viewer: Viewer, profile: Profile): Profile {
  if (viewer.isAdmin) return profile
  return { ...profile, customCommand: null, extraArgs: [], chatTemplateFile: null }
}

/** A server's state as a member sees it: no command line, no log lines. */
export function serverFor(viewer: Viewer, status: ServerStatus): ServerStatus {
  if (viewer.isAdmin) return status
  return { ...status, command: null, failure: status.failure === null ? null : { ...status.failure, logTail: [] } }
}

/** A server's chat figures as a member sees them: the traffic of their own API keys only. */
export function chatMetricsFor(viewer: Viewer, summary: ServerChatMetrics): ServerChatMetrics {
  if (viewer.isAdmin) return summary
  return { ...summary, byKey: summary.byKey.filter((traffic) => traffic.userId === viewer.id) }
}

/** A benchmark as a member sees it: the profile's extra arguments are an admin's business, as on the profile. */
export function benchmarkFor(viewer: Viewer, run: BenchmarkRun): BenchmarkRun {
  if (viewer.isAdmin) return run
  return { ...run, settings: { ...run.settings, extraArgs: [] } }
}
