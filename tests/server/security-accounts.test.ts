import { afterEach, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../server/config'
import { createLogFiles } from '../../server/features/servers/log-files'
import { createPidFiles } from '../../server/features/servers/pid-files'
import { startManager } from '../../server/start'
import type { PublicUser } from '../../shared/users'
import { ADMIN, createTestApp, NO_SAVED_TOKEN, tempDir } from './helpers'

type ErrorBody = { error: { code: string; message: string } }

/** Requests carry the address they pretend to come from; without one they are in-process ('local'). */
const PEER = 'x-test-peer'
const from = (address: string) => ({ headers: { [PEER]: address } })
const peerApp = (overrides: Parameters<typeof createTestApp>[0] = {}) =>
  createTestApp({ clientAddress: (request) => request.headers.get(PEER) ?? undefined, ...overrides })

const modeOf = (path: string) => statSync(path).mode & 0o777

describe('the first account', () => {
  test('GET /api/auth/setup says whether a first account is needed and whether this client needs the code', async () => {
    const app = peerApp()
    expect((await app.json('GET', '/api/auth/setup', from('192.0.2.7'))).body).toEqual({ needsFirstAccount: true, setupCodeRequired: true })
    expect((await app.json('GET', '/api/auth/setup', from('127.0.0.1'))).body).toEqual({ needsFirstAccount: true, setupCodeRequired: false })
    expect((await app.json('GET', '/api/auth/setup')).body).toEqual({ needsFirstAccount: true, setupCodeRequired: false })
    await app.signUp(ADMIN)
    expect((await app.json('GET', '/api/auth/setup', from('192.0.2.7'))).body).toEqual({ needsFirstAccount: false, setupCodeRequired: false })
  })

  test('from another machine it needs the setup code: refused without it and with a wrong one, made with it, once', async () => {
    const app = peerApp()
    const code = app.auth.pendingSetupCode() ?? ''
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)

    const without = await app.json<ErrorBody>('POST', '/api/auth/register', { body: ADMIN, ...from('192.0.2.7') })
    expect(without.status).toBe(403)
    expect(without.body.error.code).toBe('setup-code-required')
    expect(without.body.error.message).toContain("printed in the manager output")

    const wrong = await app.json<ErrorBody>('POST', '/api/auth/register', { body: { ...ADMIN, setupCode: 'ABCD-EFGH-JKMN' }, ...from('192.0.2.7') })
    expect(wrong.status).toBe(403)
    expect(wrong.body.error.code).toBe('setup-code-invalid')
    expect(wrong.body.error.message).toContain("printed in the manager output")
    expect(app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM users').get()?.n).toBe(0)

    // Typed loosely (lower case, no dashes) it still matches.
    const typed = code.replaceAll('-', '').toLowerCase()
    const made = await app.json<PublicUser>('POST', '/api/auth/register', { body: { ...ADMIN, setupCode: typed }, ...from('192.0.2.7') })
    expect(made.status).toBe(201)
    expect(made.body).toMatchObject({ isAdmin: true, status: 'approved' })
    expect(app.auth.pendingSetupCode()).toBeNull()

    // The used code makes nobody else an admin.
    const again = await app.json<PublicUser>('POST', '/api/auth/register', {
      body: { email: 'mallory@example.com', password: 'mallory-password', setupCode: code },
      ...from('192.0.2.8'),
    })
    expect(again.status).toBe(201)
    expect(again.body).toMatchObject({ isAdmin: false, status: 'pending' })
  })

  test('a client on this machine needs no code, whichever way its loopback address is written', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const app = peerApp()
      const made = await app.json<PublicUser>('POST', '/api/auth/register', { body: ADMIN, ...from(address) })
      expect(made.status).toBe(201)
      expect(made.body).toMatchObject({ isAdmin: true, status: 'approved' })
    }
  })
})

let stopManager: (() => Promise<void>) | null = null
afterEach(async () => {
  await stopManager?.()
  stopManager = null
})

/** The real manager on a free port, its output lines collected. */
function start(host: string, home = join(tempDir(), 'home')) {
  const lines: string[] = []
  const config = {
    ...loadConfig({ HOST: host, MLX_MANAGER_HOME: home, HF_HUB_CACHE: tempDir(), MLX_MANAGER_WEB_DIST: join(home, 'dist'), ...NO_SAVED_TOKEN }),
    port: 0,
  }
  const manager = startManager(config, (line) => lines.push(line))
  stopManager = () => manager.stop()
  return { manager, lines, home }
}

