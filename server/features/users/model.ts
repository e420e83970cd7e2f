import { t } from 'elysia'
import { idParam } from '../../http/ids'
import { USER_STATUSES } from '../../../shared/users'
import { PASSWORD_MAX_LENGTH } from '../../../shared/limits'

export const userIdParams = t.Object({
  id: idParam('A user'),
})

export const userPatch = t.Object(
  {
    // A union of literals, not t.UnionEnum: an optional UnionEnum gets filled with its first member.
    status: t.Optional(t.Union([t.Literal(USER_STATUSES[0]), t.Literal(USER_STATUSES[1]), t.Literal(USER_STATUSES[2])])),
    isAdmin: t.Optional(t.Boolean()),
  },
  { minProperties: 1, error: 'Send at least one of status and isAdmin: status is pending, approved or disabled; isAdmin is true or false.' },
)

export const passwordReset = t.Object({ password: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4 }) })

export type UserPatch = typeof userPatch.static
