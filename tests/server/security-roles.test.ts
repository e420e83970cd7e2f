import { afterEach, describe, expect, test } from 'bun:test'
import type { Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { eventually, servingApp } from '../fixtures/engine/harness'
import { sseReader, type SseEvent } from './helpers'

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

const MEMBER = { email: 'member@example.com', password: 'member-password' }

/** An admin with two profiles (one shared with members, one not) and an approved member. */
async function setUp() {
  const s = await servingApp()
  cleanups.push(() => s.close())
  const shared = await s.profile({ name: 'Shared', model: 'standin/400tps', availableToMembers: true, extraArgs: ['--log-file', '/private/admin-notes.log'] })
  const hidden = await s.profile({ name: 'Hidden', model: 'standin/400tps' })
  const registered = await s.app.signUp(MEMBER)
  await s.app.json('PATCH', `/api/users/${registered.user.id}`, { token: s.token, body: { status: 'approved' } })
  const memberToken = await s.app.signIn(MEMBER)
  return { s, shared, hidden, member: registered.user, memberToken }
}

const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code

/** Every admin job a member might try, with a body where the route takes one. */
function adminJobs(profile: Profile): [string, string, unknown?][] {
  return [
    ['POST', '/api/profiles', { name: 'Mine', model: 'standin/400tps', engine: 'custom', customCommand: 'sh -c "id > /tmp/pwned"' }],
    ['PATCH', `/api/profiles/${profile.id}`, { customCommand: 'sh -c id', engine: 'custom' }],
    ['PATCH', `/api/profiles/${profile.id}`, { host: '0.0.0.0' }],
    ['DELETE', `/api/profiles/${profile.id}`],
    ['POST', `/api/profiles/${profile.id}/duplicate`, {}],
    ['GET', '/api/profiles/suggest-port'],
    ['POST', `/api/servers/${profile.id}/start`],
    ['POST', `/api/servers/${profile.id}/stop`],
    ['POST', `/api/servers/${profile.id}/restart`],
    ['GET', `/api/servers/${profile.id}/logs`],
    ['GET', '/api/engines'],
    ['POST', '/api/engines/mlx_lm.server/install'],
    ['DELETE', '/api/engines/mlx_lm.server'],
    ['POST', '/api/benchmarks', { profileId: profile.id }],
    ['POST', '/api/downloads', { modelId: 'mlx-community/Qwen3-4B-4bit' }],
    ['POST', '/api/downloads/1/pause'],
    ['POST', '/api/downloads/1/resume'],
    ['POST', '/api/downloads/1/cancel'],
    ['DELETE', '/api/downloads/1'],
    ['DELETE', '/api/downloads'],
    ['DELETE', '/api/models/mlx-community/Qwen3-4B-4bit'],
    ['GET', '/api/users'],
    ['PATCH', '/api/users/1', { isAdmin: false }],
    ['GET', '/api/templates'],
    ['POST', '/api/templates', { name: 'x.jinja', content: '{{ messages }}' }],
    ['GET', '/metrics'],
  ]
}

describe('a member cannot do an admin’s job', () => {
  test('every admin route answers 403 admin-only and changes nothing', async () => {
    const { s, shared, memberToken } = await setUp()
    const before = JSON.stringify((await s.app.json<Profile[]>('GET', '/api/profiles', { token: s.token })).body)
    for (const [method, path, body] of adminJobs(shared)) {
      const response = await s.app.call(method, path, { token: memberToken, body })
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 })
      expect(await codeOf(response)).toBe('admin-only')
    }
    expect(JSON.stringify((await s.app.json<Profile[]>('GET', '/api/profiles', { token: s.token })).body)).toBe(before)
    expect((await s.status(shared.id)).state).toBe('stopped')
  })

  test('a member sees only shared profiles and their servers, without commands, arguments or logs', async () => {
    const { s, shared, hidden, memberToken } = await setUp()
    const profiles = (await s.app.json<Profile[]>('GET', '/api/profiles', { token: memberToken })).body
    expect(profiles.map((profile) => profile.name)).toEqual(['Shared'])
    expect(profiles[0]?.extraArgs).toEqual([])
    expect((await s.app.call('GET', `/api/profiles/${hidden.id}`, { token: memberToken })).status).toBe(404)
    expect((await s.app.call('GET', `/api/servers/${hidden.id}`, { token: memberToken })).status).toBe(404)
    await s.start(shared.id)
    const servers = (await s.app.json<ServerStatus[]>('GET', '/api/servers', { token: memberToken })).body
    expect(servers.map((server) => [server.profileId, server.state, server.command])).toEqual([[shared.id, 'ready', null]])
    // The admin still sees everything, command lines included.
    const asAdmin = (await s.app.json<ServerStatus[]>('GET', '/api/servers', { token: s.token })).body
    expect(asAdmin.find((server) => server.profileId === shared.id)?.command).toContain('/private/admin-notes.log')
  })

  test('a member hears only of shared profiles on /api/events, and a profile no longer shared is gone for them', async () => {
    const { s, shared, hidden, memberToken } = await setUp()
    const controller = new AbortController()
    cleanups.push(() => controller.abort())
    const events = sseReader(await s.app.call('GET', '/api/events', { token: memberToken, signal: controller.signal }))
    await events.next(1) // system.memory
    await s.app.json('PATCH', `/api/profiles/${hidden.id}`, { token: s.token, body: { description: 'still hidden' } })
    await s.app.json('PATCH', `/api/profiles/${shared.id}`, { token: s.token, body: { description: 'shared' } })
    await s.start(hidden.id)
    await s.start(shared.id)
    await s.app.json('PATCH', `/api/profiles/${shared.id}`, { token: s.token, body: { availableToMembers: false } })
    const seen: SseEvent[] = []
    while (!seen.some((event) => event.event === 'profiles.deleted')) seen.push(...(await events.next(1)))
    const about = (event: SseEvent) => (event.data as { id?: number; profileId?: number }).id ?? (event.data as { profileId?: number }).profileId
    // Nothing about the hidden profile, and no command line of the shared one.
    expect(seen.filter((event) => about(event) === hidden.id)).toEqual([])
    const states = seen.filter((event) => event.event === 'servers.state').map((event) => event.data as ServerStatus)
    expect(states.length).toBeGreaterThan(0)
    expect(states.every((state) => state.command === null)).toBe(true)
    const changed = seen.find((event) => event.event === 'profiles.changed')?.data as Profile
    expect(changed.extraArgs).toEqual([])
    expect(seen.at(-1)).toEqual({ event: 'profiles.deleted', data: { id: shared.id } })
  })
})

