import { t } from 'elysia'
import { USER_STATUSES } from '../../../shared/users'
import { PASSWORD_MAX_LENGTH } from '../../../shared/limits'

export const userIdParams = t.Object({ id: t.Numeric({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

export const userPatch = t.Object(
  {
    status: t.Optional(t.UnionEnum(USER_STATUSES)),
    isAdmin: t.Optional(t.Boolean()),
  },
  { minProperties: 1 },
)

export const passwordReset = t.Object({ password: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4 }) })

export type UserPatch = typeof userPatch.static
