import { Elysia } from 'elysia'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { extname, join, normalize, sep } from 'node:path'
import { notFound } from '../../http/errors'

/** Extensions of files the build emits; other dotted paths are routes of the app. */
const ASSET_EXTENSIONS = new Set(['.js', '.mjs', '.css', '.map', '.json', '.webmanifest', '.png', '.svg', '.ico', '.jpg', '.jpeg', '.webp', '.woff', '.woff2', '.txt', '.html'])

/** Files that must be checked on every load so a new version is noticed at once. */
const ALWAYS_REVALIDATE = new Set(['/index.html', '/sw.js', '/manifest.webmanifest', '/registerSW.js'])

export function cacheControlFor(path: string): string {
  if (ALWAYS_REVALIDATE.has(path) || path.startsWith('/workbox-')) return 'no-cache'
  // Vite puts content-hashed files under /assets/: they never change under the same name.
  if (path.startsWith('/assets/')) return 'public, max-age=31536000, immutable'
  return 'public, max-age=3600'
}

/** The path inside `root` a request names, or null when it would leave `root` or names no file. */
export function resolveStaticFile(root: string, urlPath: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0')) return null
  const candidate = normalize(join(root, decoded))
  if (candidate !== root && !candidate.startsWith(root.endsWith(sep) ? root : root + sep)) return null
  return existsSync(candidate) && statSync(candidate).isFile() ? candidate : null
}

function fileResponse(path: string, urlPath: string): Response {
  return new Response(Bun.file(path), { headers: { 'cache-control': cacheControlFor(urlPath) } })
}

/**
 * The app's own page with a fresh nonce: scripts come only from this origin; styles from this
 * origin or carrying the nonce (the page's first-paint style, and naive-ui's run-time styles,
 * which the app tags with the nonce it reads from the page). Model-card images are the one thing
 * from elsewhere, and they load only after a click on the card.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** index.html with the nonce on its inline styles and in a meta tag the app reads at start. */
export function withNonce(html: string, nonce: string): string {
  return html
    .replace(/<style(?=[\s>])/g, `<style nonce="${nonce}"`)
    .replace('<head>', `<head>\n    <meta name="csp-nonce" content="${nonce}" />`)
}

function pageResponse(path: string): Response {
  const nonce = randomBytes(18).toString('base64')
  return new Response(withNonce(readFileSync(path, 'utf8'), nonce), {
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': contentSecurityPolicy(nonce) },
  })
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>MLX Manager</title>
<p>The web app has not been built yet. Run <code>npm start</code> (or <code>bun run build</code>) and reload.</p>`

/**
 * Serves the built PWA: real files with their cache headers, and index.html for any other
 * GET that is not an API path, so deep links into the app work (SPA fallback).
 */
export function webRoutes(root: string) {
  return new Elysia().get('/*', ({ path }) => {
    if (path === '/api' || path.startsWith('/api/') || path.startsWith('/v1/')) {
      throw notFound('not-found', 'There is nothing at this address.')
    }
    const file = resolveStaticFile(root, path)
    if (file !== null && extname(file) === '.html') return pageResponse(file)
    if (file !== null) return fileResponse(file, path === '/' ? '/index.html' : path)
    const index = join(root, 'index.html')
    // A missing asset is a 404; anything else (model names have dots: /catalog/org/Qwen2.5-7B) is an app route.
    if (ASSET_EXTENSIONS.has(extname(path).toLowerCase())) throw notFound('not-found', `No file ${path} in the web app.`)
    if (!existsSync(index)) return new Response(NOT_BUILT, { status: 503, headers: { 'content-type': 'text/html' } })
    return pageResponse(index)
  })
}
