import { Elysia } from 'elysia'
import type { AuthService } from '../auth/service'
import type { sessionPlugin } from '../auth/session'
import { passwordChange } from '../auth/model'
import { defaultsChange, tokenChange } from './model'
import type { SettingsService } from './service'

/** The Settings page: everyone changes their own password; the rest is for admins. */
export function settingsRoutes(settings: SettingsService, auth: AuthService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/settings' })
    .use(session)
    .post('/password', ({ user, sessionId, clientKey, body }) => auth.changePassword(user, sessionId, body, clientKey), {
      auth: true,
      body: passwordChange,
    })
    .get('/', () => settings.read(), { admin: true })
    .put('/hf-token', ({ body }) => settings.setToken(body.token), { admin: true, body: tokenChange })
    .delete('/hf-token', () => settings.clearToken(), { admin: true })
    .patch('/profile-defaults', ({ body }) => settings.setProfileDefaults(body), { admin: true, body: defaultsChange })
}
