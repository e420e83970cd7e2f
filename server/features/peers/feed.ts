import type { RemoteProfile } from '../../../shared/peers'
import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import type { PublicUser } from '../../../shared/users'
import { mayUse } from '../access/viewer'
import type { EventBus } from '../events/bus'
import type { KeyHolder } from '../keys/service'

export interface FeedDeps {
  bus: EventBus
  profiles: { list(): Profile[] }
  servers: { get(profileId: number): ServerStatus }
  /** The key's owner as they are now (a demoted admin's key sees less at once); null once gone. */
  owner: (userId: number) => PublicUser | null
}

/**
 * What another manager following this one sees with a key made here: the profiles that key may use
 * (its owner's role, its own allow-list), each with its server's state. Nothing else: no command
 * lines, paths, logs, memory or other users.
 */
export function feedProfiles(deps: Pick<FeedDeps, 'profiles' | 'servers' | 'owner'>, holder: KeyHolder): RemoteProfile[] {
  const user = deps.owner(holder.user.id)
  if (user === null) return []
  return deps.profiles
    .list()
    .filter((profile) => mayUse(user, profile) && (holder.key.profiles === null || holder.key.profiles.includes(profile.id)))
    .map((profile) => {
      const status = deps.servers.get(profile.id)
      return {
        id: profile.id,
        name: profile.name,
        aliases: profile.aliases,
        model: profile.model,
        engine: profile.engine,
        modelType: profile.modelType,
        state: status.state,
        failure: status.failure?.message ?? null,
      }
    })
}

const WATCHED = new Set(['profiles.changed', 'profiles.deleted', 'servers.state'])

/**
 * The feed as SSE frames: the list at once, then again whenever it changes (profile edits, server
 * states; a burst of changes in one turn is sent once). The route adds a ping when it is quiet, so
 * the follower can tell a cut link from a quiet one. Ends when `signal` aborts.
 */
export async function* feedFrames(deps: FeedDeps, holder: KeyHolder, signal: AbortSignal): AsyncGenerator<string> {
  let dirty = true
  let wake: (() => void) | null = null
  const notify = () => {
    wake?.()
    wake = null
  }
  const unsubscribe = deps.bus.subscribe(({ event }) => {
    if (!WATCHED.has(event.type)) return
    dirty = true
    notify()
  })
  signal.addEventListener('abort', notify)
  let last = ''
  try {
    while (!signal.aborted) {
      if (dirty) {
        dirty = false
        const text = JSON.stringify(feedProfiles(deps, holder))
        if (text !== last) {
          last = text
          yield `event: profiles\ndata: ${text}\n\n`
          continue
        }
      }
      await new Promise<void>((resolve) => (wake = resolve))
      // Let a burst of changes (a start moves through several states) settle into one list.
      await Promise.resolve()
    }
  } finally {
    unsubscribe()
    signal.removeEventListener('abort', notify)
  }
}
