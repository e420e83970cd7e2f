import { randomBytes } from 'node:crypto'
import { emailProblem, normalizeEmail } from '../../../shared/email'
import { SESSION_TTL_SECONDS } from '../../../shared/limits'
import { passwordProblem } from '../../../shared/password'
import type { PublicUser } from '../../../shared/users'
import { AppError, badRequest, conflict, forbidden, unauthorized } from '../../http/errors'
import type { EventBus } from '../events/bus'
import { toPublicUser, type UserRepository } from '../users/repository'
import type { PasswordHasher } from './passwords'
import type { SessionRepository } from './sessions'
import type { Credentials } from './model'
import type { LoginThrottle } from './throttle'

export interface AuthDeps {
  users: UserRepository
  sessions: SessionRepository
  hasher: PasswordHasher
  /** Failures per email: protects one account from guessing. */
  throttle: LoginThrottle
  /** Failures per client address: looser, since people behind one address share it. */
  clientThrottle: LoginThrottle
  bus: EventBus
  now?: () => Date
}

export interface SignedIn {
  user: PublicUser
  sessionId: string
}

export function validCredentials(input: Credentials): Credentials {
  const email = normalizeEmail(input.email)
  const problem = emailProblem(email) ?? passwordProblem(input.password)
  if (problem !== null) throw badRequest('invalid-credentials-format', problem)
  return { email, password: input.password }
}

export function statusError(user: Pick<PublicUser, 'status'>): AppError | null {
  if (user.status === 'pending') {
    return forbidden('account-pending', 'Your account is waiting for an administrator to approve it. Try again once they have.')
  }
  if (user.status === 'disabled') {
    return forbidden('account-disabled', 'This account has been disabled. Ask an administrator to enable it.')
  }
  return null
}

export class AuthService {
  private readonly now: () => Date
  /** A real hash to verify against when the email is unknown, so timing does not reveal which emails exist. */
  private decoyHash: Promise<string> | null = null

  constructor(private readonly deps: AuthDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  /** The first account becomes an approved admin and is signed in; later ones wait for approval. */
  async register(input: Credentials): Promise<{ user: PublicUser; sessionId: string | null }> {
    const { email, password } = validCredentials(input)
    const passwordHash = await this.deps.hasher.hash(password)
    const user = this.deps.users.exclusive(() => {
      if (this.deps.users.findByEmail(email) !== null) {
        throw conflict('email-taken', 'An account with this email already exists. Sign in instead.')
      }
      const first = this.deps.users.count() === 0
      return this.deps.users.insert({
        email,
        passwordHash,
        isAdmin: first,
        status: first ? 'approved' : 'pending',
        createdAt: this.now().toISOString(),
      })
    })
    if (user.status === 'pending') this.publishPendingCount()
    return { user: toPublicUser(user), sessionId: user.status === 'approved' ? this.openSession(user.id) : null }
  }

  async login(input: Credentials, clientKey: string): Promise<SignedIn> {
    const email = normalizeEmail(input.email)
    const limits: [LoginThrottle, string][] = [
      [this.deps.throttle, email],
      [this.deps.clientThrottle, clientKey],
    ]
    const wait = Math.max(...limits.map(([throttle, key]) => throttle.retryAfterSeconds(key)))
    if (wait > 0) {
      throw new AppError(429, 'too-many-attempts', `Too many failed sign-ins. Try again in ${wait} seconds.`, {
        'retry-after': String(wait),
      })
    }
    const user = this.deps.users.findByEmail(email)
    const matches = await this.deps.hasher.verify(input.password, user?.passwordHash ?? (await this.decoy()))
    if (user === null || !matches) {
      limits.forEach(([throttle, key]) => throttle.recordFailure(key))
      throw new AppError(401, 'invalid-credentials', 'That email and password do not match an account.')
    }
    limits.forEach(([throttle, key]) => throttle.reset(key))
    const refused = statusError(user)
    if (refused !== null) throw refused
    return { user: toPublicUser(user), sessionId: this.openSession(user.id) }
  }

  logout(sessionId: string): void {
    this.deps.sessions.remove(sessionId)
  }

  /** Checked on every request: the session must exist and the account must still be approved. */
  authenticate(sessionId: string): PublicUser {
    const session = this.deps.sessions.find(sessionId)
    if (session === null || session.expiresAt <= this.now().toISOString()) {
      throw unauthorized('Your session has ended. Sign in again.')
    }
    const user = this.deps.users.findById(session.userId)
    if (user === null) throw unauthorized('Your account no longer exists.')
    const refused = statusError(user)
    if (refused !== null) throw refused
    return toPublicUser(user)
  }

  private openSession(userId: number): string {
    const id = randomBytes(24).toString('base64url')
    const now = this.now()
    this.deps.sessions.removeExpired(now.toISOString())
    this.deps.sessions.create({
      id,
      userId,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_SECONDS * 1000).toISOString(),
    })
    return id
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= this.deps.hasher.hash(randomBytes(16).toString('hex'))
    return this.decoyHash
  }

  private publishPendingCount(): void {
    this.deps.bus.publish({ type: 'users.pending', data: { count: this.deps.users.countPending() } }, { kind: 'admins' })
  }
}

