import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { engineEnvironment } from '../../server/features/engines/environment'
import type { EngineHost } from '../../server/features/engines/host'
import { EngineService } from '../../server/features/engines/service'
import { spawnFailureReason } from '../../server/features/servers/failure'
import { createPidFiles } from '../../server/features/servers/pid-files'
import { sameCommand } from '../../server/features/servers/process-host'
import { ChatTemplateRules, type TemplateFiles } from '../../server/features/templates/location'
import type { Profile } from '../../shared/profiles'
import type { TemplateFile } from '../../shared/templates'
import { FAST_TIMING, isState, servingApp, standinEnv, type ServingApp } from '../fixtures/engine/harness'
import { createTestApp, tempDir } from './helpers'

const open: ServingApp[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()))
})

async function setup(options: Parameters<typeof servingApp>[0] = {}) {
  const app = await servingApp(options)
  open.push(app)
  return app
}

const MODEL = 'mlx-community/Qwen3-4B-4bit'
/** Text that must never come back from the manager: any response, event, log line or error holding it leaked the file. */
const MARKER = 'zq-template-marker-7f3a91'
const TEMPLATE = `{# ${MARKER} #}{% for m in messages %}{{ m['content'] }}\n{% endfor %}`

function templatesDir(s: ServingApp): string {
  const dir = join(s.app.home, 'templates')
  mkdirSync(dir, { recursive: true })
  return dir
}

function templateIn(s: ServingApp, name: string, text: string | Uint8Array = TEMPLATE): string {
  const path = join(templatesDir(s), name)
  writeFileSync(path, text)
  return path
}

/** A secret-looking file outside every allowed folder. */
function outsideFile(): string {
  const path = join(tempDir(), 'secret.txt')
  writeFileSync(path, `token=${MARKER}`)
  return path
}

const createLm = (s: ServingApp, chatTemplateFile: string, model = MODEL) =>
  s.app.json<Profile>('POST', '/api/profiles', { token: s.token, body: { name: `LM ${Math.random()}`, model, engine: 'mlx_lm.server', chatTemplateFile } })

function expectNoMarker(value: unknown): void {
  expect(typeof value === 'string' ? value : JSON.stringify(value)).not.toContain(MARKER)
}

function expectRefused(response: { status: number; body: unknown }, code: string, s: ServingApp): void {
  expect(response.status).toBe(400)
  expect(response.body).toMatchObject({ error: { code } })
  const message = (response.body as { error: { message: string } }).error.message
  // It says where templates may live, and never what the file holds.
  expect(message).toContain(s.app.config.hfHubCache)
  expect(message).toContain(join(s.app.home, 'templates'))
  expectNoMarker(response.body)
}

