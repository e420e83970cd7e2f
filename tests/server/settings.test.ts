import { afterEach, describe, expect, test } from 'bun:test'
import { launchEnv } from '../../server/features/servers/launch-env'
import type { ProcessHost } from '../../server/features/servers/process-host'
import { systemProcessHost } from '../../server/features/servers/process-host'
import type { ErrorEnvelope } from '../../shared/errors'
import { PROFILE_DEFAULTS, type Profile } from '../../shared/profiles'
import type { AdminSettings, HubTokenState, ProfileDefaults } from '../../shared/settings'
import { servingApp, type ServingApp } from '../fixtures/engine/harness'
import { ADMIN, createTestApp, tempDir } from './helpers'

const MEMBER = { email: 'member@example.com', password: 'member-password' }

/** An admin and an approved member, each signed in. */
async function twoUsers(overrides: Parameters<typeof createTestApp>[0] = {}) {
  const app = createTestApp(overrides)
  const { adminToken, pending } = await (async () => {
    const admin = await app.signUp(ADMIN)
    const member = await app.signUp(MEMBER)
    return { adminToken: admin.token ?? '', pending: member.user }
  })()
  await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
  const memberToken = await app.signIn(MEMBER)
  return { app, adminToken, memberToken }
}

describe('changing your own password', () => {
  test('needs the current password; then the new one signs in, the old does not, and other sessions end but this one', async () => {
    const { app, memberToken } = await twoUsers()
    const otherDevice = await app.signIn(MEMBER)
    const wrong = await app.json<ErrorEnvelope>('POST', '/api/settings/password', { token: memberToken, body: { currentPassword: 'not-it-at-all', newPassword: 'a brand new password' } })
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.code).toBe('wrong-password')
    expect((await app.json('GET', '/api/auth/me', { token: otherDevice })).status).toBe(200)

    const changed = await app.json<{ otherSessionsEnded: number }>('POST', '/api/settings/password', {
      token: memberToken,
      body: { currentPassword: MEMBER.password, newPassword: 'a brand new password' },
    })
    expect(changed.status).toBe(200)
    expect(changed.body.otherSessionsEnded).toBe(1)
    expect((await app.json('GET', '/api/auth/me', { token: memberToken })).status).toBe(200)
    expect((await app.json('GET', '/api/auth/me', { token: otherDevice })).status).toBe(401)
    expect((await app.json('POST', '/api/auth/login', { body: MEMBER })).status).toBe(401)
    expect((await app.json('POST', '/api/auth/login', { body: { email: MEMBER.email, password: 'a brand new password' } })).status).toBe(200)
  })

  test.each([
    [{ currentPassword: MEMBER.password, newPassword: 'short' }, 'invalid-password'],
    [{ currentPassword: MEMBER.password, newPassword: MEMBER.password }, 'password-unchanged'],
    [{ currentPassword: MEMBER.password }, 'invalid-input'],
    [{ currentPassword: 3, newPassword: 'a brand new password' }, 'invalid-input'],
  ])('%p is refused as %s, and the password stays', async (body, code) => {
    const { app, memberToken } = await twoUsers()
    const refused = await app.json<ErrorEnvelope>('POST', '/api/settings/password', { token: memberToken, body })
    expect(refused.status).toBe(400)
    expect(refused.body.error.code).toBe(code)
    expect((await app.json('POST', '/api/auth/login', { body: MEMBER })).status).toBe(200)
  })

  test('needs a session; guessing the current password is slowed like sign-in', async () => {
    const { app, memberToken } = await twoUsers()
    expect((await app.json('POST', '/api/settings/password', { body: { currentPassword: 'x', newPassword: 'a brand new password' } })).status).toBe(401)
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      statuses.push((await app.json('POST', '/api/settings/password', { token: memberToken, body: { currentPassword: `guess-${i}-guess`, newPassword: 'a brand new password' } })).status)
    }
    expect(statuses).toContain(429)
  })
})

