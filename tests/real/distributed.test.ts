/**
 * A distributed profile for real: two ranks of the real mlx_lm.server on this machine (both hosts
 * loopback, so mlx.launch runs them without SSH) over the ring backend, serving the tiny model,
 * started, chatted with, stopped and broken through the product.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Host, HostCheck } from '../../shared/hosts'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import { eventually, freePort } from '../fixtures/engine/harness'
import { sseReader, type SseEvent, type TestApp } from '../server/helpers'
import { buildTinyModel, engineEnvironment, removeDir, realManager } from './setup'

let app: TestApp
let token = ''
let venv = ''
let modelDir = ''

/**
 * Pipeline mode picks each rank's weights from model.safetensors.index.json (what mlx_lm.convert
 * writes for every model); the tiny model is one file, so its index is written from its header.
 */
function writeWeightIndex(folder: string): void {
  const bytes = readFileSync(join(folder, 'model.safetensors'))
  const length = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>
  const weightMap = Object.fromEntries(Object.keys(header).filter((key) => key !== '__metadata__').map((key) => [key, 'model.safetensors']))
  writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }))
}

/** Every live process whose command line mentions `text` (the model folder is in every rank's). */
function processesWith(text: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry))
    } catch {
      // Gone while we looked.
    }
  }
  return found
}

