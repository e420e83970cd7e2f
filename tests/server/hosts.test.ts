import { afterEach, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../server/config'
import { EventView } from '../../server/features/access/events'
import type { Delivery } from '../../server/features/events/bus'
import type { Host, HostCheck } from '../../shared/hosts'
import type { Profile } from '../../shared/profiles'
import { standinEnv } from '../fixtures/engine/harness'
import { ADMIN, NO_SAVED_TOKEN, createTestApp, tempDir } from './helpers'

const SSH_STANDIN = join(import.meta.dir, '../fixtures/ssh/ssh-standin.sh')
const GiB = 2 ** 30

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

/** A Python environment whose `python` answers the probe with `report` (what a real host's probe prints). */
function fakeEnv(report: Record<string, unknown>): string {
  const env = tempDir('mlx-manager-env-')
  mkdirSync(join(env, 'bin'))
  writeFileSync(join(env, 'report.json'), JSON.stringify(report))
  writeFileSync(join(env, 'bin', 'python'), `#!/bin/sh\nprintf 'MLX-MANAGER-PROBE %s\\n' "$(cat '${env}/report.json')"\n`)
  chmodSync(join(env, 'bin', 'python'), 0o755)
  return env
}

const healthy = (over: Record<string, unknown> = {}) => ({ mlx: '0.32.4', 'mlx-lm': '0.32.2', platform: 'darwin', arch: 'arm64', total: 64 * GiB, available: null, ...over })

async function setUp() {
  const home = tempDir()
  const log = join(home, 'ssh.log')
  const config = loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), MLX_MANAGER_SSH: SSH_STANDIN, ...NO_SAVED_TOKEN })
  const app = createTestApp({ config, serving: { env: standinEnv({ SSH_STANDIN_LOG: log }) } })
  process.env.SSH_STANDIN_LOG = log
  cleanups.push(() => app.serving.supervisor.stopAll())
  const { token } = await app.signUp(ADMIN)
  const auth = { token: token ?? '' }
  const addHost = async (body: Record<string, unknown>) => {
    const response = await app.json<Host>('POST', '/api/hosts', { ...auth, body })
    if (response.status !== 201) throw new Error(`adding a host failed: ${JSON.stringify(response.body)}`)
    return response.body
  }
  const check = (id: number, body: Record<string, unknown> = {}) => app.json<HostCheck>('POST', `/api/hosts/${id}/check`, { ...auth, body })
  const sshLog = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n')
    } catch {
      return []
    }
  }
  return { app, auth, addHost, check, sshLog }
}

const remote = (address: string, pythonEnv: string, name = `mac-${address}`) => ({ name, address, sshUser: 'studio', pythonEnv })
const codes = (check: HostCheck) => check.problems.map((problem) => problem.code)

