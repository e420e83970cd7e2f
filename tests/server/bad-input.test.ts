import { describe, expect, test } from 'bun:test'
import { MAX_JSON_BODY_BYTES } from '../../shared/limits'
import { isErrorEnvelope } from '../../shared/errors'
import { ADMIN, createTestApp } from './helpers'

const oddStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000@example.com',
  '\u202Eevil@example.com',
  'zero\u200Bwidth@example.com',
  '😀😀😀@example.com',
  "' OR 1=1 --",
  "admin@example.com' --",
  '<script>alert(1)</script>@example.com',
  '${process.env.HOME}',
  '../../etc/passwd',
  'x'.repeat(10_000),
]

const badBodies: unknown[] = [
  null,
  [],
  'string',
  42,
  {},
  { email: ADMIN.email },
  { password: ADMIN.password },
  { email: 1, password: 2 },
  { email: ['a'], password: { $ne: '' } },
  { email: { $gt: '' }, password: 'password123' },
  { email: null, password: null },
  { email: true, password: false },
  ...oddStrings.map((email) => ({ email, password: 'password123' })),
  ...oddStrings.map((password) => ({ email: 'someone@example.com', password })),
]

async function expectClientError(response: Response) {
  expect(response.status).toBeGreaterThanOrEqual(400)
  expect(response.status).toBeLessThan(500)
  const body: unknown = await response.json()
  expect(isErrorEnvelope(body)).toBe(true)
}

describe('bad input never reaches a 500', () => {
  for (const path of ['/api/auth/register', '/api/auth/login']) {
    test(`${path} answers every odd body with a 4xx envelope`, async () => {
      const app = createTestApp()
      await app.signUp(ADMIN)
      for (const body of badBodies) {
        const response = await app.call('POST', path, { body })
        // Register may accept odd-but-valid emails; anything else must be a 4xx envelope.
        if (response.status === 201) continue
        await expectClientError(response)
      }
      // No injection changed the admin account.
      const admins = app.db.query<{ email: string }, []>("SELECT email FROM users WHERE is_admin = 1 AND status = 'approved'").all()
      expect(admins).toEqual([{ email: ADMIN.email }])
    })
  }

  test('malformed JSON is a 400 invalid-body', async () => {
    const app = createTestApp()
    for (const rawBody of ['{bad', '{"email": "a@b.co",', '\u0000', '{"email":"a@b.co","password":"x"}}']) {
      const response = await app.call('POST', '/api/auth/register', { rawBody })
      await expectClientError(response)
    }
  })

  test('oversized bodies are refused with 413 before parsing', async () => {
    const app = createTestApp()
    const big = JSON.stringify({ email: 'a@example.com', password: 'p'.repeat(MAX_JSON_BODY_BYTES) })
    const response = await app.call('POST', '/api/auth/register', { rawBody: big })
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: { code: 'payload-too-large' } })
  })

  test('a wrong content type is a 4xx, not a crash', async () => {
    const app = createTestApp()
    const response = await app.call('POST', '/api/auth/login', {
      rawBody: 'email=a@example.com&password=password1',
      headers: { 'content-type': 'text/plain' },
    })
    await expectClientError(response)
  })

  test('unknown API paths and methods are 404 envelopes', async () => {
    const app = createTestApp()
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/api/nope'],
      ['DELETE', '/api/health'],
      ['GET', '/api'],
      ['GET', '/v1/anything'],
    ] as const) {
      const response = await app.call(method, path)
      expect(response.status).toBe(404)
      expect(isErrorEnvelope(await response.json())).toBe(true)
    }
  })

  test('an injection-looking email is stored as text, and changes nothing else', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    const email = "o'brien+test@example.com"
    const response = await app.call('POST', '/api/auth/register', { body: { email, password: 'password123' } })
    expect(response.status).toBe(201)
    expect(app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM users').get()?.n).toBe(2)
  })

  test('a failure inside a handler becomes a 500 envelope without a stack', async () => {
    const logged: unknown[] = []
    const app = createTestApp({ logger: { error: (e: unknown) => logged.push(e) } })
    await app.signUp(ADMIN)
    app.db.close()
    const response = await app.call('POST', '/api/auth/login', { body: ADMIN })
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'internal-error' } })
    expect(text).not.toContain('at ')
    expect(logged).toHaveLength(1)
  })
})

describe('the HTTP edge answers every odd request with a 4xx envelope', () => {
  const routes: [string, string][] = [
    ['POST', '/api/auth/register'],
    ['POST', '/api/auth/login'],
    ['POST', '/api/profiles'],
    ['PATCH', '/api/profiles/1'],
    ['DELETE', '/api/profiles/1'],
    ['POST', '/api/servers/1/start'],
    ['POST', '/api/chat'],
    ['POST', '/api/chat/start'],
    ['POST', '/api/downloads'],
    ['POST', '/api/templates'],
    ['PATCH', '/api/users/1'],
  ]
  const contentTypes = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=z', 'application/xml', 'application/json-seq', '', ';;;', 'application/json; charset=latin-9', 'APPLICATION/JSON']
  const hosts = ['evil.example', 'localhost.evil.example', '0.0.0.0', '[::2]', 'xn--80ak6aa92e.com', '127.0.0.1.evil.example']
  const origins = ['http://evil.example', 'null', 'http://localhost:1', 'not a url', 'file://', 'http://[::1', 'javascript:alert(1)']
  const ids = ['0x1', '01', '1e0', '-1', '0', '1.5', '%31', '1%00', 'NaN', 'Infinity', '9'.repeat(40), '١']

  test('content types, hosts, origins and ids never reach a 5xx', async () => {
    const app = createTestApp()
    const token = (await app.signUp(ADMIN)).token ?? ''
    const cookie = `mlx_session=${token}`
    const statuses = new Set<number>()
    const check = async (response: Response) => {
      statuses.add(response.status)
      expect(response.status).toBeLessThan(500)
      if (response.status >= 400) expect(isErrorEnvelope(await response.json())).toBe(true)
    }
    for (const [method, path] of routes) {
      for (const type of contentTypes) {
        await check(await app.call(method, path, { cookie, rawBody: '{"a":1}', headers: { 'content-type': type, origin: 'http://localhost' } }))
      }
      for (const host of hosts) {
        await check(await app.app.handle(new Request(`http://${host}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': '2' }, body: '{}' })))
      }
      for (const origin of origins) {
        await check(await app.call(method, path, { cookie, body: {}, headers: { origin } }))
      }
    }
    for (const id of ids) {
      for (const path of [`/api/profiles/${id}`, `/api/servers/${id}`, `/api/downloads/${id}`, `/api/servers/${id}/logs`]) {
        await check(await app.call('GET', path, { token }))
      }
    }
    // The sweep did meet each refusal, not only validation errors.
    for (const status of [400, 403, 415, 421]) expect(statuses.has(status)).toBe(true)
  })
})