/** The rank's own process: the server, with MLX_RANK in its environment. */
function rankPid(rank: number): number | null {
  for (const pid of processesWith(modelDir)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (!cmdline.includes('bin/mlx_lm.server') || cmdline.includes('mlx.launch') || cmdline.startsWith('/bin/bash')) continue
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MLX_RANK=${rank}`)) return pid
    } catch {
      // Gone while we looked.
    }
  }
  return null
}

beforeAll(async () => {
  venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
  modelDir = await buildTinyModel(venv)
  writeWeightIndex(modelDir)
  // The model is a local folder: no hub is asked for anything.
  ;({ app, token } = await realManager(venv, 'http://127.0.0.1:9', { prefix: 'mlx-manager-real-distributed-', readyTimeoutMs: 90_000 }))
}, 900_000)

afterAll(async () => {
  await app?.serving.supervisor.stopAll()
  if (modelDir !== '') removeDir(modelDir)
})

const api = <T>(method: string, path: string, body?: unknown) => app.json<T>(method, path, { token, ...(body === undefined ? {} : { body }) })

async function chat(profileId: number): Promise<SseEvent[]> {
  const response = await app.call('POST', '/api/chat', { token, body: { profileId, maxTokens: 8, messages: [{ role: 'user', content: 'Hi' }] } })
  expect(response.status).toBe(200)
  const reader = sseReader(response)
  const events: SseEvent[] = []
  for (;;) {
    const batch = await reader.next(1, 120_000)
    if (batch.length === 0) throw new Error(`chat stalled after ${JSON.stringify(events.slice(-3))}`)
    events.push(...batch)
    const last = events.at(-1)
    if (last?.event === 'done' || last?.event === 'error') return events
  }
}

describe('a distributed profile on the real mlx.launch and mlx_lm.server', () => {
  test('two ranks on loopback: checked, refused in a mode the model cannot split, started on demand, chatted with, stopped with nothing left', async () => {
    const host = await api<Host>('POST', '/api/hosts', { name: 'this machine', address: '127.0.0.1', local: true, pythonEnv: venv })
    expect(host.status).toBe(201)
    const check = await api<HostCheck>('POST', `/api/hosts/${host.body.id}/check`, {})
    expect(check.body.ok).toBe(true)
    expect(check.body.facts.mlx).toMatch(/^0\.\d+/)
    expect(check.body.facts.mlxLm).toMatch(/^0\.\d+/)

    const created = await api<Profile>('POST', '/api/profiles', {
      name: 'Tiny across two',
      model: modelDir,
      engine: 'mlx_lm.server',
      port: await freePort(),
      distributedHosts: [host.body.id, host.body.id],
      distributedBackend: 'ring',
      distributedMode: 'tensor',
    })
    expect(created.status).toBe(201)
    const id = created.body.id
    // 4-bit in groups of 64, 64 wide: a tensor-parallel split gives 32-wide slices that cannot be quantized.
    const refused = await api<{ error: { code: string; message: string } }>('POST', `/api/servers/${id}/start`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('cannot-split')
    expect(refused.body.error.message).toContain('quantization group size 64')
    await api('PATCH', `/api/profiles/${id}`, { distributedMode: 'pipeline' })

    // The chat starts it on demand, as it would any profile.
    const events = await chat(id)
    expect(events.filter((event) => event.event === 'token').length).toBeGreaterThan(0)
    expect(events.at(-1)?.event).toBe('done')
    const status = (await api<ServerStatus>('GET', `/api/servers/${id}`)).body
    expect(status.state).toBe('ready')
    expect(status.command?.[0]).toEndWith('/bin/mlx.launch')
    expect(status.command).toContain('--pipeline')
    expect(status.ranks?.map((rank) => [rank.rank, rank.hostName, rank.state])).toEqual([
      [0, 'this machine', 'ready'],
      [1, 'this machine', 'ready'],
    ])
    const hostfilePath = status.command?.[(status.command?.indexOf('--hostfile') ?? 0) + 1] ?? ''
    expect(hostfilePath).toEndWith(`/run/hostfile-${id}.json`)
    const hostfile = JSON.parse(readFileSync(hostfilePath, 'utf8')) as { hosts: { ssh: string }[] }
    expect(hostfile.hosts.map((entry) => entry.ssh)).toEqual(['127.0.0.1', '127.0.0.1'])
    // mlx.launch reaches other hosts with `ssh` from its PATH: the manager's client, never asking for a password.
    expect(readFileSync(join(hostfilePath, '..', 'ssh-bin', 'ssh'), 'utf8')).toMatch(/^#!\/bin\/sh\nexec '\/.*ssh' -o BatchMode=yes "\$@"/)
    // Every rank's own log lines are in the server's log, tagged.
    const logs = await app.call('GET', `/api/servers/${id}/logs/download`, { token })
    const text = await logs.text()
    expect(text).toContain('[rank 0] ')
    expect(text).toContain('[rank 1] ')

    // The gateway serves it by name like any other profile.
    const key = (await api<CreatedApiKey>('POST', '/api/keys', { name: 'distributed' })).body
    const answer = await app.call('POST', '/v1/chat/completions', { token: key.key, body: { model: 'Tiny across two', max_tokens: 4, messages: [{ role: 'user', content: 'Hi' }] } })
    expect(answer.status).toBe(200)
    expect(((await answer.json()) as { choices: unknown[] }).choices.length).toBe(1)

    expect(processesWith(modelDir).length).toBeGreaterThanOrEqual(2)
    const stopped = await api<ServerStatus>('POST', `/api/servers/${id}/stop`)
    expect(stopped.body.state).toBe('stopped')
    expect(stopped.body.ranks?.map((rank) => rank.state)).toEqual(['stopped', 'stopped'])
    await eventually(() => processesWith(modelDir).length === 0, 10_000)
  }, 300_000)

  test('a rank that dies takes the profile to failed with that rank’s error, and the other rank is stopped', async () => {
    const profiles = (await api<Profile[]>('GET', '/api/profiles')).body
    const profile = profiles.find((item) => item.name === 'Tiny across two')
    if (profile === undefined) throw new Error('the first test made no profile')
    const started = await api<ServerStatus>('POST', `/api/servers/${profile.id}/start?wait=true`)
    expect(started.body.state).toBe('ready')
    const victim = rankPid(1)
    expect(victim).not.toBeNull()
    process.kill(victim ?? 0, 'SIGKILL')
    await eventually(async () => (await api<ServerStatus>('GET', `/api/servers/${profile.id}`)).body.state === 'failed', 20_000)
    const failed = (await api<ServerStatus>('GET', `/api/servers/${profile.id}`)).body
    expect(failed.failure?.reason).toBe('crashed')
    expect(failed.failure?.message).toContain('rank 1 on this machine (127.0.0.1) was killed by signal 9')
    expect(failed.ranks?.[1]).toMatchObject({ state: 'exited', exitCode: -9 })
    await eventually(() => processesWith(modelDir).length === 0, 10_000)
    const hostfilePath = failed.command?.[(failed.command?.indexOf('--hostfile') ?? 0) + 1] ?? ''
    expect(existsSync(join(hostfilePath, '..', `${profile.id}.pid`))).toBe(false)
  }, 300_000)
})
