import { t } from 'elysia'
import { API_KEY_LIMITS as L } from '../../../shared/keys'
import { idParam } from '../../http/ids'

const whole = (options: { minimum: number; maximum: number; error: string }) => t.Number({ ...options, multipleOf: 1 })

export const createKeyRequest = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: L.nameMaxLength, error: `A key's name is text of 1 to ${L.nameMaxLength} characters.` }),
    expiresAt: t.Optional(t.Union([t.String({ maxLength: 40 }), t.Null()], { error: 'expiresAt is a date and time, such as 2030-01-31T00:00:00Z, or null.' })),
    profiles: t.Optional(
      t.Union([t.Array(whole({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: 'A profile id is a positive whole number.' }), { maxItems: L.profilesMax }), t.Null()], {
        error: `profiles is a list of up to ${L.profilesMax} profile ids, or null for every profile you may use.`,
      }),
    ),
    dailyTokenLimit: t.Optional(
      t.Union([whole({ minimum: 1, maximum: L.dailyTokenLimitMax, error: 'dailyTokenLimit is a positive whole number of tokens.' }), t.Null()], {
        error: 'dailyTokenLimit is a positive whole number of tokens, or null for no limit.',
      }),
    ),
  },
  { error: 'Send {"name": "my editor"}, optionally with expiresAt, profiles (a list of profile ids) and dailyTokenLimit.' },
)

export type CreateKeyRequest = typeof createKeyRequest.static

export const keyIdParams = t.Object({ id: idParam('An API key') })

export const listKeysQuery = t.Object({
  all: t.Optional(t.Union([t.Literal('true'), t.Literal('false')], { error: 'all is true or false.' })),
})