describe('hosts: admin CRUD', () => {
  test('an admin adds, lists, renames and deletes a host; the fields come back as stored', async () => {
    const { app, auth, addHost } = await setUp()
    const host = await addHost({ name: ' studio-1 ', address: '192.168.1.20', sshUser: 'anna', pythonEnv: '/Users/anna/mlx-env/' })
    expect(host).toMatchObject({ name: 'studio-1', address: '192.168.1.20', sshUser: 'anna', pythonEnv: '/Users/anna/mlx-env', local: false, rdmaDevice: null })
    const here = await addHost({ name: 'this mac', address: '127.0.0.1', local: true, pythonEnv: '/opt/mlx' })
    expect(here.sshUser).toBeNull()
    expect((await app.json<Host[]>('GET', '/api/hosts', auth)).body.map((item) => item.name)).toEqual(['studio-1', 'this mac'])
    const renamed = await app.json<Host>('PATCH', `/api/hosts/${host.id}`, { ...auth, body: { name: 'studio-2', sshUser: 'bob' } })
    expect(renamed.body).toMatchObject({ name: 'studio-2', sshUser: 'bob', address: '192.168.1.20' })
    expect((await app.call('DELETE', `/api/hosts/${host.id}`, auth)).status).toBe(204)
    expect((await app.json('GET', `/api/hosts/${host.id}`, auth)).status).toBe(404)
  })

  test('adding, editing and removing a host tell open admin pages at once, and no one else', async () => {
    const { app, auth, addHost } = await setUp()
    const heard: Delivery[] = []
    cleanups.push(app.bus.subscribe((delivery) => delivery.event.type.startsWith('hosts.') && heard.push(delivery)))
    const host = await addHost(remote('10.0.0.7', '/env', 'studio'))
    await app.json('PATCH', `/api/hosts/${host.id}`, { ...auth, body: { name: 'studio-2' } })
    expect((await app.call('DELETE', `/api/hosts/${host.id}`, auth)).status).toBe(204)
    expect(heard.map(({ event, audience }) => [event.type, audience.kind])).toEqual([
      ['hosts.changed', 'admins'],
      ['hosts.changed', 'admins'],
      ['hosts.removed', 'admins'],
    ])
    expect(heard[1]?.event.data).toMatchObject({ id: host.id, name: 'studio-2', address: '10.0.0.7' })
    expect(heard[2]?.event.data).toEqual({ id: host.id })
    // A refused change tells nobody anything.
    await app.json('POST', '/api/hosts', { ...auth, body: remote('10.0.0.8', 'relative') })
    expect(heard).toHaveLength(3)
    // Even on a stream that reached a member, the view drops them.
    const view = new EventView(() => true)
    for (const { event } of heard) expect(view.of({ id: 9, isAdmin: false }, event)).toBeNull()
  })

  test('bad input is refused with a sentence that says what to enter', async () => {
    const { app, auth, addHost } = await setUp()
    const refuse = async (body: unknown, code: string, words: RegExp) => {
      const response = await app.json<{ error: { code: string; message: string } }>('POST', '/api/hosts', { ...auth, body })
      expect(response.status).toBe(400)
      expect(response.body.error.code).toBe(code)
      expect(response.body.error.message).toMatch(words)
    }
    await refuse({ name: 'a', address: 'studio.local', sshUser: 'x', pythonEnv: '/env' }, 'invalid-host', /not an IP address.*ring backend/)
    await refuse({ name: 'a', address: '127.0.0.1', sshUser: 'x', pythonEnv: '/env' }, 'invalid-host', /this machine itself/)
    await refuse({ name: 'a', address: '10.0.0.5', pythonEnv: '/env' }, 'invalid-host', /user to sign in as over SSH/)
    await refuse({ name: 'a', address: '10.0.0.5', sshUser: 'x', pythonEnv: 'env' }, 'invalid-host', /absolute path/)
    await refuse({ name: 'a', address: '10.0.0.5', sshUser: 'x', pythonEnv: '/env$(id)' }, 'invalid-host', /cannot contain quotes/)
    await refuse({ name: 'a', address: '10.0.0.5', sshUser: 'x;id', pythonEnv: '/env' }, 'invalid-host', /not a user name/)
    await refuse({ name: 'a', address: '10.0.0.5' }, 'invalid-input', /.+/)
    await addHost(remote('10.0.0.5', '/env', 'dup'))
    const taken = await app.json<{ error: { code: string } }>('POST', '/api/hosts', { ...auth, body: remote('10.0.0.6', '/env', 'DUP') })
    expect([taken.status, taken.body.error.code]).toEqual([409, 'name-taken'])
  })

  test('only admins see or change hosts; a host a profile runs on cannot be deleted', async () => {
    const { app, auth, addHost } = await setUp()
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: '/env' })
    const registered = await app.signUp({ email: 'm@example.com', password: 'member-password' })
    await app.json('PATCH', `/api/users/${registered.user.id}`, { ...auth, body: { status: 'approved' } })
    const member = { token: await app.signIn({ email: 'm@example.com', password: 'member-password' }) }
    expect((await app.call('GET', '/api/hosts', member)).status).toBe(403)
    expect((await app.call('POST', '/api/hosts', { ...member, body: remote('10.0.0.9', '/env') })).status).toBe(403)
    expect((await app.call('POST', `/api/hosts/${here.id}/check`, { ...member, body: {} })).status).toBe(403)
    expect((await app.call('GET', '/api/hosts')).status).toBe(401)
    const profile = await app.json<Profile>('POST', '/api/profiles', { ...auth, body: { name: 'D', model: '/models/tiny', engine: 'mlx_lm.server', port: 18_555, distributedHosts: [here.id, here.id] } })
    expect(profile.status).toBe(201)
    const refused = await app.json<{ error: { code: string; message: string } }>('DELETE', `/api/hosts/${here.id}`, auth)
    expect(refused.status).toBe(409)
    expect(refused.body.error).toMatchObject({ code: 'host-in-use' })
    expect(refused.body.error.message).toContain('"D"')
  })
})

