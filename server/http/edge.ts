import { hostname as machineName, networkInterfaces } from 'node:os'
import { Elysia } from 'elysia'
import type { Config } from '../config'
import { bodyTooLarge, type BodyLimitTable } from './body-limit'
import { AppError, forbidden, unauthorized } from './errors'

/** Routes that take a body from someone not signed in yet; every other body waits for a signed-in caller. */
const ANONYMOUS_BODY_ROUTES = new Set(['POST /api/auth/register', 'POST /api/auth/login', 'POST /api/auth/logout'])

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]'])

/** How an address is written in a URL's host: IPv6 in brackets, names in lower case. */
function urlHostName(host: string): string {
  const lower = host.toLowerCase()
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower
}

/**
 * The names this manager answers to. A browser sends the name it looked up in `Host`, so a page on
 * an attacker's domain that re-points its DNS at 127.0.0.1 (DNS rebinding) still says the attacker's
 * name and is refused. Loopback always; the bound address; MLX_MANAGER_ALLOWED_HOSTS; and when it
 * listens on every interface, this machine's own addresses and name.
 */
export function allowedHostNames(config: Pick<Config, 'host' | 'allowedHosts'>): Set<string> {
  const names = new Set(['localhost', '[::1]', ...config.allowedHosts.map(urlHostName)])
  if (WILDCARD_HOSTS.has(config.host)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(urlHostName(address.address.replace(/%.*$/, '')))
    }
    const name = machineName().toLowerCase()
    names.add(name)
    if (!name.endsWith('.local')) names.add(`${name}.local`)
  } else {
    names.add(urlHostName(config.host))
  }
  return names
}

export function hostAllowed(name: string, allowed: Set<string>): boolean {
  return allowed.has(name) || name.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase()
}

/**
 * True when a state-changing request may act with the caller's cookie: it comes from a page of this
 * manager. Browsers send Origin on every such request (Sec-Fetch-Site where they do not), so a
 * request carrying neither is not a page's; it may still be a script's with a Bearer token.
 */
function sameOrigin(request: Request, url: URL): 'yes' | 'no' | 'unknown' {
  const origin = request.headers.get('origin')
  if (origin !== null && origin !== 'null') {
    try {
      return new URL(origin).host === url.host ? 'yes' : 'no'
    } catch {
      return 'no'
    }
  }
  if (origin === 'null') return 'no'
  const site = request.headers.get('sec-fetch-site')
  if (site !== null) return site === 'same-origin' ? 'yes' : 'no'
  return 'unknown'
}

export interface EdgeDeps {
  config: Pick<Config, 'host' | 'allowedHosts'>
  /** Whether the request carries the token of a live session of an approved account. */
  signedIn: (request: Request) => Promise<boolean>
  /** The larger bodies routes declared with the `bodyLimit` option (read once the routes exist). */
  bodyLimits: () => BodyLimitTable
}

/**
 * Every request passes here before any route sees it, in this order: the security headers, the
 * Host check (421), the body's declared size (413/411), its media type (415), the origin of a
 * cookie-borne state change (403), and a signed-in caller for any body not meant for sign-in (401).
 * Nothing of the body is read by then.
 */
export function httpEdge(deps: EdgeDeps) {
  const allowed = allowedHostNames(deps.config)
  return new Elysia({ name: 'http-edge' }).onRequest(async ({ request, set }) => {
    Object.assign(set.headers, SECURITY_HEADERS)
    const url = new URL(request.url)
    if (!hostAllowed(url.hostname.toLowerCase(), allowed)) {
      throw new AppError(
        421,
        'host-not-allowed',
        `This manager does not answer to the name "${url.hostname}". If you reach it by that name on purpose, add it to MLX_MANAGER_ALLOWED_HOSTS (a comma list) and restart.`,
      )
    }
    const declared = request.headers.get('content-length')
    if (declared === null && request.headers.get('transfer-encoding') !== null) {
      throw new AppError(411, 'length-required', 'Send the request body with a Content-Length header.')
    }
    const length = declared === null ? 0 : Number(declared)
    const tooLarge = bodyTooLarge(deps.bodyLimits(), request.method, request.url, length)
    if (tooLarge !== null) throw tooLarge
    if (!STATE_CHANGING.has(request.method)) return
    const contentType = request.headers.get('content-type')
    if ((contentType !== null || length > 0) && mediaType(contentType ?? '') !== 'application/json') {
      throw new AppError(415, 'unsupported-media-type', 'Send the request body as JSON, with Content-Type: application/json.')
    }
    // A Bearer token or an API key in x-api-key is sent by a script, never by a browser on its own.
    const bearer = /^Bearer\s/i.test(request.headers.get('authorization') ?? '') || request.headers.has('x-api-key')
    if (!bearer) {
      const origin = sameOrigin(request, url)
      const cookieBound = (request.headers.get('cookie') ?? '') !== ''
      if (origin === 'no' || (origin === 'unknown' && cookieBound)) {
        throw forbidden('cross-origin-refused', 'This request did not come from a page of this manager, so it was refused. Use the manager\'s own page, or send an Authorization header from scripts.')
      }
    }
    if (length > 0 && !ANONYMOUS_BODY_ROUTES.has(`${request.method} ${url.pathname}`) && !(await deps.signedIn(request))) {
      throw unauthorized()
    }
  })
}