describe('admin settings', () => {
  test('members get 403 on every admin setting, and anonymous callers 401', async () => {
    const { app, memberToken } = await twoUsers()
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/settings'],
      ['PUT', '/api/settings/hf-token', { token: 'hf_member_should_not_set_this' }],
      ['DELETE', '/api/settings/hf-token'],
      ['PATCH', '/api/settings/profile-defaults', { engine: 'custom' }],
    ]
    for (const [method, path, body] of calls) {
      const asMember = await app.json<ErrorEnvelope>(method, path, { token: memberToken, body })
      expect([method, path, asMember.status, asMember.body.error.code]).toEqual([method, path, 403, 'admin-only'])
      expect((await app.json(method, path, { body })).status).toBe(401)
    }
  })

  test('the token is stored, shown only by its last 4 characters, and removing it falls back to HF_TOKEN', async () => {
    const home = tempDir()
    const { loadConfig } = await import('../../server/config')
    const config = loadConfig({ MLX_MANAGER_HOME: home, HF_TOKEN: 'hf_from_the_environment_9876', HF_TOKEN_PATH: `${home}/none` })
    const { app, adminToken } = await twoUsers({ config })
    const read = async () => (await app.json<AdminSettings>('GET', '/api/settings', { token: adminToken })).body
    expect((await read()).hfToken).toEqual({ set: true, lastFour: '9876', source: 'environment' })

    const secret = 'hf_abcdefghijklmnopqrstuvwxyz_5678'
    const set = await app.json<HubTokenState>('PUT', '/api/settings/hf-token', { token: adminToken, body: { token: `  ${secret} ` } })
    expect(set.body).toEqual({ set: true, lastFour: '5678', source: 'settings' })
    const settings = await app.json('GET', '/api/settings', { token: adminToken })
    expect(JSON.stringify(settings.body)).not.toContain('abcdefghijklmnop')
    expect(app.db.query<{ value: string }, []>("SELECT value FROM settings WHERE key = 'hf_token'").get()?.value).toBe(secret)

    const removed = await app.json<HubTokenState>('DELETE', '/api/settings/hf-token', { token: adminToken })
    expect(removed.body).toEqual({ set: true, lastFour: '9876', source: 'environment' })
    expect(app.db.query("SELECT value FROM settings WHERE key = 'hf_token'").get()).toBeNull()
  })

  test.each(['', '   ', 'two words', 'x'.repeat(513), 'tab\there'])('the token %p is refused with a sentence', async (token) => {
    const { app, adminToken } = await twoUsers()
    const refused = await app.json<ErrorEnvelope>('PUT', '/api/settings/hf-token', { token: adminToken, body: { token } })
    expect(refused.status).toBe(400)
    expect(refused.body.error.message.length).toBeGreaterThan(10)
    expect((await app.json<AdminSettings>('GET', '/api/settings', { token: adminToken })).body.hfToken.set).toBe(false)
  })

  test('the cache folder and the free space on its disk', async () => {
    const { app, adminToken } = await twoUsers()
    const { cache, hubEndpoint } = (await app.json<AdminSettings>('GET', '/api/settings', { token: adminToken })).body
    expect(cache.path).toBe(app.config.hfHubCache)
    expect(cache.freeBytes).toBeGreaterThan(0)
    expect(cache.totalBytes).toBeGreaterThanOrEqual(cache.freeBytes ?? 0)
    expect(hubEndpoint).toBe(app.config.hfEndpoint)
  })

  test('profile defaults: checked, kept, and given to a profile created without an engine or idle time', async () => {
    const { app, adminToken } = await twoUsers()
    const read = async () => (await app.json<AdminSettings>('GET', '/api/settings', { token: adminToken })).body.profileDefaults
    expect(await read()).toEqual({ engine: PROFILE_DEFAULTS.engine, idleTimeoutMinutes: null })
    for (const body of [{ engine: 'llama.cpp' }, { idleTimeoutMinutes: 0 }, { idleTimeoutMinutes: 1.5 }, { idleTimeoutMinutes: 7 * 24 * 60 + 1 }, {}]) {
      const refused = await app.json<ErrorEnvelope>('PATCH', '/api/settings/profile-defaults', { token: adminToken, body })
      expect([JSON.stringify(body), refused.status]).toEqual([JSON.stringify(body), 400])
    }
    const saved = await app.json<ProfileDefaults>('PATCH', '/api/settings/profile-defaults', { token: adminToken, body: { engine: 'mlx_lm.server', idleTimeoutMinutes: 30 } })
    expect(saved.body).toEqual({ engine: 'mlx_lm.server', idleTimeoutMinutes: 30 })
    expect(await read()).toEqual({ engine: 'mlx_lm.server', idleTimeoutMinutes: 30 })

    const made = await app.json<Profile>('POST', '/api/profiles', { token: adminToken, body: { name: 'Plain', model: 'mlx-community/Qwen3-4B-4bit', port: 18_123 } })
    expect(made.status).toBe(201)
    expect(made.body).toMatchObject({ engine: 'mlx_lm.server', idleTimeoutMinutes: 30 })
    const chosen = await app.json<Profile>('POST', '/api/profiles', {
      token: adminToken,
      body: { name: 'Chosen', model: 'mlx-community/Qwen3-4B-4bit', port: 18_124, engine: 'mlx-openai-server', idleTimeoutMinutes: null },
    })
    expect(chosen.body).toMatchObject({ engine: 'mlx-openai-server', idleTimeoutMinutes: null })

    expect((await app.json<ProfileDefaults>('PATCH', '/api/settings/profile-defaults', { token: adminToken, body: { idleTimeoutMinutes: null } })).body).toEqual({
      engine: 'mlx_lm.server',
      idleTimeoutMinutes: null,
    })
  })
})