describe('the first account over a real socket', () => {
  // Tests talk only to loopback, so a client beyond it is played in-process above (clientAddress);
  // over a socket this checks the printed code and that the socket's own peer address is used.
  test('listening beyond loopback prints a one-time setup code; a client on this machine needs none', async () => {
    const { manager, lines } = start('0.0.0.0')
    const printed = lines.find((line) => line.startsWith('Setup code: '))
    expect(/Setup code: (\S+)/.exec(printed ?? '')?.[1] ?? '').toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
    const base = `http://127.0.0.1:${manager.port}`
    expect(await (await fetch(`${base}/api/auth/setup`)).json()).toEqual({ needsFirstAccount: true, setupCodeRequired: false })
    const made = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    expect(made.status).toBe(201)
  })

  test('listening on loopback prints no code, and its clients need none', async () => {
    const { manager, lines } = start('127.0.0.1')
    expect(lines.some((line) => line.includes('Setup code'))).toBe(false)
    const answer = await fetch(`http://127.0.0.1:${manager.port}/api/auth/setup`)
    expect(await answer.json()).toEqual({ needsFirstAccount: true, setupCodeRequired: false })
  })
})

describe('private data at rest', () => {

  test('a fresh home is 0700 with 0600 files, even under a permissive umask', () => {
    const previous = process.umask(0)
    try {
      const { home, lines } = start('127.0.0.1')
      expect(modeOf(home)).toBe(0o700)
      for (const file of ['manager.db', 'manager.db-wal', 'manager.db-shm', 'secret']) {
        expect(existsSync(join(home, file))).toBe(true)
        expect([file, modeOf(join(home, file))]).toEqual([file, 0o600])
      }
      expect(lines.some((line) => line.startsWith('Made private'))).toBe(false)

      const logs = createLogFiles(join(home, 'logs'))
      const fd = logs.openForRun(1)
      logs.close(fd)
      logs.append(logs.path(2), 'a note\n')
      logs.copyTruncate(logs.path(2))
      expect(modeOf(join(home, 'logs'))).toBe(0o700)
      for (const file of ['profile-1.log', 'profile-2.log', 'profile-2.log.1']) expect(modeOf(join(home, 'logs', file))).toBe(0o600)

      const record = {
        profileId: 1,
        pid: 4242,
        engine: 'mlx_lm.server' as const,
        host: '127.0.0.1',
        port: 8001,
        command: ['mlx_lm.server'],
        startedAt: new Date().toISOString(),
        readyAt: null,
        profileUpdatedAt: '',
        managerPid: process.pid,
      }
      // Fields the record may gain later ride along without this test having to name them all.
      createPidFiles(join(home, 'run')).write(Object.assign(record, { hidden: [] as number[] }))
      expect(modeOf(join(home, 'run'))).toBe(0o700)
      expect(modeOf(join(home, 'run', 'profile-1.json'))).toBe(0o600)
    } finally {
      process.umask(previous)
    }
  })

  test('a home left readable by others is tightened at start, and the log says what in one line', () => {
    const home = join(tempDir(), 'home')
    mkdirSync(join(home, 'logs'), { recursive: true })
    chmodSync(home, 0o755)
    chmodSync(join(home, 'logs'), 0o755)
    const old = new Database(join(home, 'manager.db'), { create: true })
    old.exec('CREATE TABLE placeholder (x)')
    old.close()
    chmodSync(join(home, 'manager.db'), 0o644)
    writeFileSync(join(home, 'logs', 'profile-1.log'), 'old run\n', { mode: 0o644 })
    chmodSync(join(home, 'logs', 'profile-1.log'), 0o644)
    writeFileSync(join(home, 'hook.sh'), '#!/bin/sh\n', { mode: 0o755 })
    chmodSync(join(home, 'hook.sh'), 0o755)

    const { lines } = start('127.0.0.1', home)
    expect(modeOf(home)).toBe(0o700)
    expect(modeOf(join(home, 'manager.db'))).toBe(0o600)
    expect(modeOf(join(home, 'logs'))).toBe(0o700)
    expect(modeOf(join(home, 'logs', 'profile-1.log'))).toBe(0o600)
    // Owner bits stay: an executable still runs for its owner.
    expect(modeOf(join(home, 'hook.sh'))).toBe(0o700)
    const notices = lines.filter((line) => line.startsWith('Made private'))
    expect(notices).toHaveLength(1)
    for (const name of [home, 'manager.db', 'logs/profile-1.log', 'hook.sh']) expect(notices[0]).toContain(name)
  })
})