describe('where a chat template may come from', () => {
  test('on create: outside the allowed folders, a symlink out of one, a folder and a binary file are refused', async () => {
    const s = await setup()
    expectRefused(await createLm(s, outsideFile()), 'chat-template-not-allowed', s)
    expectRefused(await createLm(s, '/etc/hostname'), 'chat-template-not-allowed', s)
    // A missing file elsewhere gets the same answer as a forbidden one: no probing for what exists.
    expectRefused(await createLm(s, '/nonexistent/chat.jinja'), 'chat-template-not-allowed', s)
    const link = join(templatesDir(s), 'link.jinja')
    symlinkSync(outsideFile(), link)
    expectRefused(await createLm(s, link), 'chat-template-not-allowed', s)
    mkdirSync(join(templatesDir(s), 'folder.jinja'))
    expectRefused(await createLm(s, join(templatesDir(s), 'folder.jinja')), 'chat-template-unreadable', s)
    const binary = templateIn(s, 'binary.jinja', new Uint8Array([...new TextEncoder().encode(MARKER), 0, 1, 2, 255]))
    expectRefused(await createLm(s, binary), 'chat-template-unreadable', s)
    expectRefused(await createLm(s, join(templatesDir(s), 'missing.jinja')), 'chat-template-unreadable', s)
    expect((await s.app.json<Profile[]>('GET', '/api/profiles', { token: s.token })).body).toEqual([])
  })

  test('on create: the templates folder, the HuggingFace cache (through its snapshot symlinks) and a local model’s folder are accepted', async () => {
    const s = await setup()
    expect((await createLm(s, templateIn(s, 'ok.jinja'))).status).toBe(201)
    const repo = join(s.app.config.hfHubCache, 'models--mlx-community--Qwen3-4B-4bit')
    mkdirSync(join(repo, 'blobs'), { recursive: true })
    mkdirSync(join(repo, 'snapshots', 'c0ffee'), { recursive: true })
    writeFileSync(join(repo, 'blobs', 'abc123'), TEMPLATE)
    symlinkSync('../../blobs/abc123', join(repo, 'snapshots', 'c0ffee', 'chat_template.jinja'))
    expect((await createLm(s, join(repo, 'snapshots', 'c0ffee', 'chat_template.jinja'))).status).toBe(201)

    const local = tempDir()
    writeFileSync(join(local, 'chat_template.jinja'), TEMPLATE)
    // Without a config.json the folder is not a model's: naming "/" or a home folder as the model opens nothing.
    expectRefused(await createLm(s, join(local, 'chat_template.jinja'), local), 'chat-template-not-allowed', s)
    writeFileSync(join(local, 'config.json'), '{"model_type": "qwen3"}')
    expect((await createLm(s, join(local, 'chat_template.jinja'), local)).status).toBe(201)
    // Another model's folder is not this one's.
    expectRefused(await createLm(s, join(local, 'chat_template.jinja'), MODEL), 'chat-template-not-allowed', s)
  })

  test('on update: a template outside the allowed folders is refused and the profile is unchanged', async () => {
    const s = await setup()
    const created = (await createLm(s, templateIn(s, 'ok.jinja'))).body
    const patch = (chatTemplateFile: string) => s.app.json<Profile>('PATCH', `/api/profiles/${created.id}`, { token: s.token, body: { chatTemplateFile } })
    expectRefused(await patch(outsideFile()), 'chat-template-not-allowed', s)
    const link = join(templatesDir(s), 'out.jinja')
    symlinkSync(outsideFile(), link)
    expectRefused(await patch(link), 'chat-template-not-allowed', s)
    expectRefused(await patch(templatesDir(s)), 'chat-template-unreadable', s)
    expect((await s.app.json<Profile>('GET', `/api/profiles/${created.id}`, { token: s.token })).body.chatTemplateFile).toBe(created.chatTemplateFile)
    const other = templateIn(s, 'other.jinja')
    expect(await patch(other)).toMatchObject({ status: 200, body: { chatTemplateFile: other } })
  })

  test('at start: a template that became a symlink out, or binary, since the save is refused and nothing starts', async () => {
    const s = await setup()
    const path = templateIn(s, 'ok.jinja')
    const profile = (await createLm(s, path)).body
    rmSync(path)
    symlinkSync(outsideFile(), path)
    const refused = await s.start(profile.id)
    expectRefused(refused, 'chat-template-not-allowed', s)
    expect((await s.status(profile.id)).state).toBe('stopped')

    rmSync(path)
    writeFileSync(path, new Uint8Array([...new TextEncoder().encode(MARKER), 0, 0]))
    expectRefused(await s.start(profile.id), 'chat-template-unreadable', s)
    expect((await s.status(profile.id)).state).toBe('stopped')
    expectNoMarker(await s.status(profile.id))
  })

  test('the rules resolve the folders too, behind the file-system seam', () => {
    // The HF cache is itself a symlink (/cache → /data/cache), as on a machine whose cache moved disks.
    const links: Record<string, string> = { '/cache': '/data/cache', '/home/me/.mlx-manager/templates': '/home/me/.mlx-manager/templates' }
    const fileSet = new Set(['/data/cache/models--a--b/snapshots/1/t.jinja', '/models/m/config.json'])
    const resolve = (path: string) => Object.entries(links).reduce((p, [from, to]) => (p === from || p.startsWith(`${from}/`) ? to + p.slice(from.length) : p), path)
    const files: TemplateFiles = {
      realpath: (path) => {
        const real = resolve(path)
        return fileSet.has(real) || Object.values(links).includes(real) || real.startsWith('/data/cache') || real === '/models/m' ? real : null
      },
      kind: (path) => (fileSet.has(path) ? 'file' : null),
      read: () => new TextEncoder().encode('{{ messages }}'),
    }
    const rules = new ChatTemplateRules(files, { hfHubCache: '/cache', templatesDir: '/home/me/.mlx-manager/templates' })
    expect(rules.check('a/b', '/cache/models--a--b/snapshots/1/t.jinja')).toEqual({
      realPath: '/data/cache/models--a--b/snapshots/1/t.jinja',
      placeholder: '<t.jinja>',
      text: '{{ messages }}',
    })
    expect(() => rules.check('/', '/etc/passwd')).toThrow(expect.objectContaining({ code: 'chat-template-not-allowed' }))
    expect(() => rules.check('a/b', 'relative.jinja')).toThrow(expect.objectContaining({ code: 'chat-template-not-allowed' }))
  })
})

