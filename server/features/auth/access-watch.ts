import type { PublicUser } from '../../../shared/users'
import type { EventBus } from '../events/bus'
import type { SessionRepository } from './sessions'

export type Need = 'user' | 'admin'

/**
 * Ends long-lived responses (event, log and chat streams) the moment their session stops
 * granting what they need: the user signed out (everywhere), was disabled, deleted or demoted.
 * Checked again on every such change, not on a timer, so an open stream costs nothing meanwhile.
 */
export class AccessWatch {
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly authenticate: (sessionId: string) => PublicUser,
    bus: EventBus,
  ) {
    // Account changes (approve, disable, role, delete) are announced to the user on the bus.
    bus.subscribe(({ event }) => {
      if (event.type === 'session.user') this.changed()
    })
  }

  /** Something about sessions or accounts changed: every watched stream checks itself again. */
  changed(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** True while the session still grants `need`. */
  grants(sessionId: string, need: Need): boolean {
    try {
      const user = this.authenticate(sessionId)
      return need === 'user' || user.isAdmin
    } catch {
      return false
    }
  }

  /**
   * A signal that aborts when `request` does or when the session stops granting `need`. Call
   * `release` when the response ends so the watch forgets it.
   */
  guard(sessionId: string, need: Need, request: AbortSignal): { signal: AbortSignal; release: () => void } {
    return this.guardWhile(() => this.grants(sessionId, need), request)
  }

  /** The same for any grant, such as an API key's (its owner still active, the key not revoked). */
  guardWhile(granted: () => boolean, request: AbortSignal): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController()
    const release = () => {
      this.listeners.delete(check)
      request.removeEventListener('abort', stop)
    }
    const stop = () => {
      release()
      controller.abort()
    }
    const check = () => {
      if (!granted()) stop()
    }
    if (request.aborted) controller.abort()
    else {
      this.listeners.add(check)
      request.addEventListener('abort', stop)
    }
    return { signal: controller.signal, release }
  }

  /** How many responses are watched now (tests check nothing is left behind). */
  get watching(): number {
    return this.listeners.size
  }

  /** The session store, telling this watch whenever sessions are removed. */
  watchSessions(sessions: SessionRepository): SessionRepository {
    return {
      ...sessions,
      remove: (id) => {
        sessions.remove(id)
        this.changed()
      },
      removeForUser: (userId) => {
        sessions.removeForUser(userId)
        this.changed()
      },
      removeOthersOfUser: (userId, keepId) => {
        const ended = sessions.removeOthersOfUser(userId, keepId)
        this.changed()
        return ended
      },
    }
  }
}
