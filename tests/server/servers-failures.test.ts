import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerStatus } from '../../shared/servers'
import { systemProcessHost, type ProcessHost } from '../../server/features/servers/process-host'
import { systemSupervisorClock, type SupervisorClock } from '../../server/features/servers/timing'
import { eventually, FAST_TIMING, isAlive, isState, servingApp, type ServingApp } from '../fixtures/engine/harness'

const open: ServingApp[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()))
})

async function setup(options: Parameters<typeof servingApp>[0] = {}) {
  const app = await servingApp(options)
  open.push(app)
  return app
}

describe('failures while starting', () => {
  test('a crash at start: failed with its exit code, the exception and the log tail', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Broken', model: 'standin/crash-at-start' })
    const response = await s.start(profile.id)
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ state: 'failed', exitCode: 1, signal: null, pid: null, failure: { reason: 'exited' } })
    const failure = response.body.failure
    expect(failure?.message).toBe(
      `"Broken" exited with code 1 before it was ready: FileNotFoundError: [Errno 2] No such file or directory: 'standin/crash-at-start/model.safetensors'`,
    )
    expect(failure?.logTail).toContain('Traceback (most recent call last):')
    expect(failure?.logTail.some((line) => line.includes('starting mlx-openai-server'))).toBe(true)
  })

  test('exit code 0 with an error in the log is still a failure', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Quiet', model: 'standin/exit0-with-error' })
    const response = await s.start(profile.id)
    expect(response.body).toMatchObject({ state: 'failed', exitCode: 0, failure: { reason: 'error-in-log' } })
    expect(response.body.failure?.message).toBe('"Quiet" exited during startup with an error in its log: Failed to initialize MLX handler: Model type qwen9 not supported.')
    expect(response.body.failure?.logTail).toContain('ERROR:    Application startup failed. Exiting.')
  })

  test('an option the engine rejects fails with the engine’s own words', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Typo', model: 'mlx-community/Qwen3-4B-4bit', extraArgs: ['--max-concurency', '2'] })
    const response = await s.start(profile.id)
    expect(response.body).toMatchObject({ state: 'failed', exitCode: 2, failure: { reason: 'exited' } })
    expect(response.body.failure?.message).toContain('Error: No such option: --max-concurency')
  })

  for (const engine of ['mlx-openai-server', 'mlx_lm.server'] as const) {
    test(`${engine}: a server that never gets ready is stopped after the readiness timeout`, async () => {
      const s = await setup({ timing: { readyTimeoutMs: 700 } })
      const profile = await s.profile({ name: 'Stuck', model: 'standin/hang', engine })
      const response = await s.start(profile.id)
      expect(response.body).toMatchObject({ state: 'failed', pid: null, failure: { reason: 'readiness-timeout' } })
      expect(response.body.failure?.message).toContain('"Stuck" did not pass its readiness check within 700 ms, so it was stopped.')
      const log = readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8')
      expect(log).toContain('not ready after 700 ms; stopping it')
    })
  }

  test('the readiness timeout is counted on the supervisor’s clock: probes go on until it has passed, not before', async () => {
    // A clock the test owns: each pause between probes moves it on at once, so ten minutes pass in no time.
    let now = 0
    const clock: SupervisorClock = {
      ...systemSupervisorClock,
      now: () => now,
      delay: async (ms) => {
        now += ms
        await Bun.sleep(0)
      },
    }
    const s = await setup({ timing: { readyTimeoutMs: 10 * 60_000 }, clock })
    const profile = await s.profile({ name: 'Stuck', model: 'standin/hang' })
    const response = await s.start(profile.id)
    expect(response.body).toMatchObject({ state: 'failed', failure: { reason: 'readiness-timeout' } })
    expect(now).toBeGreaterThanOrEqual(10 * 60_000)
    // Given up at the first probe after the deadline: the longest pause between probes is half a second.
    expect(now).toBeLessThan(10 * 60_000 + 500)
  })

  test('stopping a server that is still loading cancels the start', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Slow', model: 'standin/load-5000ms' })
    const started = await s.start(profile.id, false)
    expect(started.body.state).toBe('starting')
    const stopped = await s.stop(profile.id)
    // Stopped while loading: it never got ready (it needed 5 s), and SIGTERM ended it without the grace period running out.
    expect(stopped.body).toMatchObject({ state: 'stopped', failure: null, readyAt: null })
    expect(isAlive(started.body.pid ?? 0)).toBe(false)
    const log = readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8')
    expect(log).toContain('stopping: sent SIGTERM')
    expect(log).not.toContain('still running after')
  })
})

