import { afterEach, describe, expect, test } from 'bun:test'
import type { ApiKey, CreatedApiKey } from '../../shared/keys'
import { servingApp } from '../fixtures/engine/harness'

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

const MEMBER = { email: 'member@example.com', password: 'member-password' }

interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string }
}

/** An admin with a shared and a hidden profile, and an approved member. */
async function setUp(now?: () => Date) {
  const s = await servingApp()
  cleanups.push(() => s.close())
  // The key service's clock, for expiry (the harness builds the app without one).
  if (now !== undefined) Object.assign(s.app.keys, { now })
  const shared = await s.profile({ name: 'Shared', model: 'standin/400tps', availableToMembers: true })
  const hidden = await s.profile({ name: 'Hidden', model: 'standin/400tps' })
  const registered = await s.app.signUp(MEMBER)
  await s.app.json('PATCH', `/api/users/${registered.user.id}`, { token: s.token, body: { status: 'approved' } })
  const memberToken = await s.app.signIn(MEMBER)
  const createKey = async (token: string, body: Record<string, unknown>) => s.app.json<CreatedApiKey>('POST', '/api/keys', { token, body })
  /** GET /v1/models with an API key, as an OpenAI client sends it. */
  const models = (key: string, header: 'authorization' | 'x-api-key' = 'authorization') =>
    s.app.json<{ object: string; data: { id: string; loaded: boolean; state: string }[] } & Partial<OpenAiError>>('GET', '/v1/models', {
      headers: header === 'authorization' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key },
    })
  return { s, shared, hidden, member: registered.user, memberToken, createKey, models }
}