describe('a template’s text never leaves the manager', () => {
  test('not in GET /api/servers, servers.state events, the log, the pid file or a failure', async () => {
    const s = await setup()
    const path = templateIn(s, 'marked.jinja')
    const profile = (await createLm(s, path)).body
    const events = await s.events()
    const started = await s.start(profile.id)
    expect(started.body.state).toBe('ready')
    await events.until(isState(profile.id, 'ready'))
    const command = started.body.command ?? []
    expect(command.slice(command.indexOf('--chat-template'), command.indexOf('--chat-template') + 2)).toEqual(['--chat-template', '<marked.jinja>'])
    expectNoMarker(started.body)
    expectNoMarker((await s.app.json('GET', `/api/servers/${profile.id}`, { token: s.token })).body)
    expectNoMarker((await s.app.json('GET', '/api/servers', { token: s.token })).body)
    expectNoMarker(readFileSync(join(s.app.home, 'run', `profile-${profile.id}.json`), 'utf8'))
    const log = readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8')
    expect(log).toContain("--chat-template '<marked.jinja>'")
    expectNoMarker(log)
    await s.stop(profile.id)
    await events.until(isState(profile.id, 'stopped'))
    events.close()
    expectNoMarker(events.seen)
    expect(events.seen.some((event) => event.event === 'servers.state')).toBe(true)
  })

  test('not in the failure of an engine that dies at start', async () => {
    const s = await setup()
    const profile = (await createLm(s, templateIn(s, 'marked.jinja'), 'standin/crash-at-start')).body
    const failed = await s.start(profile.id)
    expect(failed.body.state).toBe('failed')
    expect(failed.body.failure?.logTail.some((line) => line.includes('<marked.jinja>'))).toBe(true)
    expectNoMarker(failed.body)
    expectNoMarker(readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8'))
  })

  test.if(process.platform === 'linux')('not in a spawn error: a template too long for one argument', async () => {
    const s = await setup()
    // Linux takes at most 128 KiB in one argument; this is within the template limit but over that.
    const big = `${TEMPLATE}${'{# padding #}'.repeat(12_000)}`
    const profile = (await createLm(s, templateIn(s, 'big.jinja', big))).body
    const refused = await s.start(profile.id)
    expect(refused.status).toBe(409)
    expect(refused.body).toMatchObject({ error: { code: 'spawn-failed' } })
    expect(JSON.stringify(refused.body)).toContain('too long')
    expectNoMarker(refused.body)
    expectNoMarker(await s.status(profile.id))
    expectNoMarker(readFileSync(join(s.app.home, 'logs', `profile-${profile.id}.log`), 'utf8'))
  })

  test('a server started with a template is adopted by the next manager, still without the text', async () => {
    const s = await setup()
    const profile = (await createLm(s, templateIn(s, 'marked.jinja'))).body
    const started = await s.start(profile.id)
    expect(started.body.state).toBe('ready')
    const next = createTestApp({ config: s.app.config, db: s.app.db, serving: { env: standinEnv(), timing: FAST_TIMING } })
    await next.serving.supervisor.recover()
    const adopted = next.serving.supervisor.get(profile.id)
    expect(adopted).toMatchObject({ state: 'ready', adopted: true, pid: started.body.pid })
    expectNoMarker(adopted)
    await next.serving.supervisor.stopAll()
  })

  test('adoption matches a withheld argument as anything; old pid files have their text withheld when read', () => {
    const shown = ['/venv/bin/mlx_lm.server', '--model', MODEL, '--chat-template', '<marked.jinja>', '--max-tokens', '8']
    const running = ['/venv/bin/python3', ...shown.with(4, TEMPLATE)]
    expect(sameCommand(running, shown, [4])).toBe(true)
    // ps on macOS splits at whitespace, the template's too.
    expect(sameCommand(running.join(' ').split(/\s+/), shown, [4])).toBe(true)
    expect(sameCommand(running.with(-1, '9'), shown, [4])).toBe(false)
    expect(sameCommand(running, shown)).toBe(false)

    const dir = tempDir()
    const legacy = { profileId: 3, pid: 4242, engine: 'mlx_lm.server', host: '127.0.0.1', port: 8000, command: shown.with(4, TEMPLATE), startedAt: new Date().toISOString(), readyAt: null, profileUpdatedAt: '', managerPid: 1 }
    writeFileSync(join(dir, 'profile-3.json'), JSON.stringify(legacy))
    const [record] = createPidFiles(dir).list()
    expect(record?.command).toEqual(shown.with(4, '<chat template>'))
    expect(record?.hidden).toEqual([4])
  })

  test('a spawn error’s own message, which may quote the arguments, is never passed on', () => {
    const error = Object.assign(new Error(`The argument 'args[8]' must be a string without null bytes. Received "${MARKER}\u0000"`), { code: 'ERR_INVALID_ARG_VALUE' })
    expectNoMarker(spawnFailureReason(error))
    expectNoMarker(spawnFailureReason(new Error(MARKER)))
    expect(spawnFailureReason(Object.assign(new Error(MARKER), { code: 'ENOENT' }))).toContain('no such file')
  })
})

describe('the templates API', () => {
  async function member(s: ServingApp): Promise<string> {
    const registered = await s.app.signUp({ email: 'member@example.com', password: 'member-password' })
    await s.app.json('PATCH', `/api/users/${registered.user.id}`, { token: s.token, body: { status: 'approved' } })
    return s.app.signIn({ email: 'member@example.com', password: 'member-password' })
  }

  test('upload, list, overwrite, use in a profile, delete', async () => {
    const s = await setup()
    const token = s.token
    expect((await s.app.json('GET', '/api/templates', { token })).body).toEqual([])
    const uploaded = await s.app.json<TemplateFile>('POST', '/api/templates', { token, body: { name: 'qwen3-tools.jinja', content: TEMPLATE } })
    const dir = join(s.app.home, 'templates')
    expect(uploaded.status).toBe(201)
    expect(uploaded.body).toMatchObject({ name: 'qwen3-tools.jinja', path: join(dir, 'qwen3-tools.jinja'), bytes: Buffer.byteLength(TEMPLATE) })
    expect(typeof uploaded.body.modifiedAt).toBe('string')
    expectNoMarker(uploaded.body)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(uploaded.body.path).mode & 0o777).toBe(0o600)
    expect(readFileSync(uploaded.body.path, 'utf8')).toBe(TEMPLATE)

    const replaced = await s.app.json<TemplateFile>('POST', '/api/templates', { token, body: { name: 'qwen3-tools.jinja', content: '{{ messages }}' } })
    expect(replaced).toMatchObject({ status: 200, body: { name: 'qwen3-tools.jinja', bytes: 14 } })
    await s.app.json('POST', '/api/templates', { token, body: { name: 'a.jinja', content: '' } })
    const listed = await s.app.json<TemplateFile[]>('GET', '/api/templates', { token })
    expect(listed.body.map((file) => [file.name, file.bytes])).toEqual([
      ['a.jinja', 0],
      ['qwen3-tools.jinja', 14],
    ])
    expect(readdirSync(dir).sort()).toEqual(['a.jinja', 'qwen3-tools.jinja'])

    expect((await createLm(s, uploaded.body.path)).status).toBe(201)

    expect((await s.app.call('DELETE', '/api/templates/a.jinja', { token })).status).toBe(204)
    const again = await s.app.json('DELETE', '/api/templates/a.jinja', { token })
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'template-not-found' } } })
    expect((await s.app.json<TemplateFile[]>('GET', '/api/templates', { token })).body.map((file) => file.name)).toEqual(['qwen3-tools.jinja'])
  })

  test('bad names, NUL bytes and oversized content are refused without writing anything', async () => {
    const s = await setup()
    const token = s.token
    for (const name of ['../x', 'a/b', '..', '.hidden', 'a..b', '', 'x'.repeat(101), 'with space', 'a\\b', '/etc/passwd']) {
      const response = await s.app.json('POST', '/api/templates', { token, body: { name, content: TEMPLATE } })
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: { code: 'invalid-template-name' } })
    }
    const nul = await s.app.json('POST', '/api/templates', { token, body: { name: 'nul.jinja', content: `${MARKER}\u0000` } })
    expect(nul).toMatchObject({ status: 400, body: { error: { code: 'invalid-template' } } })
    expectNoMarker(nul.body)
    const large = await s.app.json('POST', '/api/templates', { token, body: { name: 'large.jinja', content: `${MARKER}${'x'.repeat(512 * 1024)}` } })
    expect(large).toMatchObject({ status: 413, body: { error: { code: 'template-too-large' } } })
    expectNoMarker(large.body)
    for (const name of ['..%2Fx', 'a..b', '.hidden']) {
      expect((await s.app.json('DELETE', `/api/templates/${name}`, { token })).status).toBe(400)
    }
    expect((await s.app.json('GET', '/api/templates', { token })).body).toEqual([])
  })

  test('admins only', async () => {
    const s = await setup()
    const memberToken = await member(s)
    await s.app.json('POST', '/api/templates', { token: s.token, body: { name: 'kept.jinja', content: TEMPLATE } })
    const calls: [string, string, unknown][] = [
      ['GET', '/api/templates', undefined],
      ['POST', '/api/templates', { name: 'x.jinja', content: 'x' }],
      ['DELETE', '/api/templates/kept.jinja', undefined],
    ]
    for (const [method, path, body] of calls) {
      expect((await s.app.json(method, path, { body })).status).toBe(401)
      const refused = await s.app.json(method, path, { body, token: memberToken })
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'admin-only' } } })
    }
    expect((await s.app.json<TemplateFile[]>('GET', '/api/templates', { token: s.token })).body.map((file) => file.name)).toEqual(['kept.jinja'])
  })
})

