import { jwt } from '@elysiajs/jwt'
import { Elysia, t } from 'elysia'
import { SESSION_TTL_SECONDS } from '../../../shared/limits'
import { forbidden, unauthorized } from '../../http/errors'
import type { AuthService, SignedIn } from './service'
import { VerifiedTokens } from './verified-tokens'

export const SESSION_COOKIE = 'mlx_session'

const claims = t.Object({ sub: t.String(), sid: t.String() })

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return match?.[1]
}

/**
 * Sessions as a plugin: a signed JWT naming a server-side session, carried in an httpOnly cookie
 * or a Bearer header. Routes opt in with `{ auth: true }` or `{ admin: true }` and receive `user`.
 */
export function sessionPlugin(auth: AuthService, secret: string, clientAddress?: (request: Request) => string | undefined) {
  const verified = new VerifiedTokens()
  return new Elysia({ name: 'session' })
    .use(jwt({ name: 'sessionToken', secret, schema: claims, exp: `${SESSION_TTL_SECONDS}s` }))
    .derive({ as: 'global' }, ({ sessionToken, cookie, headers, request, server }) => {
      const readSessionId = async () => {
        const token = bearerToken(headers.authorization) ?? cookie[SESSION_COOKIE]?.value
        if (typeof token !== 'string' || token === '') throw unauthorized()
        const known = verified.sessionId(token)
        if (known !== undefined) return known
        const payload = await sessionToken.verify(token)
        if (payload === false) throw unauthorized()
        verified.remember(token, payload.sid, payload.exp)
        return payload.sid
      }
      return {
        clientKey: clientAddress?.(request) ?? server?.requestIP(request)?.address ?? 'local',
        readSessionId,
        /** Signs the session into a token, sets the cookie, and returns what login answers. */
        startSession: async ({ user, sessionId }: SignedIn) => {
          const token = await sessionToken.sign({ sub: String(user.id), sid: sessionId })
          cookie[SESSION_COOKIE]?.set({
            value: token,
            httpOnly: true,
            sameSite: 'lax',
            path: '/',
            maxAge: SESSION_TTL_SECONDS,
          })
          return { token, user }
        },
        endSession: () => cookie[SESSION_COOKIE]?.remove(),
      }
    })
    .macro({
      auth: {
        async resolve({ readSessionId }) {
          const sessionId = await readSessionId()
          return { user: auth.authenticate(sessionId), sessionId }
        },
      },
      admin: {
        async resolve({ readSessionId }) {
          const sessionId = await readSessionId()
          const user = auth.authenticate(sessionId)
          if (!user.isAdmin) throw forbidden('admin-only', 'Only an administrator can do this.')
          return { user, sessionId }
        },
      },
    })
}