describe('failures after ready', () => {
  test('a crash: failed with the signal and the last words in the log', async () => {
    const s = await setup({ env: { STANDIN_CRASH_AFTER_READY_MS: '200' } })
    const profile = await s.profile({ name: 'Fragile', model: 'standin/crash-after-ready' })
    const events = await s.events()
    expect((await s.start(profile.id)).body.state).toBe('ready')
    const failed = (await events.until(isState(profile.id, 'failed'))).data as ServerStatus
    events.close()
    expect(failed).toMatchObject({ signal: 'SIGKILL', exitCode: null, failure: { reason: 'crashed' }, nextRestartAt: null })
    expect(failed.failure?.message).toContain('"Fragile" stopped unexpectedly: it was killed by SIGKILL: libc++abi: terminating')
  })

  test('dying in the middle of a streamed answer', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Midway', model: 'standin/die-mid-stream' })
    const ready = await s.start(profile.id)
    const events = await s.events()
    const response = await fetch(`${ready.body.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'tell me a long story please' }], stream: true }),
    })
    const text = await response.text().catch(() => 'stream broke')
    expect(text).not.toContain('[DONE]')
    const failed = (await events.until(isState(profile.id, 'failed'))).data as ServerStatus
    events.close()
    expect(failed.failure?.reason).toBe('crashed')
  })

  test('restart after a crash with growing backoff, then give up', async () => {
    const s = await setup({ env: { STANDIN_CRASH_AFTER_READY_MS: '150' }, timing: { restartBaseMs: 100, maxRestarts: 2 } })
    const profile = await s.profile({ name: 'Phoenix', model: 'standin/crash-after-ready', restartOnCrash: true })
    const events = await s.events()
    await s.start(profile.id)
    const pids = new Set<number>()
    const waits: number[] = []
    for (let crash = 0; crash < 3; crash++) {
      const failed = (await events.until(isState(profile.id, 'failed'))).data as ServerStatus
      expect(failed.restarts).toBe(crash)
      if (crash < 2) {
        expect(failed.failure?.message).toMatch(/Restarting in \d+ ms\.$/)
        waits.push(Date.parse(failed.nextRestartAt ?? '') - Date.parse(failed.stoppedAt ?? ''))
        const ready = (await events.until(isState(profile.id, 'ready'))).data as ServerStatus
        pids.add(ready.pid ?? 0)
      } else {
        expect(failed.nextRestartAt).toBeNull()
        expect(failed.failure?.message).toContain('It crashed 3 times in a row, so it is not restarted again')
      }
    }
    events.close()
    expect(pids.size).toBe(2)
    expect(waits[1] ?? 0).toBeGreaterThan(waits[0] ?? 0)
    // Given up means no restart is armed, rather than none having come yet.
    expect(s.app.serving.supervisor['entries'].get(profile.id)?.restartTimer).toBeNull()
    expect((await s.status(profile.id)).state).toBe('failed')
  })

  test('a server that ran stably before crashing starts its count of crashes in a row afresh', async () => {
    // Up 250 ms counts as stable here (100 ms), so every crash is the first in a row: it is always
    // restarted, though only one restart in a row is allowed.
    const s = await setup({ env: { STANDIN_CRASH_AFTER_READY_MS: '250' }, timing: { restartBaseMs: 50, maxRestarts: 1, stableAfterMs: 100 } })
    const profile = await s.profile({ name: 'Phoenix', model: 'standin/crash-after-ready', restartOnCrash: true })
    const events = await s.events()
    await s.start(profile.id)
    for (let crash = 0; crash < 3; crash++) {
      const failed = (await events.until(isState(profile.id, 'failed'))).data as ServerStatus
      expect(failed.restarts).toBe(0)
      expect(failed.nextRestartAt).not.toBeNull()
      await events.until(isState(profile.id, 'ready'))
    }
    events.close()
    await s.stop(profile.id)
  })

  test('stop cancels a pending restart', async () => {
    const s = await setup({ env: { STANDIN_CRASH_AFTER_READY_MS: '100' }, timing: { restartBaseMs: 2_000 } })
    const profile = await s.profile({ name: 'Phoenix', model: 'standin/crash-after-ready', restartOnCrash: true })
    const events = await s.events()
    await s.start(profile.id)
    const failed = (await events.until(isState(profile.id, 'failed'))).data as ServerStatus
    expect(failed.nextRestartAt).not.toBeNull()
    const stopped = await s.stop(profile.id)
    events.close()
    expect(stopped.body).toMatchObject({ state: 'failed', nextRestartAt: null })
  })
})

describe('stopping', () => {
  test('SIGTERM first; SIGKILL when the grace period runs out', async () => {
    // The grace period is waited on the supervisor's clock: here it runs out once the engine has
    // said it will not stop, not after a length of real time.
    const waits: number[] = []
    let logPath = ''
    const saidNo = () => existsSync(logPath) && readFileSync(logPath, 'utf8').includes('Received SIGTERM; still busy, not stopping.')
    const clock: SupervisorClock = {
      ...systemSupervisorClock,
      within: async (promise, ms) => {
        waits.push(ms)
        // The wait after SIGKILL is the real one: the process must be gone when stop answers.
        if (waits.length > 1) return systemSupervisorClock.within(promise, ms)
        let exited = false
        void promise.then(() => (exited = true))
        await eventually(() => exited || saidNo(), 10_000)
        return exited
      },
    }
    const s = await setup({ timing: { stopGraceMs: 400 }, clock })
    const profile = await s.profile({ name: 'Stubborn', model: 'standin/ignore-sigterm' })
    logPath = join(s.app.home, 'logs', `profile-${profile.id}.log`)
    const ready = await s.start(profile.id)
    const stopped = await s.stop(profile.id)
    expect(waits).toEqual([400, FAST_TIMING.killWaitMs ?? Number.NaN])
    expect(stopped.body).toMatchObject({ state: 'stopped', signal: 'SIGKILL', failure: null })
    expect(isAlive(ready.body.pid ?? 0)).toBe(false)
    const log = readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8')
    expect(log).toContain('Received SIGTERM; still busy, not stopping.')
    expect(log).toContain('still running after 400 ms: sent SIGKILL')
  })

  test('an engine that ignores SIGTERM is sent SIGKILL itself, before anything waits for its exit', async () => {
    // The exit handler also kills what is left of a group once its leader is gone, which would hide a
    // missing escalation; the signals sent, in order, show the escalation happened on its own.
    const signals: string[] = []
    const processes: ProcessHost = {
      ...systemProcessHost,
      signalGroup: (pid, name, groupOnly) => {
        signals.push(`${name}${groupOnly === true ? ' (group only)' : ''}`)
        return systemProcessHost.signalGroup(pid, name, groupOnly)
      },
    }
    const s = await setup({ timing: { stopGraceMs: 300, killWaitMs: 10_000 }, processes })
    const profile = await s.profile({ name: 'Stubborn', model: 'standin/ignore-sigterm' })
    const ready = await s.start(profile.id)
    const stopped = await s.stop(profile.id)
    expect(stopped.body).toMatchObject({ state: 'stopped', signal: 'SIGKILL' })
    expect(signals.slice(0, 2)).toEqual(['SIGTERM', 'SIGKILL'])
    expect(isAlive(ready.body.pid ?? 0)).toBe(false)
  })

  test('helper processes of the engine are stopped with it', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Family', model: 'standin/with-child' })
    const ready = await s.start(profile.id)
    const pid = ready.body.pid ?? 0
    const children = () =>
      Bun.spawnSync(['pgrep', '-g', String(pid)])
        .stdout.toString()
        .split('\n')
        .filter((line) => line.trim() !== '')
    expect(children().length).toBeGreaterThanOrEqual(2)
    await s.stop(profile.id)
    // Signalled with the group; the kernel may take a moment to reap it.
    await eventually(() => children().length === 0, 2_000)
  })

  test('after an engine is gone, the group-only kill leaves a process that took over its pid alone', async () => {
    // A process in the test's own group: its pid leads no group, as a reused pid would not.
    const bystander = Bun.spawn(['sleep', '30'], { stdout: 'ignore', stderr: 'ignore' })
    try {
      expect(systemProcessHost.signalGroup(bystander.pid, 'SIGKILL', true)).toBe(false)
      expect(systemProcessHost.isAlive(bystander.pid)).toBe(true)
      // Without `groupOnly` the fallback does reach it, so the check above is the guard at work.
      expect(systemProcessHost.signalGroup(bystander.pid, 'SIGKILL')).toBe(true)
      await bystander.exited
      expect(bystander.signalCode).toBe('SIGKILL')
    } finally {
      bystander.kill()
    }
  })
})