describe('engines get the token of the moment', () => {
  let serving: ServingApp | null = null
  afterEach(async () => {
    await serving?.close()
    serving = null
  })

  test('launchEnv adds HF_TOKEN as it is at each start', () => {
    let token: string | null = 'first-token-1111'
    const env = launchEnv({ hfHubCache: tempDir(), which: () => '/usr/bin/g++', hfToken: () => token })
    const profile = { ...PROFILE_DEFAULTS, id: 1, name: 'P', model: 'o/n', port: 8001, extraArgs: [], createdAt: '', updatedAt: '' } satisfies Profile
    expect(env(profile).HF_TOKEN).toBe('first-token-1111')
    token = null
    expect(env(profile).HF_TOKEN).toBeUndefined()
  })

  test('a token set in Settings reaches the next engine start without restarting the manager', async () => {
    const envs: Record<string, string | undefined>[] = []
    const processes: ProcessHost = {
      ...systemProcessHost,
      spawn: (argv, options) => {
        envs.push(options.env)
        return systemProcessHost.spawn(argv, options)
      },
    }
    serving = await servingApp({ processes })
    const s = serving
    const profile = await s.profile({ name: 'Qwen', model: 'mlx-community/Qwen3-4B-4bit' })
    expect((await s.start(profile.id)).body).toMatchObject({ state: 'ready' })
    expect(envs.at(-1)?.HF_TOKEN).toBeUndefined()
    await s.stop(profile.id)

    await s.app.json('PUT', '/api/settings/hf-token', { token: s.token, body: { token: 'org_engine_token_4321' } })
    expect((await s.start(profile.id)).body).toMatchObject({ state: 'ready' })
    expect(envs.at(-1)?.HF_TOKEN).toBe('org_engine_token_4321')
    await s.stop(profile.id)

    await s.app.json('DELETE', '/api/settings/hf-token', { token: s.token })
    expect((await s.start(profile.id)).body).toMatchObject({ state: 'ready' })
    expect(envs.at(-1)?.HF_TOKEN).toBeUndefined()
  })
})
