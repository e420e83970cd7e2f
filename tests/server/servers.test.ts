import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerStatus } from '../../shared/servers'
import { ENGINE_DIR, eventually, freePort, isAlive, isState, servingApp, type ServingApp } from '../fixtures/engine/harness'
import { tempDir } from './helpers'

const open: ServingApp[] = []
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await Promise.all(open.splice(0).map((app) => app.close()))
})

async function setup(options: Parameters<typeof servingApp>[0] = {}) {
  const app = await servingApp(options)
  open.push(app)
  return app
}

const MODEL = 'mlx-community/Qwen3-4B-4bit'

/** A chat template in the manager's templates folder, one of the places templates may come from. */
function templateIn(s: ServingApp, name: string, text = '{{ messages }}'): string {
  const dir = join(s.app.home, 'templates')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}

describe('a server’s life', () => {
  test('starting → ready → stopping → stopped, each pushed over /api/events', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: MODEL })
    const events = await s.events()
    const started = await s.start(profile.id, false)
    expect(started.status).toBe(202)
    expect(started.body).toMatchObject({ profileId: profile.id, name: 'Qwen', state: 'starting', port: profile.port, engine: 'mlx-openai-server' })
    expect(started.body.pid).toBeGreaterThan(0)
    expect(started.body.command?.[0]).toBe(join(ENGINE_DIR, 'mlx-openai-server'))
    const pidFile = join(s.app.home, 'run', `profile-${profile.id}.json`)
    expect(JSON.parse(readFileSync(pidFile, 'utf8'))).toMatchObject({ profileId: profile.id, pid: started.body.pid, port: profile.port })

    await events.until(isState(profile.id, 'starting'))
    const ready = (await events.until(isState(profile.id, 'ready'))).data as ServerStatus
    expect(ready.baseUrl).toBe(`http://127.0.0.1:${profile.port}/v1`)
    expect(Date.parse(ready.readyAt ?? '') - Date.parse(ready.startedAt ?? '')).toBeGreaterThanOrEqual(100)
    const models = (await (await fetch(`${ready.baseUrl}/models`)).json()) as { data: { id: string }[] }
    expect(models.data[0]?.id).toBe(MODEL)

    const stopped = await s.stop(profile.id)
    expect(stopped.status).toBe(200)
    expect(stopped.body).toMatchObject({ state: 'stopped', pid: null, exitCode: 0, failure: null, cpuPercent: null })
    await events.until(isState(profile.id, 'stopping'))
    await events.until(isState(profile.id, 'stopped'))
    events.close()
    expect(isAlive(started.body.pid ?? 0)).toBe(false)
    expect(existsSync(pidFile)).toBe(false)
    const log = readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8')
    expect(log).toContain('[mlx-manager]')
    expect(log).toContain('Uvicorn running on')
    expect(log).toContain('stopping: sent SIGTERM')
    expect(log).toContain('exited with code 0')
  })

  test('mlx_lm.server answers /health before its model loads; ready waits for a one-token completion', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'LM', model: 'standin/load-900ms', engine: 'mlx_lm.server' })
    await s.start(profile.id, false)
    await eventually(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${profile.port}/health`)).status === 200
      } catch {
        return false
      }
    })
    expect((await s.status(profile.id)).state).toBe('starting')
    const events = await s.events()
    const ready = (await events.until(isState(profile.id, 'ready'))).data as ServerStatus
    events.close()
    expect(Date.parse(ready.readyAt ?? '') - Date.parse(ready.startedAt ?? '')).toBeGreaterThanOrEqual(800)
  })

  test('?wait=true answers once ready; a second start and a delete are refused while it runs', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: MODEL })
    const ready = await s.start(profile.id)
    expect(ready.status).toBe(200)
    expect(ready.body.state).toBe('ready')
    const again = await s.start(profile.id)
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ error: { code: 'server-running', message: 'The server of "Qwen" is already running.' } })
    const deleted = await s.app.json('DELETE', `/api/profiles/${profile.id}`, { token: s.token })
    expect(deleted.status).toBe(409)
    expect(deleted.body).toMatchObject({ error: { code: 'server-running' } })
    await s.stop(profile.id)
    expect((await s.app.call('DELETE', `/api/profiles/${profile.id}`, { token: s.token })).status).toBe(204)
    expect((await s.app.json('GET', '/api/servers', { token: s.token })).body).toEqual([])
  })

  test('stop and restart when nothing runs are harmless; restart gives a new process', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: MODEL })
    expect((await s.stop(profile.id)).body.state).toBe('stopped')
    const first = await s.restart(profile.id)
    expect(first.body.state).toBe('ready')
    const second = await s.restart(profile.id)
    expect(second.body.state).toBe('ready')
    expect(second.body.pid).not.toBe(first.body.pid)
    expect(isAlive(first.body.pid ?? 0)).toBe(false)
  })

  test('GET /api/servers lists every profile, running or not; unknown ids are 404', async () => {
    const s = await setup()
    const a = await s.profile({ name: 'A', model: MODEL })
    const b = await s.profile({ name: 'B', model: MODEL, engine: 'mlx_lm.server' })
    await s.start(a.id)
    const list = await s.app.json<ServerStatus[]>('GET', '/api/servers', { token: s.token })
    expect(list.body.map((server) => [server.name, server.state, server.port])).toEqual([
      ['A', 'ready', a.port],
      ['B', 'stopped', b.port],
    ])
    expect((await s.app.json('POST', '/api/servers/999/start', { token: s.token })).status).toBe(404)
    expect((await s.app.json('GET', '/api/servers/abc', { token: s.token })).status).toBe(400)
    expect((await s.app.json('GET', '/api/servers')).status).toBe(401)
  })

  test('editing a running profile marks it for a restart, which applies the change', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: MODEL })
    await s.start(profile.id)
    const events = await s.events()
    const newPort = await freePort()
    await s.app.json('PATCH', `/api/profiles/${profile.id}`, { token: s.token, body: { port: newPort, name: 'Qwen 2' } })
    const marked = (await events.until((e) => e.event === 'servers.state' && (e.data as ServerStatus).needsRestart)).data as ServerStatus
    events.close()
    // Still the running process and its port until it restarts.
    expect(marked).toMatchObject({ state: 'ready', name: 'Qwen 2', port: profile.port })
    const restarted = await s.restart(profile.id)
    expect(restarted.body).toMatchObject({ state: 'ready', port: newPort, needsRestart: false })
  })
})

describe('exact command lines reach the engine', () => {
  test('mlx-openai-server with every option', async () => {
    const argsFile = join(tempDir(), 'args.json')
    const s = await setup({ env: { STANDIN_ARGS_FILE: argsFile } })
    const template = templateIn(s, 'chat.jinja')
    const profile = await s.profile({
      name: 'Full',
      model: MODEL,
      contextLength: 16384,
      toolCallParser: 'qwen3',
      reasoningParser: 'qwen3',
      autoToolChoice: true,
      chatTemplateFile: template,
      trustRemoteCode: true,
      extraArgs: ['--decode-concurrency', '2'],
    })
    const ready = await s.start(profile.id)
    expect(ready.body.state).toBe('ready')
    const expected = [
      'launch',
      '--model-path',
      MODEL,
      '--model-type',
      'lm',
      '--host',
      '127.0.0.1',
      '--port',
      String(profile.port),
      '--context-length',
      '16384',
      '--tool-call-parser',
      'qwen3',
      '--reasoning-parser',
      'qwen3',
      '--enable-auto-tool-choice',
      '--chat-template-file',
      realpathSync(template),
      '--trust-remote-code',
      '--no-log-file',
      '--decode-concurrency',
      '2',
    ]
    expect(ready.body.command).toEqual([join(ENGINE_DIR, 'mlx-openai-server'), ...expected])
    expect(JSON.parse(readFileSync(argsFile, 'utf8'))).toEqual({ flavor: 'mlx-openai-server', argv: expected })
  })

  test('mlx_lm.server gets the chat template’s text', async () => {
    const argsFile = join(tempDir(), 'args.json')
    const s = await setup({ env: { STANDIN_ARGS_FILE: argsFile } })
    const template = templateIn(s, 'chat.jinja', "{% for m in messages %}{{ m['content'] }}\n{% endfor %}")
    const profile = await s.profile({ name: 'LM', model: MODEL, engine: 'mlx_lm.server', temperature: 0.2, topP: 0.9, maxTokens: 64, chatTemplateFile: template })
    expect((await s.start(profile.id)).body.state).toBe('ready')
    expect((JSON.parse(readFileSync(argsFile, 'utf8')) as { argv: string[] }).argv).toEqual([
      '--model',
      MODEL,
      '--host',
      '127.0.0.1',
      '--port',
      String(profile.port),
      '--temp',
      '0.2',
      '--top-p',
      '0.9',
      '--max-tokens',
      '64',
      '--chat-template',
      "{% for m in messages %}{{ m['content'] }}\n{% endfor %}",
    ])
  })

  test('a custom command template, ready when /v1/models answers', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Custom', model: MODEL, engine: 'custom', customCommand: 'mlx_lm.server --model {model} --host {host} --port {port}' })
    const ready = await s.start(profile.id)
    expect(ready.body).toMatchObject({ state: 'ready', engine: 'custom' })
    expect(ready.body.command).toEqual([join(ENGINE_DIR, 'mlx_lm.server'), '--model', MODEL, '--host', '127.0.0.1', '--port', String(profile.port)])
  })

  test('a chat template gone since the save is a 400 before anything starts', async () => {
    const s = await setup()
    const template = templateIn(s, 'chat.jinja')
    const profile = await s.profile({ name: 'LM', model: MODEL, engine: 'mlx_lm.server', chatTemplateFile: template })
    rmSync(template)
    const response = await s.start(profile.id)
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({ error: { code: 'chat-template-unreadable' } })
    expect((await s.status(profile.id)).state).toBe('stopped')
  })
})

describe('refusals before anything starts', () => {
  test('a port another program took since the profile was saved', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: MODEL })
    const other = Bun.serve({ port: profile.port, hostname: '127.0.0.1', fetch: () => new Response('not an engine') })
    cleanups.push(() => other.stop(true))
    const response = await s.start(profile.id)
    expect(response.status).toBe(409)
    expect(response.body).toMatchObject({ error: { code: 'port-in-use' } })
    expect((response.body as unknown as { error: { message: string } }).error.message).toContain(`Port ${profile.port} on 127.0.0.1 is in use by another program.`)
    expect((await s.status(profile.id)).state).toBe('stopped')
  })

  test('a missing engine says how to install it', async () => {
    const s = await setup({ bare: true })
    const profile = await s.profile({ name: 'Qwen', model: MODEL, engine: 'mlx_lm.server' })
    const response = await s.start(profile.id)
    expect(response.status).toBe(409)
    expect(response.body).toMatchObject({ error: { code: 'engine-missing' } })
    expect(JSON.stringify(response.body)).toContain('pip install mlx-lm')
  })

  test('a parser the installed engine does not offer', async () => {
    const s = await setup()
    const profile = await s.profile({ name: 'Qwen', model: MODEL, toolCallParser: 'made_up' })
    const response = await s.start(profile.id)
    expect(response.status).toBe(409)
    expect(response.body).toMatchObject({ error: { code: 'engine-option-unsupported' } })
  })
})

describe('auto-start and shutdown', () => {
  test('auto-start starts marked profiles; one that cannot start shows why on its tile', async () => {
    const s = await setup()
    const auto = await s.profile({ name: 'Auto', model: MODEL, autoStart: true })
    const blocked = await s.profile({ name: 'Blocked', model: MODEL, autoStart: true })
    const manual = await s.profile({ name: 'Manual', model: MODEL })
    const other = Bun.serve({ port: blocked.port, hostname: '127.0.0.1', fetch: () => new Response('not an engine') })
    cleanups.push(() => other.stop(true))
    await s.app.serving.supervisor.autoStart()
    expect((await s.status(auto.id)).state).toBe('starting')
    const failed = await s.status(blocked.id)
    expect(failed).toMatchObject({ state: 'failed', failure: { reason: 'spawn-failed' } })
    expect(failed.failure?.message).toContain('in use by another program')
    expect((await s.status(manual.id)).state).toBe('stopped')
  })

  test('stopAll stops every server and leaves no pid files', async () => {
    const s = await setup()
    const a = await s.profile({ name: 'A', model: MODEL })
    const b = await s.profile({ name: 'B', model: 'standin/load-5000ms', engine: 'mlx_lm.server' })
    const ready = await s.start(a.id)
    const starting = await s.start(b.id, false)
    await s.app.serving.supervisor.stopAll()
    expect((await s.status(a.id)).state).toBe('stopped')
    expect((await s.status(b.id)).state).toBe('stopped')
    expect(isAlive(ready.body.pid ?? 0) || isAlive(starting.body.pid ?? 0)).toBe(false)
    expect(s.app.serving.supervisor.isActive(a.id)).toBe(false)
    const start = await s.start(a.id)
    expect(start.status).toBe(409)
    expect(start.body).toMatchObject({ error: { code: 'shutting-down' } })
  })
})