describe('members chat with shared profiles only', () => {
  const hello = [{ role: 'user', content: 'Hello' }]

  test('chatting with a shared profile may start its server; a hidden one is refused', async () => {
    const { s, shared, hidden, memberToken } = await setUp()
    const refused = await s.app.call('POST', '/api/chat/start', { token: memberToken, body: { profileId: hidden.id } })
    expect(refused.status).toBe(403)
    expect(await codeOf(refused)).toBe('profile-not-available')
    expect((await s.status(hidden.id)).state).toBe('stopped')
    const chatHidden = await s.app.call('POST', '/api/chat', { token: memberToken, body: { profileId: hidden.id, messages: hello } })
    expect(chatHidden.status).toBe(403)

    const started = await s.app.json<ServerStatus>('POST', '/api/chat/start', { token: memberToken, body: { profileId: shared.id } })
    expect(started.status).toBe(202)
    expect(started.body.command).toBeNull()
    // Asking again while it starts joins the start instead of failing.
    expect((await s.app.call('POST', '/api/chat/start', { token: memberToken, body: { profileId: shared.id } })).status).toBe(202)
    await eventually(async () => (await s.status(shared.id)).state === 'ready', 8_000)
    const reply = await s.app.call('POST', '/api/chat', { token: memberToken, body: { profileId: shared.id, messages: hello } })
    expect(reply.status).toBe(200)
    const events = await sseReader(reply).rest(8000)
    expect(events.at(-1)?.event).toBe('done')
    // Chat figures too: the member's list holds the shared profile's only, the admin's all.
    await s.app.json('POST', `/api/chat/start`, { token: s.token, body: { profileId: hidden.id } })
    await eventually(async () => (await s.status(hidden.id)).state === 'ready', 8_000)
    const fromAdmin = await s.app.call('POST', '/api/chat', { token: s.token, body: { profileId: hidden.id, messages: hello } })
    await sseReader(fromAdmin).rest(8000)
    const figures = async (token: string) => (await s.app.json<{ profileId: number }[]>('GET', '/api/metrics/servers', { token })).body.map((summary) => summary.profileId).sort()
    expect(await figures(memberToken)).toEqual([shared.id])
    expect(await figures(s.token)).toEqual([shared.id, hidden.id].sort())
  })
})

describe('open streams honour the account', () => {
  test('a chat answer stops within a second when its user is deleted', async () => {
    const { s, shared, member, memberToken } = await setUp()
    await s.start(shared.id)
    // A slow engine: the answer would take many seconds.
    await s.app.json('PATCH', `/api/profiles/${shared.id}`, { token: s.token, body: { model: 'standin/2tps' } })
    await s.app.json('POST', `/api/servers/${shared.id}/restart?wait=true`, { token: s.token })
    const reply = await s.app.call('POST', '/api/chat', { token: memberToken, body: { profileId: shared.id, messages: longQuestion() } })
    const reader = sseReader(reply)
    await reader.next(1, 8000)
    const at = Date.now()
    await s.app.json('DELETE', `/api/users/${member.id}`, { token: s.token })
    await reader.rest(1500)
    expect(Date.now() - at).toBeLessThan(1000)
    expect(s.app.watching()).toBe(0)
  })

  test('a log stream ends within a second when its admin is demoted, and an event stream when its user signs out everywhere', async () => {
    const { s, shared, member, memberToken } = await setUp()
    await s.start(shared.id)
    // Make the member an admin, so there is an admin to demote while another stays.
    await s.app.json('PATCH', `/api/users/${member.id}`, { token: s.token, body: { isAdmin: true } })
    const logs = sseReader(await s.app.call('GET', `/api/servers/${shared.id}/logs`, { token: memberToken }))
    await logs.next(1)
    let at = Date.now()
    await s.app.json('PATCH', `/api/users/${member.id}`, { token: s.token, body: { isAdmin: false } })
    await logs.rest(1500)
    expect(Date.now() - at).toBeLessThan(1000)

    const events = sseReader(await s.app.call('GET', '/api/events', { token: memberToken }))
    await events.next(1)
    at = Date.now()
    // A password reset signs the user out on every device.
    await s.app.json('POST', `/api/users/${member.id}/password`, { token: s.token, body: { password: 'a-brand-new-password' } })
    await events.rest(1500)
    expect(Date.now() - at).toBeLessThan(1000)
    expect(s.app.watching()).toBe(0)
  })

  test('logging out ends that session’s event stream', async () => {
    const { s, memberToken } = await setUp()
    const events = sseReader(await s.app.call('GET', '/api/events', { token: memberToken }))
    await events.next(1)
    await s.app.call('POST', '/api/auth/logout', { token: memberToken })
    await events.rest(1500)
    expect(events.ended).toBe(true)
  })
})

function longQuestion() {
  return [{ role: 'user', content: 'Tell me a long story' }]
}
