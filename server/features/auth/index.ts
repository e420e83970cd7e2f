import { Elysia } from 'elysia'
import { credentials, registration } from './model'
import type { AuthService } from './service'
import type { sessionPlugin } from './session'

export function authRoutes(auth: AuthService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/auth' })
    .use(session)
    .get('/setup', ({ clientKey }) => auth.setupState(clientKey))
    .post(
      '/register',
      async ({ body, clientKey, status, startSession }) => {
        const { user, sessionId } = await auth.register(body, clientKey)
        // The first account is signed in at once; the cookie carries its session.
        if (sessionId !== null) await startSession({ user, sessionId })
        return status(201, user)
      },
      { body: registration },
    )
    .post('/login', async ({ body, clientKey, startSession }) => startSession(await auth.login(body, clientKey)), {
      body: credentials,
    })
    // Signing out always succeeds, so a stale cookie can never trap someone signed in.
    .post('/logout', async ({ readSessionId, endSession }) => {
      auth.logout(await readSessionId().catch(() => ''))
      endSession()
      return { ok: true }
    })
    .get('/me', ({ user }) => user, { auth: true })
}