describe('distributed profiles: fields and their rules', () => {
  test('hosts, backend and mode are stored; the rules mlx_lm.server sets are checked on save', async () => {
    const { app, auth, addHost } = await setUp()
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: '/env' })
    const base = { name: 'D', model: '/models/tiny', engine: 'mlx_lm.server', port: 18_556 }
    const saved = await app.json<Profile>('POST', '/api/profiles', { ...auth, body: { ...base, distributedHosts: [here.id, here.id], distributedMode: 'pipeline' } })
    expect(saved.body).toMatchObject({ distributedHosts: [here.id, here.id], distributedBackend: 'ring', distributedMode: 'pipeline' })
    const refuse = async (body: Record<string, unknown>, code: string, words: RegExp) => {
      const response = await app.json<{ error: { code: string; message: string } }>('POST', '/api/profiles', { ...auth, body: { ...base, name: 'E', port: 18_557, ...body } })
      expect([response.status, response.body.error.code]).toEqual([400, code])
      expect(response.body.error.message).toMatch(words)
    }
    await refuse({ distributedHosts: [here.id, 999] }, 'unknown-host', /no host 999/)
    await refuse({ distributedHosts: [here.id] }, 'invalid-profile', /at least 2 ranks/)
    await refuse({ distributedHosts: [here.id, here.id], engine: 'mlx-openai-server' }, 'invalid-profile', /Only mlx_lm.server/)
    await refuse({ distributedHosts: [here.id, here.id], extraArgs: ['--adapter-path', '/a'] }, 'invalid-profile', /no adapters or draft models/)
    await refuse({ distributedHosts: [here.id, here.id], extraArgs: ['--draft-model=x/y'] }, 'invalid-profile', /--draft-model cannot/)
    await refuse({ distributedBackend: 'mpi' }, 'invalid-input', /ring, jaccl/)
  })
})

