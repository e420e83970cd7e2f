/** Every API key starts with this, so a Bearer token is told apart from a session token without a lookup. */
export const API_KEY_PREFIX = 'mlxm_'

export const API_KEY_LIMITS = {
  nameMaxLength: 64,
  profilesMax: 200,
  dailyTokenLimitMax: 1_000_000_000_000,
} as const

/** An API key as its owner (and admins) see it; the secret itself is shown once, at creation. */
export interface ApiKey {
  id: number
  userId: number
  /** The owner's email, so admins listing everyone's keys see whose each is. */
  ownerEmail: string
  name: string
  /** The visible start of the key (`mlxm_` and its public id), enough to recognise it. */
  prefix: string
  /** Profile ids the key may use; null: every profile its owner may use. */
  profiles: number[] | null
  /** Tokens a day across the key's requests; null: no limit. */
  dailyTokenLimit: number | null
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
}

/** A key as `GET /api/keys` lists it. */
export interface ListedApiKey extends ApiKey {
  /** For a key with a daily limit, the tokens that limit has counted since local midnight; null without one. */
  tokensToday: number | null
}

/** What creating a key answers: the item and, this once, the whole key. */
export interface CreatedApiKey extends ApiKey {
  key: string
}
