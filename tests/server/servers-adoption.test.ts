import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { eventually, freePort, isAlive, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, sseReader, tempDir } from './helpers'

const CLI = join(import.meta.dir, '..', '..', 'server', 'cli.ts')
const MODEL = 'mlx-community/Qwen3-4B-4bit'
const leftovers: number[] = []

afterEach(() => {
  // If a test failed half-way, do not leave engines or managers behind.
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
})

/** The real `mlx-manager` command, as a separate process, on a data dir the test chooses. */
async function manager(home: string, port: number) {
  const child = Bun.spawn([process.execPath, CLI, '--port', String(port)], {
    env: { ...standinEnv(), MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist') },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  leftovers.push(child.pid)
  const base = `http://127.0.0.1:${port}`
  await eventually(async () => {
    try {
      return (await fetch(`${base}/api/health`)).ok
    } catch {
      return false
    }
  }, 15_000)
  let token = ''
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as T }
  }
  const signIn = async () => {
    await call('POST', '/api/auth/register', ADMIN)
    token = (await call<{ token: string }>('POST', '/api/auth/login', ADMIN)).body.token
  }
  await signIn()
  return { child, base, call, token: () => token }
}

describe('after the manager is killed with kill -9', () => {
  test('healthy servers are adopted, others and dead pid files are cleaned up, and shutdown stops them', async () => {
    const home = tempDir()
    const first = await manager(home, await freePort())
    const healthy = await first.call<Profile>('POST', '/api/profiles', { name: 'Keeps running', model: MODEL, port: await freePort(), autoStart: true })
    const stuck = await first.call<Profile>('POST', '/api/profiles', { name: 'Stuck', model: 'standin/hang', port: await freePort() })
    const ready = await first.call<ServerStatus>('POST', `/api/servers/${healthy.body.id}/start?wait=true`)
    expect(ready.body.state).toBe('ready')
    const loading = await first.call<ServerStatus>('POST', `/api/servers/${stuck.body.id}/start`)
    expect(loading.body.state).toBe('starting')
    const keptPid = ready.body.pid ?? 0
    const stuckPid = loading.body.pid ?? 0
    leftovers.push(keptPid, stuckPid)
    // A pid file whose process is long gone.
    const gone = Bun.spawn(['true'])
    await gone.exited
    mkdirSync(join(home, 'run'), { recursive: true })
    const stale = join(home, 'run', 'profile-77.json')
    writeFileSync(stale, JSON.stringify({ profileId: 77, pid: gone.pid, engine: 'mlx_lm.server', host: '127.0.0.1', port: 1, command: ['x'], startedAt: new Date().toISOString() }))

    first.child.kill('SIGKILL')
    await first.child.exited
    // The engines outlive the manager: they are in their own process groups and write to files.
    expect(isAlive(keptPid)).toBe(true)
    expect(isAlive(stuckPid)).toBe(true)
    expect((await fetch(`http://127.0.0.1:${healthy.body.port}/health`)).status).toBe(200)

    const second = await manager(home, await freePort())
    const secondPid = second.child.pid
    await eventually(async () => (await second.call<ServerStatus>('GET', `/api/servers/${healthy.body.id}`)).body.adopted, 10_000)
    const adopted = (await second.call<ServerStatus>('GET', `/api/servers/${healthy.body.id}`)).body
    expect(adopted).toMatchObject({ state: 'ready', pid: keptPid, adopted: true, startedAt: ready.body.startedAt, readyAt: ready.body.readyAt })
    await eventually(() => !isAlive(stuckPid), 10_000)
    expect((await second.call<ServerStatus>('GET', `/api/servers/${stuck.body.id}`)).body.state).toBe('stopped')
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(join(home, 'run', `profile-${stuck.body.id}.json`))).toBe(false)
    const pidFile = JSON.parse(readFileSync(join(home, 'run', `profile-${healthy.body.id}.json`), 'utf8')) as { pid: number; managerPid: number }
    expect(pidFile).toMatchObject({ pid: keptPid, managerPid: secondPid })
    // Auto-start did not start a second copy of the adopted profile.
    expect(isAlive(keptPid)).toBe(true)

    // Its log is followed again: a request made now shows up in the live view.
    const controller = new AbortController()
    const logs = sseReader(await fetch(`${second.base}/api/servers/${healthy.body.id}/logs?tail=500`, { headers: { authorization: `Bearer ${second.token()}` }, signal: controller.signal }))
    const [tail] = await logs.next(1)
    const tailLines = (tail?.data as { lines: string[] }).lines
    expect(tailLines.some((line) => line.includes('Uvicorn running on'))).toBe(true)
    expect(tailLines.some((line) => line.includes('adopted by a new manager'))).toBe(true)
    await fetch(`${adopted.baseUrl}/models`)
    const [more] = await logs.next(1)
    expect((more?.data as { lines: string[] }).lines.join('\n')).toContain('"GET /v1/models HTTP/1.1" 200')
    controller.abort()

    second.child.kill('SIGTERM')
    expect(await second.child.exited).toBe(0)
    expect(isAlive(keptPid)).toBe(false)
    expect(readdirSync(join(home, 'run')).filter((name) => name.endsWith('.json'))).toEqual([])
  }, 60_000)

  test('a server that died while no manager ran is shown stopped, not adopted', async () => {
    const home = tempDir()
    const first = await manager(home, await freePort())
    const profile = await first.call<Profile>('POST', '/api/profiles', { name: 'Gone', model: MODEL, port: await freePort() })
    const ready = await first.call<ServerStatus>('POST', `/api/servers/${profile.body.id}/start?wait=true`)
    const pid = ready.body.pid ?? 0
    leftovers.push(pid)
    first.child.kill('SIGKILL')
    await first.child.exited
    process.kill(-pid, 'SIGKILL')
    await eventually(() => !isAlive(pid))
    const second = await manager(home, await freePort())
    await eventually(() => !existsSync(join(home, 'run', `profile-${profile.body.id}.json`)), 10_000)
    expect((await second.call<ServerStatus>('GET', `/api/servers/${profile.body.id}`)).body).toMatchObject({ state: 'stopped', adopted: false, pid: null })
    second.child.kill('SIGTERM')
    expect(await second.child.exited).toBe(0)
  }, 60_000)

  test('a pid file whose pid now belongs to another program leaves that program alone', async () => {
    const home = tempDir()
    const first = await manager(home, await freePort())
    const profile = await first.call<Profile>('POST', '/api/profiles', { name: 'Reused', model: MODEL, port: await freePort() })
    const ready = await first.call<ServerStatus>('POST', `/api/servers/${profile.body.id}/start?wait=true`)
    const enginePid = ready.body.pid ?? 0
    leftovers.push(enginePid)
    first.child.kill('SIGKILL')
    await first.child.exited
    process.kill(-enginePid, 'SIGKILL')
    await eventually(() => !isAlive(enginePid))
    // The engine is gone and its pid now names some other program of the user's, in a group of its own.
    const stranger = Bun.spawn(['sleep', '60'], { detached: true, stdout: 'ignore', stderr: 'ignore' })
    leftovers.push(stranger.pid)
    const pidFile = join(home, 'run', `profile-${profile.body.id}.json`)
    writeFileSync(pidFile, JSON.stringify({ ...JSON.parse(readFileSync(pidFile, 'utf8')), pid: stranger.pid }))
    const second = await manager(home, await freePort())
    await eventually(() => !existsSync(pidFile), 10_000)
    expect(isAlive(stranger.pid)).toBe(true)
    expect((await second.call<ServerStatus>('GET', `/api/servers/${profile.body.id}`)).body).toMatchObject({ state: 'stopped', adopted: false, pid: null })
    second.child.kill('SIGTERM')
    expect(await second.child.exited).toBe(0)
    expect(isAlive(stranger.pid)).toBe(true)
    stranger.kill('SIGKILL')
  }, 60_000)
})
