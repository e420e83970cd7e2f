import { afterEach, describe, expect, test } from 'bun:test'
import { logFileName } from '../../server/features/servers/logs'
import { eventually, servingApp, type ServingApp } from '../fixtures/engine/harness'

const open: ServingApp[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()))
})

describe('downloading a server log', () => {
  test('the whole log file as text, named after the profile; admins only; unknown ids are 404', async () => {
    const s = await servingApp()
    open.push(s)
    const profile = await s.profile({ name: 'Qwen "fast" 4B', model: 'standin/crash-at-start' })
    await s.start(profile.id)
    // The crashed run's whole story, beyond what the live tail shows by default.
    let response = await s.app.call('GET', `/api/servers/${profile.id}/logs/download`, { token: s.token })
    await eventually(async () => {
      response = await s.app.call('GET', `/api/servers/${profile.id}/logs/download`, { token: s.token })
      return (await response.clone().text()).includes('exited with code 1')
    }, 2_000)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="Qwen-fast-4B-${profile.id}.log"`)
    const text = await response.text()
    expect(text).toContain('[mlx-manager]')
    expect(text).toContain("FileNotFoundError: [Errno 2] No such file or directory: 'standin/crash-at-start/model.safetensors'")
    expect(text).toContain('exited with code 1')
    expect(text).not.toContain('\u001b[')

    expect((await s.app.call('GET', '/api/servers/999/logs/download', { token: s.token })).status).toBe(404)
    expect((await s.app.call('GET', `/api/servers/${profile.id}/logs/download`)).status).toBe(401)
    expect((await s.app.call('GET', '/api/servers/abc/logs/download', { token: s.token })).status).toBe(400)

    // Logs may carry paths and arguments: members never read them, even of a profile shared with them.
    const shared = await s.profile({ name: 'Shared', model: 'standin/400tps', availableToMembers: true })
    const member = { email: 'member@example.com', password: 'member-password' }
    const registered = await s.app.signUp(member)
    await s.app.json('PATCH', `/api/users/${registered.user.id}`, { token: s.token, body: { status: 'approved' } })
    const memberToken = await s.app.signIn(member)
    expect((await s.app.call('GET', `/api/servers/${shared.id}/logs/download`, { token: memberToken })).status).toBe(403)
  })

  test('file names keep only safe characters', () => {
    expect(logFileName('Qwen3 4B', 3)).toBe('Qwen3-4B-3.log')
    expect(logFileName('../../etc/passwd', 4)).toBe('etc-passwd-4.log')
    expect(logFileName('日本語', 5)).toBe('server-5.log')
  })
})
