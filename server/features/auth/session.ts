import { jwt } from '@elysiajs/jwt'
import { markBodyLimit } from '../../http/body-limit'
import { Elysia, t } from 'elysia'
import { SESSION_TTL_SECONDS } from '../../../shared/limits'
import { forbidden, unauthorized } from '../../http/errors'
import { looksLikeApiKey, type KeyHolder } from '../keys/service'
import type { AuthService, SignedIn } from './service'
import { VerifiedTokens } from './verified-tokens'

export const SESSION_COOKIE = 'mlx_session'

const claims = t.Object({ sub: t.String(), sid: t.String() })

function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return match?.[1]
}

/** An API key from `Authorization: Bearer` (OpenAI clients) or `x-api-key` (Anthropic clients). */
export function apiKeyOf(authorization: string | null | undefined, xApiKey: string | null | undefined): string | undefined {
  return bearerToken(authorization) ?? (xApiKey?.trim() || undefined)
}

/** Resolves an API key to its owner and the key; throws a 401 for any key that does not work. */
export interface KeyResolver {
  authenticate(token: string | undefined): KeyHolder
}

/** The session cookie's value from a raw Cookie header (the edge reads it before Elysia parses cookies). */
export function sessionCookieOf(cookieHeader: string | null): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='))
  }
  return undefined
}

interface TokenSigner {
  sign(claims: { sub: string; sid: string }): Promise<string>
  verify(token: string): Promise<false | { sid: string; exp?: number }>
}

/**
 * Turns a token into the session id it names, checking the signature once per token. Used by the
 * routes (through the plugin) and by the HTTP edge, which must know who is asking before a body is read.
 */
export class SessionTokens {
  private readonly verified = new VerifiedTokens()
  private readonly checkedKeys = new WeakMap<Request, KeyHolder>()

  constructor(
    private readonly auth: AuthService,
    readonly signer: TokenSigner,
    private readonly keys?: KeyResolver,
  ) {}

  async sessionId(token: string | undefined): Promise<string> {
    if (typeof token !== 'string' || token === '') throw unauthorized()
    const known = this.verified.sessionId(token)
    if (known !== undefined) return known
    const payload = await this.signer.verify(token)
    if (payload === false) throw unauthorized()
    this.verified.remember(token, payload.sid, payload.exp)
    return payload.sid
  }

  /** The owner and key of an API key (a prefix, then a hashed lookup); 401 otherwise. */
  apiKey(authorization: string | null | undefined, xApiKey: string | null | undefined): KeyHolder {
    if (this.keys === undefined) throw unauthorized()
    return this.keys.authenticate(apiKeyOf(authorization, xApiKey))
  }

  /**
   * The API key of a request, checked once per request: the edge checks it before the body is read,
   * and the route's `apiKey` option takes the holder the edge found instead of checking again.
   */
  requestKey(request: Request): KeyHolder {
    const known = this.checkedKeys.get(request)
    if (known !== undefined) return known
    const holder = this.apiKey(request.headers.get('authorization'), request.headers.get('x-api-key'))
    this.checkedKeys.set(request, holder)
    return holder
  }

  /** True when the request carries a working API key, or a token of a live session of an approved account. */
  async signedIn(request: Request): Promise<boolean> {
    const key = apiKeyOf(request.headers.get('authorization'), request.headers.get('x-api-key'))
    if (key !== undefined && looksLikeApiKey(key)) {
      try {
        this.requestKey(request)
        return true
      } catch {
        return false
      }
    }
    const token = bearerToken(request.headers.get('authorization')) ?? sessionCookieOf(request.headers.get('cookie'))
    try {
      this.auth.authenticate(await this.sessionId(token))
      return true
    } catch {
      return false
    }
  }
}

/** The signer for session tokens: a JWT over the manager's secret that expires with the session. */
export function sessionSigner(secret: string): TokenSigner {
  const plugin = jwt({ name: 'sessionToken', secret, schema: claims, exp: `${SESSION_TTL_SECONDS}s` })
  return (plugin as unknown as { decorator: { sessionToken: TokenSigner } }).decorator.sessionToken
}

/**
 * Sessions as a plugin: a signed JWT naming a server-side session, carried in an httpOnly cookie
 * or a Bearer header. Routes opt in with `{ auth: true }` or `{ admin: true }` and receive `user`.
 * Gateway routes (`/v1`) opt in with `{ apiKey: true }` and receive `user` and `key`; a session
 * token does not work there, nor an API key on the others.
 */
export function sessionPlugin(auth: AuthService, tokens: SessionTokens, clientAddress?: (request: Request) => string | undefined) {
  return new Elysia({ name: 'session' })
    .derive({ as: 'global' }, ({ cookie, headers, request, server }) => {
      const readSessionId = () => {
        const fromCookie = cookie[SESSION_COOKIE]?.value
        return tokens.sessionId(bearerToken(headers.authorization) ?? (typeof fromCookie === 'string' ? fromCookie : undefined))
      }
      return {
        clientKey: clientAddress?.(request) ?? server?.requestIP(request)?.address ?? 'local',
        readSessionId,
        /** Signs the session into a token, sets the cookie, and returns what login answers. */
        startSession: async ({ user, sessionId }: SignedIn) => {
          const token = await tokens.signer.sign({ sub: String(user.id), sid: sessionId })
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
      // Not about who calls, but every route already takes its options from here: see body-limit.ts.
      bodyLimit: markBodyLimit,
      apiKey: {
        resolve({ request }) {
          const { user, key } = tokens.requestKey(request)
          return { user, key }
        },
      },
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
