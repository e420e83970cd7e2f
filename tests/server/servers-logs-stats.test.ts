import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerStatsEvent } from '../../shared/servers'
import { cleanLine } from '../../server/features/servers/logs'
import { parseLinuxStat, parsePsTime, type ProcessRow } from '../../server/features/servers/process-table'
import { TreeStats, treeMembers } from '../../server/features/servers/stats'
import { findErrorLine } from '../../server/features/servers/failure'
import { eventually, servingApp, type ServingApp } from '../fixtures/engine/harness'
import { sseReader } from './helpers'

const open: ServingApp[] = []
const aborts: AbortController[] = []
afterEach(async () => {
  for (const controller of aborts.splice(0)) controller.abort()
  await Promise.all(open.splice(0).map((app) => app.close()))
})

async function setup(options: Parameters<typeof servingApp>[0] = {}) {
  const app = await servingApp(options)
  open.push(app)
  return app
}

async function logStream(s: ServingApp, profileId: number, query = '') {
  const controller = new AbortController()
  aborts.push(controller)
  const response = await s.app.call('GET', `/api/servers/${profileId}/logs${query}`, { token: s.token, signal: controller.signal })
  return { response, events: sseReader(response) }
}

async function chat(baseUrl: string, content: string) {
  const response = await fetch(`${baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content }] }) })
  return (await response.json()) as unknown
}

describe('server logs over SSE', () => {
  test('the tail first, then each new line as the engine writes it', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: 'mlx-community/Qwen3-4B-4bit' })
    const ready = await s.start(profile.id)
    const { response, events } = await logStream(s, profile.id)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const [tail] = await events.next(1)
    expect(tail?.event).toBe('tail')
    const lines = (tail?.data as { lines: string[] }).lines
    expect(lines[0]).toContain('[mlx-manager]')
    expect(lines[0]).toContain('starting mlx-openai-server:')
    expect(lines.some((line) => line.includes('Application startup complete.'))).toBe(true)
    // Colours and timestamps as the engine prints them, without ANSI escapes.
    expect(lines.every((line) => !line.includes('\u001b['))).toBe(true)

    await chat(ready.body.baseUrl, 'hello')
    const seen: string[] = []
    while (!seen.some((line) => line.includes('"POST /v1/chat/completions HTTP/1.1" 200'))) {
      const [next] = await events.next(1)
      expect(next?.event).toBe('lines')
      seen.push(...(next?.data as { lines: string[] }).lines)
    }
    await s.stop(profile.id)
    while (!seen.some((line) => line.includes('exited with code 0'))) {
      const [next] = await events.next(1)
      seen.push(...(next?.data as { lines: string[] }).lines)
    }
  })

  test('a stopped server’s log is read from its file; ?tail limits it; bad requests are 4xx', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: 'standin/crash-at-start' })
    await s.start(profile.id)
    const { events } = await logStream(s, profile.id, '?tail=2')
    const [tail] = await events.next(1)
    expect((tail?.data as { lines: string[] }).lines).toEqual([
      expect.stringContaining("FileNotFoundError: [Errno 2] No such file or directory: 'standin/crash-at-start/model.safetensors'") as unknown as string,
      expect.stringContaining('exited with code 1') as unknown as string,
    ])
    expect((await s.app.json('GET', `/api/servers/${profile.id}/logs?tail=-1`, { token: s.token })).status).toBe(400)
    expect((await s.app.json('GET', `/api/servers/${profile.id}/logs?tail=lots`, { token: s.token })).status).toBe(400)
    expect((await s.app.json('GET', '/api/servers/999/logs', { token: s.token })).status).toBe(404)
    expect((await s.app.json('GET', `/api/servers/${profile.id}/logs`)).status).toBe(401)
  })

  test('a new run starts a new file; a large log is rotated while the engine runs', async () => {
    const s = await setup({ logOptions: { maxBytes: 2_000, pollMs: 50 }, env: { STANDIN_TOKENS_PER_SECOND: '10000' } })
    const profile = await s.profile({ name: 'Chatty', model: 'mlx-community/Qwen3-4B-4bit' })
    const path = join(s.app.home, 'logs', `profile-${profile.id}.log`)
    await s.start(profile.id)
    await s.stop(profile.id)
    const ready = await s.start(profile.id)
    expect(existsSync(`${path}.1`)).toBe(true)
    for (let i = 0; i < 40; i++) await chat(ready.body.baseUrl, `message ${i}`)
    // The rotation happens on the log's next poll: wait for it, not for a fixed time.
    await eventually(() => existsSync(`${path}.2`))
    expect(statSync(path).size).toBeLessThan(4_000)
    // The engine keeps writing into the emptied file (it holds it open in append mode).
    await chat(ready.body.baseUrl, 'after rotation')
    await eventually(() => statSync(path).size > 0)
    expect(existsSync(`${path}.4`)).toBe(false)
  })
})

describe('CPU and memory of the process tree', () => {
  test('servers.stats events sum the engine and its helper; sampling stops when nothing runs', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Family', model: 'standin/with-child' })
    const events = await s.events()
    await s.start(profile.id)
    let stats: ServerStatsEvent | null = null
    // The helper holds 24 MB of its own; the tree's RSS includes it once it has started.
    while (stats === null || (stats.servers[0]?.rssBytes ?? 0) < 24 * 2 ** 20 + 20 * 2 ** 20) {
      stats = (await events.until((e) => e.event === 'servers.stats')).data as ServerStatsEvent
      expect(stats.servers.map((sample) => sample.profileId)).toEqual([profile.id])
    }
    expect(typeof stats.servers[0]?.cpuPercent).toBe('number')
    const status = await s.status(profile.id)
    expect(status.rssBytes).toBeGreaterThan(24 * 2 ** 20)
    await s.stop(profile.id)
    await events.until((e) => e.event === 'servers.state' && (e.data as { state: string }).state === 'stopped')
    // Nothing runs, so the sampling timer is gone (checked, rather than waited out).
    expect(s.app.serving.supervisor['sampling'].active).toBe(false)
    events.close()
  })
})

describe('pure pieces', () => {
  const row = (pid: number, ppid: number, pgid: number, cpuSeconds: number, rssBytes: number): ProcessRow => ({ pid, ppid, pgid, cpuSeconds, rssBytes })

  test('the tree is the descendants plus the process group', () => {
    const rows = [row(1, 0, 1, 0, 0), row(10, 1, 10, 0, 0), row(11, 10, 10, 0, 0), row(12, 11, 12, 0, 0), row(13, 1, 10, 0, 0), row(20, 1, 20, 0, 0)]
    expect(treeMembers(rows, 10).map((r) => r.pid).sort((a, b) => a - b)).toEqual([10, 11, 12, 13])
  })

  test('CPU % is the change in CPU time over the interval, never negative', () => {
    let rows = [row(10, 1, 10, 1.0, 100), row(11, 10, 10, 2.0, 50)]
    let now = 0
    const stats = new TreeStats({ read: () => rows }, () => now)
    expect(stats.sample([{ profileId: 1, pid: 10 }])).toEqual([{ profileId: 1, cpuPercent: 0, rssBytes: 150 }])
    rows = [row(10, 1, 10, 1.5, 100), row(11, 10, 10, 2.25, 60)]
    now = 1000
    expect(stats.sample([{ profileId: 1, pid: 10 }])).toEqual([{ profileId: 1, cpuPercent: 75, rssBytes: 160 }])
    // The helper exited: its past CPU time does not count against the interval.
    rows = [row(10, 1, 10, 1.6, 100)]
    now = 2000
    expect(stats.sample([{ profileId: 1, pid: 10 }])).toEqual([{ profileId: 1, cpuPercent: 10, rssBytes: 100 }])
  })

  test('/proc/<pid>/stat with a command name holding spaces and parentheses', () => {
    const stat = '4242 (python (mlx) x) S 4000 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 8 0 100 1000000 2560 18446744073709551615'
    expect(parseLinuxStat(stat, 100, 4096)).toEqual({ pid: 4242, ppid: 4000, pgid: 4242, cpuSeconds: 3, rssBytes: 2560 * 4096 })
  })

  test('ps CPU times', () => {
    expect(parsePsTime('0:01.50')).toBe(1.5)
    expect(parsePsTime('12:03.00')).toBe(723)
    expect(parsePsTime('01:00:00')).toBe(3600)
    expect(parsePsTime('2-01:00:00')).toBe(2 * 86_400 + 3600)
  })

  test('log lines lose colours and keep the last state of a progress bar', () => {
    expect(cleanLine('\u001b[32m2025-01-01\u001b[0m | \u001b[1mINFO\u001b[0m')).toBe('2025-01-01 | INFO')
    expect(cleanLine('Fetching 10%\rFetching 50%\rFetching 100%\r')).toBe('Fetching 100%')
    expect(cleanLine('x'.repeat(5000))).toHaveLength(4001)
  })

  test('the most telling error line of a log tail', () => {
    expect(findErrorLine(['INFO ok', 'Traceback (most recent call last):', '  File "x.py"', 'OSError: [Errno 48] Address already in use'])).toBe(
      'OSError: [Errno 48] Address already in use',
    )
    expect(findErrorLine(['2025 | ERROR    | app.main:lifespan:98 | ✦ Failed to initialize MLX handler: boom', 'ERROR:    Application startup failed.'])).toBe(
      'Failed to initialize MLX handler: boom',
    )
    expect(findErrorLine(['[mlx-manager] x exited with code 1 ERROR', 'all fine'])).toBeNull()
    expect(findErrorLine(['mlx_lm.server: error: unrecognized arguments: --x'])).toBe('mlx_lm.server: error: unrecognized arguments: --x')
  })
})
