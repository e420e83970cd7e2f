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
import type { Credentials, PasswordChange, Registration, SetupState } from './model'
import { isLoopbackClient, type SetupCode } from './setup-code'
import type { LoginThrottle, RegisterThrottle } from './throttle'

export interface AuthDeps {
  users: UserRepository
  sessions: SessionRepository
  hasher: PasswordHasher
  /** Growing delays for failed sign-ins, per (email, client) and per client. */
  throttle: LoginThrottle
  registerThrottle: RegisterThrottle
  /** Lets the first account be made from a client that is not on this machine. */
  setupCode: SetupCode
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

function tooManyAttempts(wait: number, what: string): AppError {
  const unit = wait === 1 ? 'second' : 'seconds'
  return new AppError(429, 'too-many-attempts', `Too many ${what}. Try again in ${wait} ${unit}.`, { 'retry-after': String(wait) })
}

const CODE_WHERE = 'The setup code is printed in the manager output (its terminal or log) when it starts.'

export class AuthService {
  private readonly now: () => Date
  /** A real hash to verify against when the email is unknown, so timing does not reveal which emails exist. */
  private decoyHash: Promise<string> | null = null

  constructor(private readonly deps: AuthDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  /** Whether the first account is still to be made, and whether this client needs the setup code for it. */
  setupState(clientKey: string): SetupState {
    const needsFirstAccount = this.deps.users.count() === 0
    return { needsFirstAccount, setupCodeRequired: needsFirstAccount && !isLoopbackClient(clientKey) }
  }

  /** The code to print at start, while the first account is still to be made. */
  pendingSetupCode(): string | null {
    return this.deps.users.count() === 0 ? this.deps.setupCode.value : null
  }

  /**
   * The first account becomes an approved admin and is signed in; later ones wait for approval.
   * The first one needs a client on this machine or the setup code, so nobody else on the
   * network can claim a fresh manager.
   */
  async register(input: Registration, clientKey: string): Promise<{ user: PublicUser; sessionId: string | null }> {
    const wait = this.deps.registerThrottle.take(clientKey)
    if (wait > 0) throw tooManyAttempts(wait, 'registrations from this address')
    const { email, password } = validCredentials(input)
    const passwordHash = await this.deps.hasher.hash(password)
    const user = this.deps.users.exclusive(() => {
      if (this.deps.users.findByEmail(email) !== null) {
        throw conflict('email-taken', 'An account with this email already exists. Sign in instead.')
      }
      const first = this.deps.users.count() === 0
      if (first) this.checkFirstAccount(input.setupCode, clientKey)
      const inserted = this.deps.users.insert({
        email,
        passwordHash,
        isAdmin: first,
        status: first ? 'approved' : 'pending',
        createdAt: this.now().toISOString(),
      })
      // One use only, whoever made the first account.
      if (first) this.deps.setupCode.consume()
      return inserted
    })
    if (user.status === 'pending') this.publishPendingCount()
    return { user: toPublicUser(user), sessionId: user.status === 'approved' ? this.openSession(user.id) : null }
  }

  async login(input: Credentials, clientKey: string): Promise<SignedIn> {
    const email = normalizeEmail(input.email)
    // The attempt counts as a failure from here on, until the password proves right.
    const wait = this.deps.throttle.begin(email, clientKey)
    if (wait > 0) throw tooManyAttempts(wait, 'failed sign-ins')
    const user = this.deps.users.findByEmail(email)
    const matches = await this.deps.hasher.verify(input.password, user?.passwordHash ?? (await this.decoy()))
    if (user === null || !matches) {
      throw new AppError(401, 'invalid-credentials', 'That email and password do not match an account.')
    }
    const refused = statusError(user)
    if (refused !== null) {
      // A pending or disabled account proves nothing about this client: earlier failures stay counted.
      this.deps.throttle.notAFailure(email, clientKey)
      throw refused
    }
    this.deps.throttle.signedIn(email, clientKey)
    return { user: toPublicUser(user), sessionId: this.openSession(user.id) }
  }

  /**
   * A signed-in user's new password, given the present one. The check counts like a sign-in
   * attempt (a stolen session cannot guess it fast), and every other session of the account ends:
   * whoever knew the old password stays signed out.
   */
  async changePassword(user: PublicUser, sessionId: string, change: PasswordChange, clientKey: string): Promise<{ otherSessionsEnded: number }> {
    const wait = this.deps.throttle.begin(user.email, clientKey)
    if (wait > 0) throw tooManyAttempts(wait, 'wrong passwords')
    const stored = this.deps.users.findById(user.id)
    if (stored === null) throw unauthorized('Your account no longer exists.')
    if (!(await this.deps.hasher.verify(change.currentPassword, stored.passwordHash))) {
      throw badRequest('wrong-password', 'Your current password is not right. Type it again.')
    }
    this.deps.throttle.signedIn(user.email, clientKey)
    const problem = passwordProblem(change.newPassword)
    if (problem !== null) throw badRequest('invalid-password', problem)
    if (change.newPassword === change.currentPassword) throw badRequest('password-unchanged', 'The new password is the same as the current one. Choose another.')
    this.deps.users.setPasswordHash(user.id, await this.deps.hasher.hash(change.newPassword))
    return { otherSessionsEnded: this.deps.sessions.removeOthersOfUser(user.id, sessionId) }
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

  /** Runs inside the users lock, so the code is checked and used up by exactly one registration. */
  private checkFirstAccount(code: string | undefined, clientKey: string): void {
    if (!isLoopbackClient(clientKey)) {
      if (code === undefined || code.trim() === '') {
        throw forbidden('setup-code-required', `The first account needs the setup code when it is made from another machine. ${CODE_WHERE}`)
      }
      if (!this.deps.setupCode.matches(code)) {
        throw forbidden('setup-code-invalid', `That setup code is not right. ${CODE_WHERE}`)
      }
    }
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

