import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { API_KEY_PREFIX, type ApiKey, type CreatedApiKey } from '../../../shared/keys'
import type { Profile } from '../../../shared/profiles'
import type { PublicUser } from '../../../shared/users'
import { AppError, badRequest, forbidden, notFound } from '../../http/errors'
import { mayUse, type Viewer } from '../access/viewer'
import type { ApiKeyRepository, StoredApiKey } from './repository'
import type { CreateKeyRequest } from './model'

export interface ApiKeyDeps {
  keys: ApiKeyRepository
  /** The key's owner, read again on every use so a disabled or deleted account stops its keys at once. */
  users: { findById(id: number): PublicUser | null }
  profiles: { find(id: number): Profile | null }
  /** Told when a key is revoked, so open streams under it can end. */
  revoked?: () => void
  now?: () => Date
  logger?: Pick<Console, 'error'>
}

/** Who a request with an API key acts as, and under which key. */
export interface KeyHolder {
  user: PublicUser
  key: ApiKey
}

// `mlxm_` + 12 hex (public id, the lookup) + `_` + 32 random bytes in base64url (the secret).
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}([0-9a-f]{12})_([A-Za-z0-9_-]{43})$`)

/** How stale a key's stored last-use time may be. */
export const LAST_USE_RESOLUTION_MS = 1000
/** How long after a use its time is written (see authenticate). */
const LAST_USE_WRITE_DELAY_MS = 100

const sha256 = (text: string) => createHash('sha256').update(text).digest()

/** The 401 for any key that does not work; the message says what to do, never which check failed first. */
export const invalidKey = (message = 'The API key is not valid: it may be mistyped, revoked or expired. Create a new one in the manager under API keys.') =>
  new AppError(401, 'invalid-api-key', message)

const publicKey = ({ publicId: _id, secretHash: _hash, ...key }: StoredApiKey): ApiKey => key

/** True when `token` is shaped like an API key rather than a session token. */
export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX)

/**
 * API keys: created by their owner, shown once, kept as a SHA-256 of a 256-bit random secret (a
 * slow password hash buys nothing against a secret that long, and each request checks one).
 */
export class ApiKeyService {
  private readonly now: () => Date
  private readonly logger: Pick<Console, 'error'>
  private readonly unwrittenUses = new Map<number, string>()
  /** Tokens whose secret matched, with the hash it matched: at most one per key that exists. */
  private readonly checkedTokens = new Map<string, string>()
  private useWriter: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly deps: ApiKeyDeps) {
    this.now = deps.now ?? (() => new Date())
    this.logger = deps.logger ?? console
  }

  create(viewer: Viewer, input: CreateKeyRequest): CreatedApiKey {
    const name = input.name.trim()
    if (name === '') throw badRequest('invalid-key-name', "Give the key a name, such as the editor or script that will use it.")
    const publicId = randomBytes(6).toString('hex')
    const secret = randomBytes(32).toString('base64url')
    const stored = this.deps.keys.insert({
      userId: viewer.id,
      name,
      publicId,
      secretHash: sha256(secret).toString('hex'),
      profiles: this.allowList(viewer, input.profiles ?? null),
      dailyTokenLimit: input.dailyTokenLimit ?? null,
      createdAt: this.now().toISOString(),
      expiresAt: this.expiry(input.expiresAt ?? null),
    })
    return { ...publicKey(stored), key: `${API_KEY_PREFIX}${publicId}_${secret}` }
  }

  /** The viewer's own keys, or (admins, `all`) everyone's. */
  list(viewer: Viewer, all: boolean): ApiKey[] {
    if (all && !viewer.isAdmin) throw forbidden('admin-only', "Only an administrator can list everyone's keys.")
    this.writeUses()
    const keys = all ? this.deps.keys.listAll() : this.deps.keys.listForUser(viewer.id)
    return keys.map(publicKey)
  }

  /** Revokes a key: the owner's own, or any for admins. Someone else's key reads as missing. */
  remove(viewer: Viewer, id: number): void {
    const key = this.deps.keys.findById(id)
    if (key === null || (!viewer.isAdmin && key.userId !== viewer.id)) {
      throw notFound('api-key-not-found', `There is no API key with id ${id}. The list may be out of date; reload it.`)
    }
    this.deps.keys.remove(id)
    this.deps.revoked?.()
  }

  /** True while a key still works: not revoked, not expired, its owner still approved. For open streams. */
  stillValid(keyId: number): boolean {
    const key = this.deps.keys.findById(keyId)
    if (key === null || (key.expiresAt !== null && Date.parse(key.expiresAt) <= this.now().getTime())) return false
    return this.deps.users.findById(key.userId)?.status === 'approved'
  }

  /** The owner and key a token names, or a 401. Checked in full on every request; notes the time of use. */
  authenticate(token: string | undefined): KeyHolder {
    const match = KEY_PATTERN.exec(token ?? '')
    if (match === null) throw invalidKey()
    const [, publicId = '', secret = ''] = match
    const key = this.deps.keys.findByPublicId(publicId)
    if (key === null) {
      this.checkedTokens.delete(token ?? '')
      throw invalidKey()
    }
    // The secret is hashed once per token: a key's hash never changes, so a token that matched this
    // hash before matches it still. (Keyed by the hash, not the row: the row is handed out anew at
    // every last-use write, and hashing again then put a cold hash on the first request of a burst.)
    if (this.checkedTokens.get(token ?? '') !== key.secretHash) {
      if (!timingSafeEqual(sha256(secret), Buffer.from(key.secretHash, 'hex'))) throw invalidKey()
      this.checkedTokens.set(token ?? '', key.secretHash)
    }
    const now = this.now()
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) {
      throw invalidKey(`The API key "${key.name}" expired on ${key.expiresAt}. Create a new one in the manager under API keys.`)
    }
    const user = this.deps.users.findById(key.userId)
    if (user === null || user.status !== 'approved') {
      throw invalidKey('The account this API key belongs to is not active, so the key does not work.')
    }
    const at = now.toISOString()
    // The last-use time is shown to the minute; writing it on every request of a busy client would
    // put a database write on each one, so it is written at most once a second per key, and a
    // moment later: a burst of requests meets no write before it reaches the engine.
    if (key.lastUsedAt === null || now.getTime() - Date.parse(key.lastUsedAt) >= LAST_USE_RESOLUTION_MS) this.noteUse(key.id, at)
    return { user, key: { ...publicKey(key), lastUsedAt: at } }
  }

  private noteUse(keyId: number, at: string): void {
    this.unwrittenUses.set(keyId, at)
    this.useWriter ??= setTimeout(() => this.writeUses(), LAST_USE_WRITE_DELAY_MS)
    this.useWriter.unref?.()
  }

  /** Writes the last-use times noted since the last write: on a timer, before lists, and at shutdown. */
  writeUses(): void {
    clearTimeout(this.useWriter)
    this.useWriter = undefined
    const uses = [...this.unwrittenUses]
    this.unwrittenUses.clear()
    try {
      for (const [keyId, at] of uses) this.deps.keys.touch(keyId, at)
    } catch (error) {
      // Only the shown last-use time is lost; the key and its requests are unaffected.
      this.logger.error(error)
    }
  }

  /** Profile ids a key may list: each must be one the owner may use (members: those shared with them). */
  private allowList(viewer: Viewer, ids: number[] | null): number[] | null {
    if (ids === null) return null
    const unique = [...new Set(ids)]
    if (unique.length === 0) {
      throw badRequest('invalid-key-profiles', 'List at least one profile, or leave profiles out to allow every profile you may use.')
    }
    for (const id of unique) {
      const profile = this.deps.profiles.find(id)
      // A profile hidden from a member reads as missing, as everywhere else.
      if (profile === null || !mayUse(viewer, profile)) {
        throw badRequest('invalid-key-profiles', `There is no profile with id ${id} that you may use. Reload the list of profiles and pick again.`)
      }
    }
    return unique
  }

  private expiry(value: string | null): string | null {
    if (value === null) return null
    const at = Date.parse(value)
    if (Number.isNaN(at)) throw badRequest('invalid-key-expiry', 'expiresAt is a date and time, such as 2030-01-31T00:00:00Z.')
    if (at <= this.now().getTime()) throw badRequest('invalid-key-expiry', 'The expiry date is already past. Pick a later one, or leave it out.')
    return new Date(at).toISOString()
  }
}
