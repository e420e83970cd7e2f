import type { ChatRequestRecord } from '../../server/features/metrics/repository'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import { createTestApp, type TestApp } from './helpers'

export const MEMBER = { email: 'member@example.com', password: 'member-password' }
export const OTHER = { email: 'other@example.com', password: 'other-password' }

export function request(over: Partial<ChatRequestRecord> & Pick<ChatRequestRecord, 'profileId' | 'startedAt'>): ChatRequestRecord {
  return {
    model: 'mlx-community/test',
    userId: 1,
    keyId: null,
    endpoint: 'chat',
    status: 200,
    timeToFirstTokenMs: 100,
    promptTokens: 10,
    cachedTokens: null,
    completionTokens: 20,
    tokensPerSecond: 50,
    totalMs: 500,
    errorCode: null,
    errorMessage: null,
    ...over,
  }
}

/**
 * An app on a clock the test moves, with an admin, two approved members, two profiles (Alpha shared
 * with members, Beta not) and an API key each for the admin and the first member.
 */
export async function observedApp(startAt: string, overrides: Parameters<typeof createTestApp>[0] = {}) {
  let clock = Date.parse(startAt)
  const app: TestApp = createTestApp({ now: () => new Date(clock), ...overrides })
  const admin = await app.signUp({ email: 'admin@example.com', password: 'correct horse battery' })
  const adminToken = admin.token ?? ''
  const approve = async (credentials: { email: string; password: string }) => {
    const registered = await app.signUp(credentials)
    await app.json('PATCH', `/api/users/${registered.user.id}`, { token: adminToken, body: { status: 'approved' } })
    return { user: registered.user, token: await app.signIn(credentials) }
  }
  const member = await approve(MEMBER)
  const other = await approve(OTHER)
  const profile = async (body: Record<string, unknown>) => {
    const response = await app.json<Profile>('POST', '/api/profiles', { token: adminToken, body: { engine: 'mlx_lm.server', ...body } })
    if (response.status !== 201) throw new Error(`creating a profile failed: ${JSON.stringify(response.body)}`)
    return response.body
  }
  const alpha = await profile({ name: 'Alpha', model: 'mlx-community/alpha', port: 18_101, availableToMembers: true })
  const beta = await profile({ name: 'Beta', model: 'mlx-community/beta', port: 18_102 })
  const key = async (token: string, name: string) => (await app.json<CreatedApiKey>('POST', '/api/keys', { token, body: { name } })).body
  const adminKey = await key(adminToken, 'ci')
  const memberKey = await key(member.token, 'laptop')
  return {
    app,
    adminToken,
    admin: admin.user,
    member,
    other,
    alpha,
    beta,
    adminKey,
    memberKey,
    setNow: (iso: string) => {
      clock = Date.parse(iso)
    },
  }
}

export type ObservedApp = Awaited<ReturnType<typeof observedApp>>
