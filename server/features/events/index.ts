import { Elysia, sse } from 'elysia'
import type { ServerEvent } from '../../../shared/events'
import type { sessionPlugin } from '../auth/session'
import { EventView } from '../access/events'
import type { AccessWatch } from '../auth/access-watch'
import type { AuthService } from '../auth/service'
import type { UserAdminService } from '../users/service'
import type { MemorySampler } from '../system/sampler'
import type { Delivery, EventBus } from './bus'
import { eventStream, type Verdict } from './stream'

export interface EventRouteDeps {
  bus: EventBus
  auth: AuthService
  users: UserAdminService
  memory: MemorySampler
  watch: AccessWatch
  /** Whether members may see a profile (and its server). */
  availableToMembers: (profileId: number) => boolean
  /** The profiles members may see now, which a member's tab starts out knowing. */
  memberProfiles: () => number[]
  heartbeatMs?: number
}

/** One SSE stream per tab carries all live state; nothing in the web app polls. */
export function eventRoutes(deps: EventRouteDeps, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api' }).use(session).get(
    '/events',
    async function* ({ user, sessionId, request }) {
      const initial: ServerEvent[] = [{ type: 'system.memory', data: deps.memory.current() }]
      if (user.isAdmin) initial.push({ type: 'users.pending', data: { count: deps.users.pendingCount() } })
      const view = new EventView(deps.availableToMembers, user.isAdmin ? [] : deps.memberProfiles())
      // Re-check the viewer on each delivery: a user disabled or demoted mid-stream stops hearing admin news.
      const accepts = ({ audience, event }: Delivery): Verdict => {
        // Tell the tab its account was disabled or deleted, then hang up.
        const ownAccount = audience.kind === 'user' && audience.userId === user.id && event.type === 'session.user'
        if (ownAccount && event.data.status !== 'approved') return 'last'
        let viewer
        try {
          viewer = deps.auth.authenticate(sessionId)
        } catch {
          return 'close'
        }
        if (audience.kind === 'admins' && !viewer.isAdmin) return false
        if (audience.kind === 'user' && audience.userId !== viewer.id) return false
        return view.of(viewer, event) ?? false
      }
      const guard = deps.watch.guard(sessionId, 'user', request.signal)
      const stream = eventStream({
        bus: deps.bus,
        accepts,
        initial,
        // Signing out everywhere or losing the account hangs up at once, even with nothing to deliver.
        signal: guard.signal,
        heartbeatMs: deps.heartbeatMs ?? 25_000,
      })
      try {
        for await (const item of stream) yield sse({ event: item.type, data: item.data })
      } finally {
        guard.release()
      }
    },
    { auth: true },
  )
}