describe('API keys: create, list, revoke', () => {
  test('a key is shown once, stored hashed, listed with its prefix and settings', async () => {
    const { s, shared, createKey } = await setUp()
    const created = await createKey(s.token, { name: 'editor', profiles: [shared.id], dailyTokenLimit: 50_000, expiresAt: '2999-01-01T00:00:00Z' })
    expect(created.status).toBe(201)
    expect(created.body.key).toMatch(/^mlxm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true)
    expect(created.body).toMatchObject({ name: 'editor', profiles: [shared.id], dailyTokenLimit: 50_000, expiresAt: '2999-01-01T00:00:00.000Z', lastUsedAt: null })
    const listed = await s.app.json<ApiKey[]>('GET', '/api/keys', { token: s.token })
    expect(listed.body).toHaveLength(1)
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key.slice(created.body.prefix.length + 1))
    expect(listed.body[0]).not.toHaveProperty('key')
    const stored = s.app.db.query<{ secret_hash: string }, []>('SELECT secret_hash FROM api_keys').all()
    expect(JSON.stringify(stored)).not.toContain(created.body.key.split('_')[2] ?? 'missing')
  })

  test('members see their own keys; admins see everyone’s with ?all=true, with the owner’s email', async () => {
    const { s, memberToken, createKey } = await setUp()
    await createKey(s.token, { name: 'admin key' })
    await createKey(memberToken, { name: 'member key' })
    const own = await s.app.json<ApiKey[]>('GET', '/api/keys', { token: memberToken })
    expect(own.body.map((key) => key.name)).toEqual(['member key'])
    expect((await s.app.json('GET', '/api/keys?all=true', { token: memberToken })).status).toBe(403)
    const all = await s.app.json<ApiKey[]>('GET', '/api/keys?all=true', { token: s.token })
    expect(all.body.map((key) => [key.name, key.ownerEmail])).toEqual([
      ['member key', MEMBER.email],
      ['admin key', 'admin@example.com'],
    ])
  })

  test('revoking: own keys, any for admins; someone else’s reads as missing; a revoked key stops at once', async () => {
    const { s, memberToken, createKey, models } = await setUp()
    const adminKey = (await createKey(s.token, { name: 'admin key' })).body
    const memberKey = (await createKey(memberToken, { name: 'member key' })).body
    expect((await models(memberKey.key)).status).toBe(200)
    const other = await s.app.json<{ error: { code: string } }>('DELETE', `/api/keys/${adminKey.id}`, { token: memberToken })
    expect([other.status, other.body.error.code]).toEqual([404, 'api-key-not-found'])
    expect((await s.app.call('DELETE', `/api/keys/${memberKey.id}`, { token: s.token })).status).toBe(204)
    const refused = await models(memberKey.key)
    expect(refused.status).toBe(401)
    expect(refused.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key', param: null })
    expect((await s.app.call('DELETE', '/api/keys/0x10', { token: s.token })).status).toBe(400)
  })

  test('a member may list only profiles shared with them; bad input is a 400 in the envelope', async () => {
    const { hidden, memberToken, createKey } = await setUp()
    const refused = await createKey(memberToken, { name: 'sneaky', profiles: [hidden.id] })
    expect(refused.status).toBe(400)
    expect((refused.body as unknown as { error: { code: string } }).error.code).toBe('invalid-key-profiles')
    for (const body of [{ name: '' }, { name: 'x', expiresAt: 'tomorrow' }, { name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, { name: 'x', profiles: [] }, { name: 'x', dailyTokenLimit: 1.5 }, {}]) {
      const response = await createKey(memberToken, body)
      expect(response.status).toBe(400)
      expect(response.body).toHaveProperty('error.code')
    }
  })

  test('an API key is not a session: it cannot reach /api routes', async () => {
    const { s, createKey } = await setUp()
    const { key } = (await createKey(s.token, { name: 'k' })).body
    expect((await s.app.call('GET', '/api/keys', { token: key })).status).toBe(401)
    expect((await s.app.call('POST', '/api/keys', { token: key, body: { name: 'again' } })).status).toBe(401)
  })
})

describe('API keys are refused with 401 in OpenAI’s shape', () => {
  test('a made-up key, a session token, no key', async () => {
    const { s, models } = await setUp()
    for (const key of ['mlxm_000000000000_' + 'A'.repeat(43), 'sk-not-ours', s.token]) {
      const response = await models(key)
      expect(response.status).toBe(401)
      expect(response.body.error?.code).toBe('invalid_api_key')
    }
    const none = await s.app.json<OpenAiError>('GET', '/v1/models')
    expect([none.status, none.body.error.code]).toEqual([401, 'invalid_api_key'])
  })

  test('a key with the right public part and a wrong secret is refused, also right after the real key worked', async () => {
    const { s, createKey, models } = await setUp()
    const { key } = (await createKey(s.token, { name: 'real' })).body
    const secret = key.split('_')[2] ?? ''
    const forged = `${key.slice(0, key.length - secret.length)}${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`
    expect((await models(forged)).status).toBe(401)
    expect((await models(key)).status).toBe(200)
    expect((await models(forged)).status).toBe(401)
    expect((await models(key)).status).toBe(200)
  })

  test('a key works as x-api-key too, and its last use is noted', async () => {
    const { s, createKey, models } = await setUp()
    const created = (await createKey(s.token, { name: 'anthropic' })).body
    expect((await models(created.key, 'x-api-key')).status).toBe(200)
    const [listed] = (await s.app.json<ApiKey[]>('GET', '/api/keys', { token: s.token })).body
    expect(listed?.lastUsedAt).not.toBeNull()
  })

  test('its last use reaches the database by itself shortly after, without a list asking for it', async () => {
    const { s, createKey, models } = await setUp()
    const { id, key } = (await createKey(s.token, { name: 'quiet' })).body
    expect((await models(key)).status).toBe(200)
    const stored = () => s.app.db.query<{ last_used_at: string | null }, [number]>('SELECT last_used_at FROM api_keys WHERE id = ?').get(id)?.last_used_at ?? null
    for (let tries = 0; stored() === null && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(stored()).not.toBeNull()
  })

  test('its last use is written at most once a second, and the next use after that moves it', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z')
    const { s, createKey, models } = await setUp(() => now)
    const { key } = (await createKey(s.token, { name: 'busy' })).body
    const lastUsed = async () => (await s.app.json<ApiKey[]>('GET', '/api/keys', { token: s.token })).body[0]?.lastUsedAt
    expect((await models(key)).status).toBe(200)
    expect(await lastUsed()).toBe('2030-01-01T00:00:00.000Z')
    now = new Date('2030-01-01T00:00:00.900Z')
    expect((await models(key)).status).toBe(200)
    expect(await lastUsed()).toBe('2030-01-01T00:00:00.000Z')
    now = new Date('2030-01-01T00:00:01.000Z')
    expect((await models(key)).status).toBe(200)
    expect(await lastUsed()).toBe('2030-01-01T00:00:01.000Z')
  })

  test('an expired key', async () => {
    let now = new Date('2030-01-01T00:00:00Z')
    const { s, createKey, models } = await setUp(() => now)
    const { key } = (await createKey(s.token, { name: 'short', expiresAt: '2030-01-02T00:00:00Z' })).body
    expect((await models(key)).status).toBe(200)
    now = new Date('2030-01-03T00:00:00Z')
    const expired = await models(key)
    expect(expired.status).toBe(401)
    expect(expired.body.error?.message).toContain('expired')
  })

  test('a disabled user’s key, and a deleted user’s', async () => {
    const { s, member, memberToken, createKey, models } = await setUp()
    const { key } = (await createKey(memberToken, { name: 'm' })).body
    expect((await models(key)).status).toBe(200)
    await s.app.json('PATCH', `/api/users/${member.id}`, { token: s.token, body: { status: 'disabled' } })
    expect((await models(key)).status).toBe(401)
    await s.app.json('PATCH', `/api/users/${member.id}`, { token: s.token, body: { status: 'approved' } })
    expect((await models(key)).status).toBe(200)
    await s.app.call('DELETE', `/api/users/${member.id}`, { token: s.token })
    const gone = await models(key)
    expect([gone.status, gone.body.error?.code]).toEqual([401, 'invalid_api_key'])
  })
})

describe('GET /v1/models', () => {
  test('every profile the key may use, by name, with whether it is loaded', async () => {
    const { s, shared, hidden, memberToken, createKey, models } = await setUp()
    await s.start(shared.id)
    const adminAll = (await createKey(s.token, { name: 'all' })).body.key
    const adminOne = (await createKey(s.token, { name: 'one', profiles: [hidden.id] })).body.key
    const memberAll = (await createKey(memberToken, { name: 'm' })).body.key
    const list = await models(adminAll)
    expect(list.body.object).toBe('list')
    expect(list.body.data.map((model) => [model.id, model.loaded, model.state])).toEqual([
      ['Hidden', false, 'stopped'],
      ['Shared', true, 'ready'],
    ])
    expect(list.body.data[1]).toMatchObject({ object: 'model', owned_by: 'mlx-manager', model: 'standin/400tps' })
    expect((await models(adminOne)).body.data.map((model) => model.id)).toEqual(['Hidden'])
    expect((await models(memberAll)).body.data.map((model) => model.id)).toEqual(['Shared'])
  })

  test('unknown /v1 addresses answer 404 in OpenAI’s shape', async () => {
    const { s, createKey } = await setUp()
    const { key } = (await createKey(s.token, { name: 'k' })).body
    const response = await s.app.json<OpenAiError>('GET', '/v1/nothing-here', { token: key })
    expect(response.status).toBe(404)
    expect(response.body.error).toMatchObject({ type: 'not_found_error', param: null })
  })
})