describe('host checks (preflight) against SSH stand-ins', () => {
  test('a reachable host reports its versions and memory, over SSH in batch mode as user@address', async () => {
    const { addHost, check, sshLog } = await setUp()
    const host = await addHost(remote('10.9.0.1', fakeEnv(healthy())))
    const result = await check(host.id)
    expect(result.status).toBe(200)
    expect(result.body.ok).toBe(true)
    expect(result.body.facts).toMatchObject({ mlx: '0.32.4', mlxLm: '0.32.2', totalBytes: 64 * GiB, budgetBytes: 48 * GiB })
    expect(sshLog()).toContain('studio@10.9.0.1')
  })

  test('each SSH failure says what is wrong and what to do', async () => {
    const { addHost, check } = await setUp()
    const env = fakeEnv(healthy())
    const cases: [string, string, RegExp][] = [
      ['10.9.0.2', 'ssh-auth', /needs a password.*ssh-copy-id studio@10\.9\.0\.2/],
      ['10.9.0.3', 'ssh-unreachable', /cannot be reached.*Connection refused.*Remote Login/],
      ['10.9.0.4', 'ssh-host-key', /ssh-keygen -R 10\.9\.0\.4/],
    ]
    for (const [address, code, words] of cases) {
      const host = await addHost(remote(address, env))
      const result = (await check(host.id)).body
      expect(result.ok).toBe(false)
      expect(codes(result)).toEqual([code as HostCheck['problems'][number]['code']])
      expect(result.problems[0]?.message).toMatch(words)
    }
  })

  test('a missing Python environment, and one without mlx or mlx-lm, are named with the command that fixes them', async () => {
    const { addHost, check } = await setUp()
    const missing = await addHost(remote('10.9.0.1', '/nowhere/env'))
    const gone = (await check(missing.id)).body
    expect(codes(gone)).toEqual(['python-missing'])
    expect(gone.problems[0]?.message).toContain('/nowhere/env/bin/python')
    expect(gone.problems[0]?.message).toContain('pip install mlx-lm')
    // This machine's plain Python runs the real probe: it has neither package.
    const bare = tempDir('mlx-manager-env-')
    mkdirSync(join(bare, 'bin'))
    symlinkSync(Bun.which('python3') ?? '/usr/bin/python3', join(bare, 'bin', 'python'))
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: bare })
    const result = (await check(here.id)).body
    expect(codes(result)).toEqual(['mlx-missing', 'mlx-lm-missing'])
    expect(result.problems[1]?.message).toBe(`mlx-lm is not installed in ${bare} on this machine: run ${bare}/bin/pip install mlx-lm.`)
    expect(result.facts.totalBytes).toBeGreaterThan(0)
  })

  test('hosts with different versions are told which version to install', async () => {
    const { addHost, check } = await setUp()
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: fakeEnv(healthy()) })
    const old = await addHost(remote('10.9.0.1', fakeEnv(healthy({ 'mlx-lm': '0.31.0' })), 'old-mac'))
    expect((await check(here.id)).body.ok).toBe(true)
    const result = (await check(old.id)).body
    expect(codes(result)).toEqual(['version-mismatch'])
    expect(result.problems[0]?.message).toMatch(/mlx-lm differs between hosts \(.*old-mac 0\.31\.0.*here 0\.32\.2.*\).*pip install mlx-lm==0\.32\.2/)
  })

  test("with a profile: the model missing at the profile's path, and too little memory for the host's share", async () => {
    const { app, auth, addHost, check } = await setUp()
    const model = { path: '/models/big', found: true, weights: 40 * GiB }
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: fakeEnv(healthy({ model })) })
    const small = await addHost(remote('10.9.0.1', fakeEnv(healthy({ total: 16 * GiB, model })), 'small-mac'))
    const lacking = await addHost(remote('10.9.0.5', fakeEnv(healthy({ model: { path: '/models/big', found: false, weights: 0 } })), 'empty-mac'))
    const profile = (await app.json<Profile>('POST', '/api/profiles', { ...auth, body: { name: 'Big', model: '/models/big', engine: 'mlx_lm.server', port: 18_558, distributedHosts: [here.id, small.id, lacking.id] } })).body
    expect((await check(here.id, { profileId: profile.id })).body.ok).toBe(true)
    const tight = (await check(small.id, { profileId: profile.id })).body
    expect(codes(tight)).toEqual(['not-enough-memory'])
    expect(tight.problems[0]?.message).toMatch(/small-mac needs about 13\.3 GB for its rank.*12.0 GB is usable/)
    const empty = (await check(lacking.id, { profileId: profile.id })).body
    expect(codes(empty)).toEqual(['model-missing'])
    expect(empty.problems[0]?.message).toContain('The model is not at /models/big on empty-mac')
  })

  test('a distributed start runs the preflight first and refuses with every failing host', async () => {
    const { app, auth, addHost } = await setUp()
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: fakeEnv(healthy()) })
    const denied = await addHost(remote('10.9.0.2', fakeEnv(healthy()), 'locked-mac'))
    const profile = (await app.json<Profile>('POST', '/api/profiles', { ...auth, body: { name: 'D', model: '/models/tiny', engine: 'mlx_lm.server', port: 18_559, distributedHosts: [here.id, denied.id] } })).body
    const started = await app.json<{ error: { code: string; message: string } }>('POST', `/api/servers/${profile.id}/start`, auth)
    expect(started.status).toBe(409)
    expect(started.body.error.code).toBe('preflight-failed')
    expect(started.body.error.message).toMatch(/locked-mac: SSH to studio@10\.9\.0\.2 needs a password/)
    expect((await app.json<{ state: string }>('GET', `/api/servers/${profile.id}`, auth)).body.state).toBe('stopped')
  })

  test('rank 0 must be this machine', async () => {
    const { app, auth, addHost } = await setUp()
    const other = await addHost(remote('10.9.0.1', fakeEnv(healthy())))
    const here = await addHost({ name: 'here', address: '127.0.0.1', local: true, pythonEnv: fakeEnv(healthy()) })
    const profile = (await app.json<Profile>('POST', '/api/profiles', { ...auth, body: { name: 'D', model: '/models/tiny', engine: 'mlx_lm.server', port: 18_560, distributedHosts: [other.id, here.id] } })).body
    const started = await app.json<{ error: { code: string; message: string } }>('POST', `/api/servers/${profile.id}/start`, auth)
    expect([started.status, started.body.error.code]).toEqual([409, 'rank-zero-remote'])
    expect(started.body.error.message).toMatch(/first host must be this machine/)
  })
})