describe('sign-in throttling', () => {
  /** A clock the test moves by hand, shared by sessions and the throttles. */
  function clockedApp() {
    let nowMs = Date.parse('2030-01-01T00:00:00Z')
    const app = peerApp({ now: () => new Date(nowMs) })
    return { app, advance: (seconds: number) => (nowMs += seconds * 1000) }
  }

  const login = (app: ReturnType<typeof peerApp>, body: { email: string; password: string }, address: string) =>
    app.json<ErrorBody>('POST', '/api/auth/login', { body, ...from(address) })
  const wrong = (i: number) => ({ email: ADMIN.email, password: `wrong-guess-${i}` })

  test('the owner signs in from a fresh client while a guesser is delayed, and the delays double up to a cap', async () => {
    const { app, advance } = clockedApp()
    await app.signUp(ADMIN)
    const attacker = '192.0.2.66'
    for (let i = 0; i < 5; i++) expect((await login(app, wrong(i), attacker)).status).toBe(401)
    const delayed = await login(app, ADMIN, attacker)
    expect(delayed.status).toBe(429)
    expect(delayed.body.error.code).toBe('too-many-attempts')
    expect(delayed.headers.get('retry-after')).toBe('1')

    expect((await login(app, ADMIN, '192.0.2.10')).status).toBe(200)

    const waits: number[] = []
    for (let i = 0; i < 12; i++) {
      const wait = Number((await login(app, wrong(i), attacker)).headers.get('retry-after'))
      waits.push(wait)
      advance(wait)
      expect((await login(app, wrong(i), attacker)).status).toBe(401)
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300])
    // Still no lockout for the owner elsewhere.
    expect((await login(app, ADMIN, '192.0.2.11')).status).toBe(200)
  })

  test('parallel guesses cannot all slip through the free failures', async () => {
    const { app } = clockedApp()
    await app.signUp(ADMIN)
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login(app, wrong(i), '192.0.2.67')))
    expect(results.filter((r) => r.status === 401)).toHaveLength(5)
    expect(results.filter((r) => r.status === 429)).toHaveLength(7)
  })

  test('a right password for a pending account resets nothing; an approved sign-in resets that client', async () => {
    const { app, advance } = clockedApp()
    await app.withAdminAndPending()
    const pat = { email: 'pat@example.com', password: 'pending-password' }
    const client = '192.0.2.70'
    for (let i = 0; i < 5; i++) expect((await login(app, { ...pat, password: `nope-${i}-pw` }, client)).status).toBe(401)
    advance(1)
    expect((await login(app, pat, client)).body.error.code).toBe('account-pending')
    // The count stands: one more failure costs the next, doubled, delay.
    expect((await login(app, pat, client)).status).toBe(429)
    advance(1)
    expect((await login(app, { ...pat, password: 'nope-again' }, client)).status).toBe(401)
    expect((await login(app, pat, client)).headers.get('retry-after')).toBe('2')

    const owner = '192.0.2.71'
    for (let i = 0; i < 5; i++) expect((await login(app, wrong(i), owner)).status).toBe(401)
    advance(1)
    expect((await login(app, ADMIN, owner)).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await login(app, wrong(i), owner)).status).toBe(401)
  })

  test('many emails guessed from one address delay that address only', async () => {
    const { app } = clockedApp()
    await app.signUp(ADMIN)
    for (let i = 0; i < 20; i++) {
      expect((await login(app, { email: `guess${i}@example.com`, password: 'guess-password' }, '192.0.2.80')).status).toBe(401)
    }
    expect((await login(app, ADMIN, '192.0.2.80')).status).toBe(429)
    expect((await login(app, ADMIN, '192.0.2.81')).status).toBe(200)
  })

  test('registration is throttled per address', async () => {
    const { app, advance } = clockedApp()
    await app.signUp(ADMIN)
    const register = (n: number, address: string) =>
      app.json<ErrorBody>('POST', '/api/auth/register', { body: { email: `person${n}@example.com`, password: 'person-password' }, ...from(address) })
    for (let n = 0; n < 5; n++) expect((await register(n, '192.0.2.90')).status).toBe(201)
    const refused = await register(5, '192.0.2.90')
    expect(refused.status).toBe(429)
    expect(refused.body.error.code).toBe('too-many-attempts')
    expect(Number(refused.headers.get('retry-after'))).toBe(600)
    expect((await register(6, '192.0.2.91')).status).toBe(201)
    advance(600)
    expect((await register(7, '192.0.2.90')).status).toBe(201)
  })
})
