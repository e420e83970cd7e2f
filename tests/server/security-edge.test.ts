import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { loadConfig } from '../../server/config'
import { allowedHostNames, hostAllowed } from '../../server/http/edge'
import { startManager } from '../../server/start'
import type { Profile } from '../../shared/profiles'
import { ADMIN, NO_SAVED_TOKEN, createTestApp, tempDir, type TestApp } from './helpers'

type ErrorBody = { error: { code: string } }
const codeOf = async (response: Response) => ((await response.json()) as ErrorBody).error.code

/** An admin signed in with the cookie a browser holds, as the attacks below need. */
async function withCookie(app: TestApp): Promise<{ cookie: string; token: string }> {
  const token = (await app.signUp(ADMIN)).token ?? ''
  return { cookie: `mlx_session=${token}`, token }
}

const profileBody = { name: 'Planted', model: 'mlx-community/Qwen3-4B-4bit', engine: 'custom', customCommand: 'sh -c "id > /tmp/pwned {port}"' }
const profileCount = (app: TestApp) => app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM profiles').get()?.n

describe('request bodies are JSON, or refused before anything reads them', () => {
  test('form, multipart and text/plain posts with a valid cookie are 415 and change nothing', async () => {
    const app = createTestApp()
    const { cookie } = await withCookie(app)
    const same = { origin: 'http://localhost' }
    const cases: [string, string][] = [
      ['application/x-www-form-urlencoded', 'name=Planted&model=mlx-community%2FQwen3-4B-4bit&engine=custom'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nPlanted\r\n--x--\r\n'],
      ['text/plain', JSON.stringify(profileBody)],
      ['application/json-patch+json', JSON.stringify(profileBody)],
    ]
    for (const [type, rawBody] of cases) {
      const response = await app.call('POST', '/api/profiles', { cookie, rawBody, headers: { ...same, 'content-type': type } })
      expect({ type, status: response.status }).toEqual({ type, status: 415 })
      expect(await codeOf(response)).toBe('unsupported-media-type')
    }
    // A body with no type at all is refused the same way.
    const untyped = await app.app.handle(
      new Request('http://localhost/api/profiles', { method: 'POST', headers: { cookie, ...same, 'content-length': '2' }, body: '{}' }),
    )
    expect(untyped.status).toBe(415)
    expect(profileCount(app)).toBe(0)
    // JSON with a charset is JSON.
    const ok = await app.call('POST', '/api/profiles', { cookie, body: { name: 'Fine', model: 'mlx-community/Qwen3-4B-4bit' }, headers: { ...same, 'content-type': 'application/json; charset=utf-8' } })
    expect(ok.status).toBe(201)
  })
})

describe('cookie-borne changes come only from the manager’s own pages', () => {
  test('a cross-origin JSON post with a valid cookie is 403 and changes nothing; the same origin works', async () => {
    const app = createTestApp()
    const { cookie, token } = await withCookie(app)
    const attempts: Record<string, string>[] = [
      { origin: 'http://127.0.0.1:9999' }, // another port of the same host: same site, other origin
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
      {}, // a cookie but neither header: not a page of ours
    ]
    for (const headers of attempts) {
      const response = await app.call('POST', '/api/profiles', { cookie, body: profileBody, headers })
      expect({ headers, status: response.status }).toEqual({ headers, status: 403 })
      expect(await codeOf(response)).toBe('cross-origin-refused')
    }
    for (const path of ['/api/auth/logout', '/api/users/1']) {
      const method = path === '/api/users/1' ? 'DELETE' : 'POST'
      expect((await app.call(method, path, { cookie, headers: { origin: 'http://evil.example' } })).status).toBe(403)
    }
    expect(profileCount(app)).toBe(0)
    expect((await app.call('GET', '/api/auth/me', { token })).status).toBe(200)
    // Pages of the manager send their own origin (or same-origin) and get through.
    expect((await app.call('POST', '/api/profiles', { cookie, body: { name: 'A', model: 'mlx-community/Qwen3-4B-4bit' }, headers: { origin: 'http://localhost' } })).status).toBe(201)
    expect((await app.call('POST', '/api/profiles', { cookie, body: { name: 'B', model: 'mlx-community/Qwen3-4B-4bit' }, headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(201)
    // Scripts with a Bearer token are not cookie-bound and need no Origin.
    expect((await app.call('POST', '/api/profiles', { token, body: { name: 'C', model: 'mlx-community/Qwen3-4B-4bit' } })).status).toBe(201)
  })

  test('on a fresh install, a page elsewhere cannot register the first account', async () => {
    const app = createTestApp()
    const form = await app.call('POST', '/api/auth/register', { rawBody: 'email=a@example.com&password=password123', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' } })
    expect(form.status).toBe(415)
    const json = await app.call('POST', '/api/auth/register', { body: ADMIN, headers: { origin: 'http://evil.example' } })
    expect(json.status).toBe(403)
    expect(app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM users').get()?.n).toBe(0)
  })
})

describe('the Host header must name this manager', () => {
  test('loopback names pass; others are 421 unless allowed by MLX_MANAGER_ALLOWED_HOSTS', async () => {
    const app = createTestApp()
    for (const host of ['localhost', '127.0.0.1', '127.0.0.2', '[::1]', 'app.localhost']) {
      const response = await app.app.handle(new Request(`http://${host}:8080/api/health`))
      expect({ host, status: response.status }).toEqual({ host, status: 200 })
    }
    for (const host of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.5', 'mac-studio.local']) {
      const response = await app.app.handle(new Request(`http://${host}:8080/api/health`))
      expect({ host, status: response.status }).toEqual({ host, status: 421 })
      expect(await codeOf(response)).toBe('host-not-allowed')
    }
    const home = tempDir()
    const allowing = createTestApp({ config: loadConfig({ MLX_MANAGER_HOME: home, MLX_MANAGER_WEB_DIST: join(home, 'dist'), MLX_MANAGER_ALLOWED_HOSTS: 'Mac-Studio.local, 192.168.1.20', ...NO_SAVED_TOKEN }) })
    expect((await allowing.app.handle(new Request('http://mac-studio.local:8080/api/health'))).status).toBe(200)
    expect((await allowing.app.handle(new Request('http://192.168.1.20:8080/api/health'))).status).toBe(200)
    expect((await allowing.app.handle(new Request('http://evil.example/api/health'))).status).toBe(421)
  })

  test('listening on every interface adds this machine’s own names and addresses, and nothing else', () => {
    const names = allowedHostNames({ host: '0.0.0.0', allowedHosts: [] })
    expect(names.has('localhost')).toBe(true)
    expect(hostAllowed('evil.example', names)).toBe(false)
    const bound = allowedHostNames({ host: '192.168.1.20', allowedHosts: [] })
    expect(hostAllowed('192.168.1.20', bound)).toBe(true)
    expect(hostAllowed('192.168.1.21', bound)).toBe(false)
  })

  test('over a real socket, a rebinding page’s Host is refused (DNS pointed at 127.0.0.1 under another name)', async () => {
    const home = tempDir()
    const manager = startManager({ ...loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), ...NO_SAVED_TOKEN }), port: 0 }, () => undefined)
    stops.push(() => manager.stop())
    const raw = await rawRequest(manager.port, `GET /api/health HTTP/1.1\r\nHost: attacker.example:${manager.port}\r\nConnection: close\r\n\r\n`)
    expect(raw).toStartWith('HTTP/1.1 421')
    expect(raw).toContain('host-not-allowed')
    const fine = await rawRequest(manager.port, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${manager.port}\r\nConnection: close\r\n\r\n`)
    expect(fine).toStartWith('HTTP/1.1 200')
  })
})

describe('ids in paths are plain digits', () => {
  test('hex, octal-looking, exponent, signed and padded ids are 400 and touch nothing', async () => {
    const app = createTestApp()
    const { token } = await withCookie(app)
    const made: Profile[] = []
    for (let i = 0; i < 16; i++) {
      made.push((await app.json<Profile>('POST', '/api/profiles', { token, body: { name: `p${i}`, model: 'mlx-community/Qwen3-4B-4bit', port: 9000 + i } })).body)
    }
    expect(made.at(-1)?.id).toBe(16)
    for (const id of ['0x10', '016', '1e1', '+16', '16.0', '%2016', '0', '-1', '99999999999999999', '16abc']) {
      for (const [method, path] of [['DELETE', `/api/profiles/${id}`], ['GET', `/api/profiles/${id}`], ['POST', `/api/servers/${id}/stop`], ['PATCH', `/api/users/${id}`], ['POST', `/api/downloads/${id}/cancel`]] as const) {
        const response = await app.call(method, path, { token, body: method === 'PATCH' ? { status: 'approved' } : undefined })
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 400 })
      }
    }
    expect(profileCount(app)).toBe(16)
  })
})

describe('security headers', () => {
  test('every response says nosniff and no-referrer, errors and streams included; the page carries a nonce CSP', async () => {
    const app = createTestApp()
    const { token } = await withCookie(app)
    const responses = [
      await app.call('GET', '/api/health'),
      await app.call('GET', '/api/auth/me'),
      await app.call('GET', '/api/nope'),
      await app.call('POST', '/api/auth/login', { rawBody: 'x', headers: { 'content-type': 'text/plain' } }),
      await app.app.handle(new Request('http://evil.example/api/health')),
      await app.call('GET', '/metrics', { token }),
    ]
    for (const response of responses) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    }
    const events = await app.call('GET', '/api/events', { token, signal: AbortSignal.timeout(200) })
    expect(events.headers.get('x-content-type-options')).toBe('nosniff')

    mkdirSync(app.config.webDist, { recursive: true })
    writeFileSync(join(app.config.webDist, 'index.html'), '<!doctype html><html><head><style>html{background:#fff}</style></head><body></body></html>')
    const pages = [await app.call('GET', '/'), await app.call('GET', '/catalog/org/model')]
    const nonces = new Set<string>()
    for (const page of pages) {
      const policy = page.headers.get('content-security-policy') ?? ''
      expect(policy).toContain("default-src 'self'")
      expect(policy).toContain("script-src 'self'")
      expect(policy).toContain("frame-ancestors 'none'")
      expect(policy).not.toContain('unsafe-inline')
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1] ?? ''
      const html = await page.text()
      // The page's own inline style and the meta tag the app reads carry the same nonce as the header.
      expect(html).toContain(`<style nonce="${nonce}">`)
      expect(html).toContain(`<meta name="csp-nonce" content="${nonce}" />`)
      nonces.add(nonce)
    }
    expect(nonces.size).toBe(2)
  })
})

describe('authentication comes before the body is read', () => {
  test('an anonymous body to an authenticated route is 401 and is never parsed', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    // Not JSON at all: parsing it would be a 400, so a 401 shows it was never read.
    for (const path of ['/api/chat', '/api/profiles', '/api/downloads', '/api/templates']) {
      const response = await app.call('POST', path, { rawBody: '{not json', headers: { 'content-type': 'application/json' } })
      expect({ path, status: response.status }).toEqual({ path, status: 401 })
    }
  })

  test('over a real socket, an anonymous 32 MiB chat body is answered 401 without the manager growing by 16 MiB', async () => {
    const home = tempDir()
    const manager = startManager({ ...loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), ...NO_SAVED_TOKEN }), port: 0 }, () => undefined)
    stops.push(() => manager.stop())
    const body = new Uint8Array(32 * 1024 * 1024 - 4096).fill(0x20)
    body.set(new TextEncoder().encode('{"profileId":1,"messages":[{"role":"user","content":"'), 0)
    Bun.gc(true)
    const before = process.memoryUsage().rss
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`http://127.0.0.1:${manager.port}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      expect(response.status).toBe(401)
      await response.body?.cancel()
    }
    Bun.gc(true)
    // The client's own copy of the body lives in this process too; it was made before `before`.
    expect(process.memoryUsage().rss - before).toBeLessThan(16 * 1024 * 1024)
  })
})

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

/** Sends bytes exactly as written (fetch would set Host itself) and returns the raw answer. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk.toString()))
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
    socket.setTimeout(5000, () => {
      socket.destroy()
      resolve(answer)
    })
  })
}
