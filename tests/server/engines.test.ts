import { describe, expect, test } from 'bun:test'
import { PROFILE_DEFAULTS, type EngineInfo, type Profile } from '../../shared/profiles'
import { clickChoices } from '../../server/features/engines/adapter'
import { customEngine } from '../../server/features/engines/custom'
import type { EngineHost, RunResult } from '../../server/features/engines/host'
import { mlxLmServer } from '../../server/features/engines/mlx-lm-server'
import { mlxOpenaiServer } from '../../server/features/engines/mlx-openai-server'
import { probeReady, reachableBaseUrl } from '../../server/features/engines/readiness'
import { EngineService, parseVersion } from '../../server/features/engines/service'
import { AppError } from '../../server/http/errors'
import { ENGINE_DIR, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

function profile(overrides: Partial<Profile> = {}): Profile {
  return {
    ...PROFILE_DEFAULTS,
    extraArgs: [],
    id: 1,
    name: 'Test',
    model: 'mlx-community/Qwen3-4B-4bit',
    port: 8001,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  }
}

const inputs = { executable: '/opt/bin/engine', chatTemplateText: null }

describe('mlx-openai-server command line', () => {
  test('the minimal profile', () => {
    expect(mlxOpenaiServer.command(profile(), inputs)).toEqual([
      '/opt/bin/engine',
      'launch',
      '--model-path',
      'mlx-community/Qwen3-4B-4bit',
      '--model-type',
      'lm',
      '--host',
      '127.0.0.1',
      '--port',
      '8001',
      '--no-log-file',
    ])
  })

  test('every field, flag by flag, with extra arguments last', () => {
    const argv = mlxOpenaiServer.command(
      profile({
        model: '/Users/me/models/Qwen3-VL',
        modelType: 'multimodal',
        host: '0.0.0.0',
        port: 9000,
        contextLength: 32768,
        toolCallParser: 'qwen3_vl',
        reasoningParser: 'qwen3_vl',
        autoToolChoice: true,
        chatTemplateFile: '/Users/me/templates/chat.jinja',
        trustRemoteCode: true,
        // Sampling defaults are per request for this engine: they never reach its command line.
        temperature: 0.7,
        topP: 0.9,
        maxTokens: 1024,
        extraArgs: ['--max-concurrency', '2', '--queue-timeout=600'],
      }),
      inputs,
    )
    expect(argv).toEqual([
      '/opt/bin/engine',
      'launch',
      '--model-path',
      '/Users/me/models/Qwen3-VL',
      '--model-type',
      'multimodal',
      '--host',
      '0.0.0.0',
      '--port',
      '9000',
      '--context-length',
      '32768',
      '--tool-call-parser',
      'qwen3_vl',
      '--reasoning-parser',
      'qwen3_vl',
      '--enable-auto-tool-choice',
      '--chat-template-file',
      '/Users/me/templates/chat.jinja',
      '--trust-remote-code',
      '--no-log-file',
      '--max-concurrency',
      '2',
      '--queue-timeout=600',
    ])
  })

  test('each optional flag appears only when its field is set', () => {
    const base = mlxOpenaiServer.command(profile(), inputs)
    const cases: [Partial<Profile>, string[]][] = [
      [{ contextLength: 8192 }, ['--context-length', '8192']],
      [{ toolCallParser: 'hermes' }, ['--tool-call-parser', 'hermes']],
      [{ reasoningParser: 'harmony' }, ['--reasoning-parser', 'harmony']],
      [{ autoToolChoice: true }, ['--enable-auto-tool-choice']],
      [{ chatTemplateFile: '/t.jinja' }, ['--chat-template-file', '/t.jinja']],
      [{ trustRemoteCode: true }, ['--trust-remote-code']],
    ]
    for (const [fields, added] of cases) {
      const argv = mlxOpenaiServer.command(profile(fields), inputs)
      expect(argv.filter((arg) => !base.includes(arg))).toEqual(added.filter((arg) => !base.includes(arg)))
      expect(argv.length).toBe(base.length + added.length)
    }
    const embeddings = mlxOpenaiServer.command(profile({ modelType: 'embeddings' }), inputs)
    expect(embeddings.slice(embeddings.indexOf('--model-type'), embeddings.indexOf('--model-type') + 2)).toEqual(['--model-type', 'embeddings'])
  })

  test('reads the installed version’s choices from Click help', () => {
    const help = `Options:
  --model-type [lm|multimodal|embeddings]
                                  Type of model to run
  --tool-call-parser [qwen3|harmony]
  --reasoning-parser [qwen3]
  --chat-template-file TEXT       Path to a custom chat template file.`
    expect(mlxOpenaiServer.parseHelp(help)).toEqual({
      flags: ['--model-type', '--tool-call-parser', '--reasoning-parser', '--chat-template-file'],
      toolCallParsers: ['qwen3', 'harmony'],
      reasoningParsers: ['qwen3'],
      modelTypes: ['lm', 'multimodal', 'embeddings'],
    })
    expect(clickChoices('--tool-call-parser TEXT', '--tool-call-parser')).toBeNull()
  })
})

describe('mlx_lm.server command line', () => {
  test('the minimal profile', () => {
    expect(mlxLmServer.command(profile({ engine: 'mlx_lm.server' }), inputs)).toEqual([
      '/opt/bin/engine',
      '--model',
      'mlx-community/Qwen3-4B-4bit',
      '--host',
      '127.0.0.1',
      '--port',
      '8001',
    ])
  })

  test('sampling defaults, remote code, the template text and extra arguments', () => {
    const argv = mlxLmServer.command(
      profile({
        engine: 'mlx_lm.server',
        temperature: 0.6,
        topP: 0.95,
        maxTokens: 2048,
        trustRemoteCode: true,
        chatTemplateFile: '/t.jinja',
        // Parsers and context length are not mlx_lm.server options: they never reach its command line.
        toolCallParser: 'qwen3',
        contextLength: 4096,
        extraArgs: ['--prompt-cache-size', '4'],
      }),
      { executable: '/venv/bin/mlx_lm.server', chatTemplateText: '{{ messages }}' },
    )
    expect(argv).toEqual([
      '/venv/bin/mlx_lm.server',
      '--model',
      'mlx-community/Qwen3-4B-4bit',
      '--host',
      '127.0.0.1',
      '--port',
      '8001',
      '--temp',
      '0.6',
      '--top-p',
      '0.95',
      '--max-tokens',
      '2048',
      '--trust-remote-code',
      '--chat-template',
      '{{ messages }}',
      '--prompt-cache-size',
      '4',
    ])
  })

  test('a temperature of 0 is still passed', () => {
    expect(mlxLmServer.command(profile({ engine: 'mlx_lm.server', temperature: 0 }), inputs)).toContain('--temp')
  })
})

describe('custom command template', () => {
  test('placeholders are filled per word, so a path with spaces stays one argument', () => {
    const argv = customEngine.command(
      profile({
        engine: 'custom',
        model: '/Users/me/My Models/qwen',
        host: '0.0.0.0',
        port: 9100,
        customCommand: `python -m my_server --model {model} --bind "{host}:{port}" --name 'Qwen {port}'`,
        extraArgs: ['--verbose'],
      }),
      { executable: '/usr/bin/python', chatTemplateText: null },
    )
    expect(argv).toEqual([
      '/usr/bin/python',
      '-m',
      'my_server',
      '--model',
      '/Users/me/My Models/qwen',
      '--bind',
      '0.0.0.0:9100',
      '--name',
      'Qwen 9100',
      '--verbose',
    ])
  })

  test('shell syntax is not interpreted: no variables, pipes or substitutions', () => {
    const argv = customEngine.command(
      profile({ engine: 'custom', customCommand: 'server --port {port} $HOME `whoami` ; rm -rf / | cat' }),
      { executable: '/bin/server', chatTemplateText: null },
    )
    expect(argv).toEqual(['/bin/server', '--port', '8001', '$HOME', '`whoami`', ';', 'rm', '-rf', '/', '|', 'cat'])
  })
})

describe('versions and readiness', () => {
  test('versions from both engines’ outputs', () => {
    expect(parseVersion('\n✨ mlx-openai-server - OpenAI Compatible API Server ✨\n🚀 Version: 1.4.2\n')).toBe('1.4.2')
    expect(parseVersion('0.28.3\n')).toBe('0.28.3')
    expect(parseVersion('mlx_lm.server 0.26.0rc1')).toBe('0.26.0rc1')
    expect(parseVersion('no digits here')).toBeNull()
  })

  test('wildcard hosts are reached over loopback; IPv6 is bracketed', () => {
    expect(reachableBaseUrl('0.0.0.0', 8001)).toBe('http://127.0.0.1:8001')
    expect(reachableBaseUrl('::', 8001)).toBe('http://[::1]:8001')
    expect(reachableBaseUrl('::1', 8001)).toBe('http://[::1]:8001')
    expect(reachableBaseUrl('localhost', 8001)).toBe('http://localhost:8001')
  })

  test('each check asks what that engine can answer', async () => {
    const calls: string[] = []
    const answers: Record<string, number> = {}
    const fetcher = (url: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}${typeof init?.body === 'string' ? ` ${init.body}` : ''}`)
      const status = answers[new URL(url).pathname] ?? 200
      return Promise.resolve(new Response('{}', { status }))
    }
    const signal = new AbortController().signal
    answers['/health'] = 503
    expect(await probeReady(fetcher, 'health-then-models', 'http://x:1', signal)).toBe(false)
    expect(calls).toEqual(['GET /health'])
    answers['/health'] = 200
    calls.length = 0
    expect(await probeReady(fetcher, 'health-then-models', 'http://x:1', signal)).toBe(true)
    expect(calls).toEqual(['GET /health', 'GET /v1/models'])
    calls.length = 0
    expect(await probeReady(fetcher, 'one-token', 'http://x:1', signal)).toBe(true)
    expect(calls).toEqual(['POST /v1/completions {"prompt":"Hi","max_tokens":1,"stream":false}'])
    calls.length = 0
    expect(await probeReady(fetcher, 'models', 'http://x:1', signal)).toBe(true)
    expect(calls).toEqual(['GET /v1/models'])
    const refused = () => Promise.reject(new Error('ECONNREFUSED'))
    expect(await probeReady(refused, 'models', 'http://x:1', signal)).toBe(false)
  })
})

/** A host with files and programs made up by the test. */
function fakeHost(files: Record<string, { head?: string; runs?: Record<string, RunResult> }>): EngineHost & { ran: string[][] } {
  const ran: string[][] = []
  return {
    ran,
    findExecutable: (name, dirs) => dirs.map((dir) => `${dir}/${name}`).find((path) => path in files) ?? null,
    readHead: (path) => files[path]?.head ?? null,
    fingerprint: (path) => (path in files ? 'v1' : null),
    run: (argv) => {
      ran.push(argv)
      const owner = Object.values(files).find((file) => file.runs?.[argv.join(' ')] !== undefined)
      return Promise.resolve(owner?.runs?.[argv.join(' ')] ?? { exitCode: 1, stdout: '', stderr: 'unknown' })
    },
  }
}

describe('engine discovery', () => {
  test('nothing installed: each engine says how to install it', async () => {
    const service = new EngineService({ host: fakeHost({}), enginePath: [], env: { PATH: '/usr/bin' } })
    const [openai, lm, custom] = await service.list()
    expect(openai).toMatchObject({ name: 'mlx-openai-server', installed: false, path: null, version: null, installCommand: 'pip install mlx-openai-server' })
    expect(openai?.installHint).toContain('pip install mlx-openai-server')
    expect(lm).toMatchObject({ name: 'mlx_lm.server', installed: false, installCommand: 'pip install mlx-lm' })
    expect(custom).toMatchObject({ name: 'custom', installed: true, path: null, installHint: null })
    const error = await service.resolve(profile()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ status: 409, code: 'engine-missing' })
    expect((error as AppError).message).toContain('pip install mlx-openai-server')
  })

  test('MLX_MANAGER_ENGINE_PATH is searched before PATH', async () => {
    const host = fakeHost({
      '/opt/mlx/mlx-openai-server': { runs: { '/opt/mlx/mlx-openai-server --version': { exitCode: 0, stdout: 'Version: 2.0.0', stderr: '' } } },
      '/usr/bin/mlx-openai-server': {},
    })
    const service = new EngineService({ host, enginePath: ['/opt/mlx'], env: { PATH: '/usr/bin:relative/dir' } })
    expect(service.searchDirs()).toEqual(['/opt/mlx', '/usr/bin'])
    expect(await service.info('mlx-openai-server')).toMatchObject({ installed: true, path: '/opt/mlx/mlx-openai-server', version: '2.0.0' })
  })

  test('mlx_lm.server’s version comes from its Python’s package metadata (it has no --version)', async () => {
    const code = 'import importlib.metadata as m; print(m.version("mlx-lm"))'
    const host = fakeHost({
      '/venv/bin/mlx_lm.server': {
        head: '#!/venv/bin/python3.12\n# -*- coding: utf-8 -*-\nimport re\n',
        runs: { [`/venv/bin/python3.12 -c ${code}`]: { exitCode: 0, stdout: '0.28.3\n', stderr: '' } },
      },
    })
    const service = new EngineService({ host, enginePath: ['/venv/bin'], env: {} })
    expect(await service.info('mlx_lm.server')).toMatchObject({ installed: true, version: '0.28.3' })
  })

  test('help is read once per executable version and limits what a profile may use', async () => {
    const help = '  --model-path TEXT\n  --model-type [lm|multimodal]\n  --tool-call-parser [qwen3]\n  --reasoning-parser [qwen3]\n  --port INTEGER\n  --host TEXT\n  --no-log-file\n'
    const host = fakeHost({
      '/bin/mlx-openai-server': {
        runs: {
          '/bin/mlx-openai-server launch --help': { exitCode: 0, stdout: help, stderr: '' },
          '/bin/mlx-openai-server --version': { exitCode: 0, stdout: 'Version: 1.0.0', stderr: '' },
        },
      },
    })
    const service = new EngineService({ host, enginePath: ['/bin'], env: {} })
    await service.list()
    await service.list()
    expect(host.ran.length).toBe(2)
    expect(await service.resolve(profile())).toMatchObject({ executable: '/bin/mlx-openai-server' })
    const cases: [Partial<Profile>, string][] = [
      [{ chatTemplateFile: '/t.jinja' }, 'does not accept --chat-template-file'],
      [{ toolCallParser: 'harmony' }, 'has no tool-call parser "harmony"; it offers qwen3'],
      [{ modelType: 'embeddings' }, 'cannot serve model type "embeddings"'],
    ]
    for (const [fields, message] of cases) {
      const error = await service.resolve(profile(fields)).catch((e: unknown) => e)
      expect(error).toMatchObject({ status: 409, code: 'engine-option-unsupported' })
      expect((error as AppError).message).toContain(message)
      expect((error as AppError).message).toContain('mlx-openai-server 1.0.0')
    }
  })

  test('a custom command’s program must exist', async () => {
    const host = fakeHost({ '/usr/local/bin/llama-server': {} })
    const service = new EngineService({ host, enginePath: [], env: { PATH: '/usr/local/bin' } })
    const found = await service.resolve(profile({ engine: 'custom', customCommand: 'llama-server --port {port}' }))
    expect(found.executable).toBe('/usr/local/bin/llama-server')
    const missing = await service.resolve(profile({ engine: 'custom', customCommand: 'nope-server --port {port}' })).catch((e: unknown) => e)
    expect(missing).toMatchObject({ status: 409, code: 'engine-missing' })
    const absolute = await service.resolve(profile({ engine: 'custom', customCommand: '/usr/local/bin/llama-server --port {port}' }))
    expect(absolute.executable).toBe('/usr/local/bin/llama-server')
  })
})

describe('GET /api/engines', () => {
  test('finds the stand-in engines on PATH with their versions and parser lists', async () => {
    const app = createTestApp({ serving: { env: standinEnv() } })
    const { token } = await app.signUp(ADMIN)
    const response = await app.json<EngineInfo[]>('GET', '/api/engines', { token: token ?? '' })
    expect(response.status).toBe(200)
    expect(response.body.map((engine) => [engine.name, engine.installed, engine.path, engine.version])).toEqual([
      ['mlx-openai-server', true, `${ENGINE_DIR}/mlx-openai-server`, '1.8.1'],
      ['mlx_lm.server', true, `${ENGINE_DIR}/mlx_lm.server`, '0.32.2'],
      ['custom', true, null, null],
    ])
    expect(response.body[0]?.toolCallParsers).toContain('harmony')
  })

  test('says which engine is missing and how to install it', async () => {
    const app = createTestApp({ serving: { env: { PATH: '/nonexistent' } } })
    const { token } = await app.signUp(ADMIN)
    const response = await app.json<EngineInfo[]>('GET', '/api/engines', { token: token ?? '' })
    expect(response.body.map((engine) => [engine.name, engine.installed, engine.installCommand])).toEqual([
      ['mlx-openai-server', false, 'pip install mlx-openai-server'],
      ['mlx_lm.server', false, 'pip install mlx-lm'],
      ['custom', true, null],
    ])
  })

  test('needs a session', async () => {
    const app = createTestApp()
    expect((await app.json('GET', '/api/engines')).status).toBe(401)
  })
})