describe('engines get a minimal environment', () => {
  const config = { hfHubCache: '/hub', hfEndpoint: 'http://127.0.0.1:9/hub', hfToken: null }

  test('engineEnvironment keeps what programs need and drops the manager’s own and everything else', () => {
    const env = engineEnvironment(
      {
        PATH: '/usr/bin',
        HOME: '/home/me',
        USER: 'me',
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        TMPDIR: '/tmp',
        HF_HOME: '/hf',
        HF_HUB_OFFLINE: '1',
        HF_HUB_CACHE: '/elsewhere',
        MLX_METAL_FAST_SYNCH: '1',
        METAL_DEVICE_WRAPPER_TYPE: '1',
        CUDA_VISIBLE_DEVICES: '0',
        VIRTUAL_ENV: '/venv',
        MLX_MANAGER_HOME: '/home/me/.mlx-manager',
        MLX_MANAGER_ENGINE_PATH: '/opt/engines',
        SECRET_THING: 'hunter2',
        AWS_SECRET_ACCESS_KEY: 'x',
        HF_TOKEN: 'hf_from_the_environment',
        PYTHONPATH: '/evil',
        LD_PRELOAD: '/evil.so',
      },
      config,
    )
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/me',
      USER: 'me',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TMPDIR: '/tmp',
      HF_HOME: '/hf',
      HF_HUB_OFFLINE: '1',
      MLX_METAL_FAST_SYNCH: '1',
      METAL_DEVICE_WRAPPER_TYPE: '1',
      CUDA_VISIBLE_DEVICES: '0',
      VIRTUAL_ENV: '/venv',
      PYTHONUNBUFFERED: '1',
      HF_HUB_CACHE: '/hub',
      HF_ENDPOINT: 'http://127.0.0.1:9/hub',
    })
    expect(engineEnvironment({}, { ...config, hfToken: 'hf_configured' }).HF_TOKEN).toBe('hf_configured')
  })

  test('a real engine sees no SECRET_THING and no MLX_MANAGER_*, but PATH and HF_HUB_CACHE', async () => {
    const envFile = join(tempDir(), 'env.json')
    const s = await setup({ env: { STANDIN_ENV_FILE: envFile, SECRET_THING: 'hunter2', MLX_MANAGER_HOME: '/somewhere', MLX_MANAGER_SECRET: 'x' } })
    const profile = await s.profile({ name: 'Env', model: MODEL })
    expect((await s.start(profile.id)).body.state).toBe('ready')
    const seen = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>
    expect(seen.SECRET_THING).toBeUndefined()
    expect(Object.keys(seen).filter((name) => name.startsWith('MLX_MANAGER_'))).toEqual([])
    expect(seen.PATH).toContain('fixtures/engine')
    expect(seen.HF_HUB_CACHE).toBe(s.app.config.hfHubCache)
    expect(seen.PYTHONUNBUFFERED).toBe('1')
  })

  test('engine probes (--help, --version) run with the same environment', async () => {
    const envs: (Record<string, string | undefined> | undefined)[] = []
    const host: EngineHost = {
      findExecutable: (name, dirs) => (dirs.includes('/bin') ? `/bin/${name}` : null),
      readHead: () => null,
      fingerprint: () => 'v1',
      run: (_argv, _timeoutMs, env) => {
        envs.push(env)
        return Promise.resolve({ exitCode: 1, stdout: '', stderr: '' })
      },
    }
    const env = engineEnvironment({ PATH: '/bin', SECRET_THING: 'hunter2' }, config)
    await new EngineService({ host, enginePath: [], env }).info('mlx_lm.server')
    expect(envs.length).toBeGreaterThan(0)
    for (const seen of envs) expect(seen).toEqual(env)
  })
})
