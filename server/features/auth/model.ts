import { t } from 'elysia'
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH } from '../../../shared/limits'

/** Lengths are checked loosely here and exactly (with a friendly sentence) in the service. */
export const credentials = t.Object({
  email: t.String({ maxLength: EMAIL_MAX_LENGTH * 2 }),
  password: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4 }),
})

export type Credentials = typeof credentials.static

/** The setup code is needed only for the first account, from a client not on this machine. */
export const registration = t.Object({
  email: t.String({ maxLength: EMAIL_MAX_LENGTH * 2 }),
  password: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4 }),
  setupCode: t.Optional(t.String({ maxLength: 64 })),
})

export type Registration = typeof registration.static

export const setupState = t.Object({ needsFirstAccount: t.Boolean(), setupCodeRequired: t.Boolean() })

export type SetupState = typeof setupState.static

/** A signed-in user changing their own password (POST /api/settings/password). */
export const passwordChange = t.Object(
  {
    currentPassword: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4, error: 'currentPassword is your present password, as text.' }),
    newPassword: t.String({ maxLength: PASSWORD_MAX_LENGTH * 4, error: 'newPassword is the new password, as text.' }),
  },
  { error: 'Send {"currentPassword": "…", "newPassword": "…"}.' },
)

export type PasswordChange = typeof passwordChange.static
