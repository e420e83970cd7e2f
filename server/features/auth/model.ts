import { t } from 'elysia'
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH } from '../../../shared/limits'

/** Lengths are checked loosely here and exactly (with a friendly sentence) in the service. */
export const credentials = t.Object({
  email: t.String({ maxLength: EMAIL_MAX_LENGTH * 2 }),
  password: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4 }),
})

export type Credentials = typeof credentials.static
