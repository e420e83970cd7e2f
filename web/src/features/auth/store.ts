import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { normalizeEmail } from '../../../../shared/email'
import type { PublicUser, UserStatus } from '../../../../shared/users'
import { api, request, toApiError } from '../../api/client'
import { forgetAllSnapshots } from '../../db/snapshots'
import { clearCachedUser, readCachedUser, saveCachedUser } from './repository'

/** What signing in or registering led to: in, or waiting for an administrator. */
export type SignInOutcome = 'signed-in' | 'pending'

export const SIGNED_OUT_BY_ADMIN = 'An administrator disabled or removed your account, so you have been signed out.'

/** What a fresh manager needs before anyone can sign in (`GET /api/auth/setup`). */
export interface SetupState {
  /** No account exists yet: the next one created becomes the administrator. */
  needsFirstAccount: boolean
  /** That first account needs the one-time code the manager printed at start (it listens beyond loopback). */
  setupCodeRequired: boolean
}

/** Codes that mean "this browser is not signed in any more" rather than "this one call failed". */
const SESSION_LOST = new Set(['unauthorized', 'account-disabled', 'account-pending'])

export const useAuthStore = defineStore('auth', () => {
  const user = ref<PublicUser | null>(null)
  /** The manager could not be reached; `user` is what this device remembered. */
  const offline = ref(false)
  /** Why the person was signed out, shown on the sign-in screen. */
  const notice = ref<string | null>(null)
  /** Null until asked, and when the manager cannot say (then the sign-in screen opens as usual). */
  const setup = ref<SetupState | null>(null)
  let firstCheck: Promise<void> | null = null

  const isAdmin = computed(() => user.value?.isAdmin === true)

  async function remember(next: PublicUser): Promise<void> {
    user.value = next
    offline.value = false
    notice.value = null
    // The cache only helps the app open offline; failing to write it must not fail the sign-in.
    await saveCachedUser(next).catch(() => undefined)
  }

  async function forget(reason: string | null): Promise<void> {
    user.value = null
    offline.value = false
    notice.value = reason
    // Lists kept for offline use belong to the person signed in, and go with them.
    await Promise.all([clearCachedUser(), forgetAllSnapshots()]).catch(() => undefined)
  }

  /** Asks the manager who is signed in. Offline, it keeps the user this device remembers. */
  async function refresh(): Promise<void> {
    try {
      await remember(await request(api.auth.me.get()))
    } catch (error) {
      const apiError = toApiError(error)
      if (apiError.isNetwork) {
        user.value ??= await readCachedUser()
        offline.value = true
        return
      }
      const wasSignedIn = user.value !== null || (await readCachedUser()) !== null
      // A visitor who was never signed in needs no explanation; someone whose session ended does.
      await forget(wasSignedIn || apiError.code !== 'unauthorized' ? apiError.message : null)
    }
  }

  /** The first check, shared by every caller (the router waits on it before the first screen). */
  function ensureChecked(): Promise<void> {
    firstCheck ??= refresh()
    return firstCheck
  }

  async function signIn(email: string, password: string): Promise<SignInOutcome> {
    try {
      const { user: signedIn } = await request(api.auth.login.post({ email: normalizeEmail(email), password }))
      await remember(signedIn)
      return 'signed-in'
    } catch (error) {
      const apiError = toApiError(error)
      if (apiError.code === 'account-pending') return 'pending'
      throw apiError
    }
  }

  /** Whether this manager still waits for its first account, and whether that needs the setup code. */
  async function loadSetup(): Promise<SetupState | null> {
    try {
      const answer = await request(api.auth.setup.get())
      setup.value = { needsFirstAccount: answer.needsFirstAccount, setupCodeRequired: answer.setupCodeRequired }
    } catch {
      // Unknown (offline, an older manager): the screen falls back to signing in.
      setup.value = null
    }
    return setup.value
  }

  /** The first account is an admin and signed in at once; later ones wait for approval. */
  async function register(email: string, password: string, setupCode?: string): Promise<SignInOutcome> {
    const code = setupCode?.trim() ?? ''
    const body = { email: normalizeEmail(email), password, ...(code === '' ? {} : { setupCode: code }) }
    const created = await request(api.auth.register.post(body))
    // Someone now exists; only the first account ever needed the code.
    setup.value = { needsFirstAccount: false, setupCodeRequired: false }
    if (created.status !== 'approved') return 'pending'
    await remember(created)
    return 'signed-in'
  }

  /** Signs out here even when the manager cannot be reached: this device forgets the user either way. */
  async function signOut(reason: string | null = null): Promise<void> {
    await request(api.auth.logout.post()).catch(() => undefined)
    await forget(reason)
  }

  /** The `session.user` event: the signed-in account was changed by an administrator. */
  async function applyAccountChange(change: { status: UserStatus; isAdmin: boolean }): Promise<void> {
    if (user.value === null) return
    if (change.status !== 'approved') return signOut(SIGNED_OUT_BY_ADMIN)
    if (change.isAdmin !== user.value.isAdmin) await refresh()
  }

  /** Lets other stores report a failed call; a lost session sends the person back to sign in. */
  async function handleFailure(error: unknown): Promise<void> {
    const apiError = toApiError(error)
    if (apiError.isNetwork) markUnreachable()
    else if (SESSION_LOST.has(apiError.code)) await refresh()
  }

  /** The live stream dropped: what is on screen may be stale until the manager answers again. */
  function markUnreachable(): void {
    if (user.value !== null) offline.value = true
  }

  function clearNotice(): void {
    notice.value = null
  }

  return {
    user,
    offline,
    notice,
    isAdmin,
    setup,
    loadSetup,
    refresh,
    ensureChecked,
    signIn,
    register,
    signOut,
    applyAccountChange,
    handleFailure,
    markUnreachable,
    clearNotice,
  }
})

/** What a form shows for a failed call: the server's code and sentence, and any wait it asked for. */
export interface Failure {
  code: string
  message: string
  retryAfterSeconds: number | null
}

export function failureOf(error: unknown): Failure {
  const { code, message, retryAfterSeconds } = toApiError(error)
  return { code, message, retryAfterSeconds }
}
