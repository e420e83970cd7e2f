import { passwordProblem } from '../../../shared/password'
import type { PublicUser } from '../../../shared/users'
import { badRequest, conflict, notFound } from '../../http/errors'
import type { PasswordHasher } from '../auth/passwords'
import type { SessionRepository } from '../auth/sessions'
import type { EventBus } from '../events/bus'
import type { UserPatch } from './model'
import { toPublicUser, type StoredUser, type UserRepository } from './repository'

export interface UserAdminDeps {
  users: UserRepository
  sessions: SessionRepository
  hasher: PasswordHasher
  bus: EventBus
}

const lastAdmin = () =>
  conflict('last-admin', 'This would leave no active administrator. Make another user an admin first.')

/** What administrators do to accounts. Every change keeps at least one approved admin. */
export class UserAdminService {
  constructor(private readonly deps: UserAdminDeps) {}

  list(): PublicUser[] {
    return this.deps.users.list().map(toPublicUser)
  }

  pendingCount(): number {
    return this.deps.users.countPending()
  }

  update(id: number, patch: UserPatch): PublicUser {
    const updated = this.deps.users.exclusive(() => {
      this.find(id)
      this.deps.users.update(id, patch)
      if (this.deps.users.countActiveAdmins() === 0) throw lastAdmin()
      return this.find(id)
    })
    this.announce(updated)
    return toPublicUser(updated)
  }

  async resetPassword(id: number, password: string): Promise<PublicUser> {
    const problem = passwordProblem(password)
    if (problem !== null) throw badRequest('invalid-password', problem)
    const user = this.find(id)
    this.deps.users.setPasswordHash(id, await this.deps.hasher.hash(password))
    // Whoever knew the old password must not stay signed in with it.
    this.deps.sessions.removeForUser(id)
    return toPublicUser(user)
  }

  remove(id: number): void {
    const removed = this.deps.users.exclusive(() => {
      const user = this.find(id)
      this.deps.users.remove(id)
      if (this.deps.users.countActiveAdmins() === 0) throw lastAdmin()
      return user
    })
    this.deps.bus.publish({ type: 'session.user', data: { status: 'disabled', isAdmin: false } }, { kind: 'user', userId: removed.id })
    this.publishPendingCount()
  }

  private find(id: number): StoredUser {
    const user = this.deps.users.findById(id)
    if (user === null) throw notFound('user-not-found', `There is no user with id ${id}. The list may be out of date; reload it.`)
    return user
  }

  private announce(user: StoredUser): void {
    this.deps.bus.publish({ type: 'session.user', data: { status: user.status, isAdmin: user.isAdmin } }, { kind: 'user', userId: user.id })
    this.publishPendingCount()
  }

  private publishPendingCount(): void {
    this.deps.bus.publish({ type: 'users.pending', data: { count: this.deps.users.countPending() } }, { kind: 'admins' })
  }
}
