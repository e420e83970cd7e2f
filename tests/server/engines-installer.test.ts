import { describe, expect, test } from 'bun:test'
import type { EngineInstallState } from '../../shared/engines'
import { EventBus } from '../../server/features/events/bus'
import { EngineInstaller, INSTALL_MARKER, environmentCommands, findPython } from '../../server/features/engines/installer'
import type { InstallRun, InstallerHost } from '../../server/features/engines/installer-host'
import { AppError } from '../../server/http/errors'

interface FakeOptions {
  platform?: NodeJS.Platform
  arch?: string
  pythons?: Record<string, string>
  uv?: boolean
  failPip?: boolean
}

/** A machine with the given Pythons on PATH, whose venv and pip calls only record themselves. */
function fakeHost(options: FakeOptions = {}) {
  const files = new Map<string, string>()
  const calls: string[][] = []
  const pythons = options.pythons ?? { python3: '3.11.7' }
  const host: InstallerHost = {
    platform: options.platform ?? 'linux',
    arch: options.arch ?? 'x64',
    hasNvidiaGpu: () => Promise.resolve(false),
    which: (name) => (name in pythons ? `/usr/bin/${name}` : name === 'uv' && options.uv === true ? '/usr/bin/uv' : null),
    run(argv, { onLine }): Promise<InstallRun> {
      calls.push(argv)
      const program = argv[0]?.split('/').pop() ?? ''
      if (argv[1] === '-c') return Promise.resolve({ exitCode: 0, output: pythons[program] ?? '' })
      if (argv.includes('venv')) {
        const dir = argv.at(-1) ?? ''
        files.set(`${dir}/bin/python`, '')
        return Promise.resolve({ exitCode: 0, output: '' })
      }
      onLine?.('Collecting mlx-lm')
      if (options.failPip === true) {
        onLine?.('ERROR: No matching distribution found for mlx-lm==9.9')
        return Promise.resolve({ exitCode: 1, output: '' })
      }
      onLine?.('Successfully installed mlx-lm-0.32.2')
      return Promise.resolve({ exitCode: 0, output: '' })
    },
    exists: (path) => files.has(path),
    readFile: (path) => files.get(path) ?? null,
    writeFile: (path, text) => void files.set(path, text),
    mkdir: () => undefined,
    remove(path) {
      for (const key of [...files.keys()]) if (key === path || key.startsWith(`${path}/`)) files.delete(key)
      return Promise.resolve()
    },
  }
  return { host, files, calls }
}

function installer(options: FakeOptions = {}) {
  const fake = fakeHost(options)
  const bus = new EventBus()
  const events: EngineInstallState[] = []
  bus.subscribe(({ event }) => {
    if (event.type === 'engines.install') events.push(event.data)
  })
  const service = new EngineInstaller({ host: fake.host, home: '/home/u/.mlx-manager', bus, constraints: { 'mlx-lm.txt': 'mlx-lm==0.32.2\n' }, env: {} })
  return { ...fake, service, events }
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(() => null, (caught: unknown) => caught)
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`)
  return error
}

describe('engine installer', () => {
  test('installs mlx_lm.server into a venv with pip, pinned, with mlx[cpu] on Linux, and reports each line', async () => {
    const { service, calls, events, files } = installer()
    expect(service.bin('mlx_lm.server')).toBeNull()
    expect(await service.install('mlx_lm.server')).toEqual({ engine: 'mlx_lm.server', state: 'installing' })
    expect(service.state('mlx_lm.server')).toBe('installing')
    await service.settled('mlx_lm.server')
    const dir = '/home/u/.mlx-manager/engines/mlx_lm.server'
    expect(calls.slice(-2)).toEqual([
      ['/usr/bin/python3', '-m', 'venv', dir],
      [`${dir}/bin/python`, '-m', 'pip', 'install', '--upgrade', '--progress-bar', 'off', '--disable-pip-version-check', '-c', `${dir}.constraints.txt`, 'mlx[cpu]', 'mlx-lm'],
    ])
    expect(files.get(`${dir}.constraints.txt`)).toBe('mlx-lm==0.32.2\n')
    expect(JSON.parse(files.get(`${dir}/${INSTALL_MARKER}`) ?? '{}')).toMatchObject({ packages: ['mlx[cpu]', 'mlx-lm'] })
    expect(events.map((event) => event.line).filter(Boolean)).toContain('Successfully installed mlx-lm-0.32.2')
    expect(events.at(-1)).toEqual({ engine: 'mlx_lm.server', state: 'installed' })
    expect(service.bin('mlx_lm.server')).toBe(`${dir}/bin`)
    expect(service.state('mlx_lm.server')).toBeNull()
  })

  test('an update installs into the existing environment; uv is used when on PATH', async () => {
    const { service, calls } = installer({ uv: true })
    await service.install('mlx_lm.server')
    await service.settled('mlx_lm.server')
    await service.install('mlx_lm.server')
    await service.settled('mlx_lm.server')
    const dir = '/home/u/.mlx-manager/engines/mlx_lm.server'
    const installs = calls.filter((argv) => argv[0] === '/usr/bin/uv')
    expect(installs.map((argv) => argv.slice(0, 2))).toEqual([['/usr/bin/uv', 'venv'], ['/usr/bin/uv', 'pip'], ['/usr/bin/uv', 'pip']])
    expect(installs[1]).toEqual(['/usr/bin/uv', 'pip', 'install', '--python', `${dir}/bin/python`, '--upgrade', '-c', `${dir}.constraints.txt`, 'mlx[cpu]', 'mlx-lm'])
  })

  test('a failed pip leaves no half environment marked installed, and says why', async () => {
    const { service, events } = installer({ failPip: true })
    await service.install('mlx_lm.server')
    await service.settled('mlx_lm.server')
    expect(events.at(-1)?.state).toBe('failed')
    expect(events.at(-1)?.error).toContain('No matching distribution found for mlx-lm==9.9')
    expect(service.bin('mlx_lm.server')).toBeNull()
  })

  test('Python missing or too old is refused before anything starts, saying what to install', async () => {
    const missing = await rejection(installer({ pythons: {} }).service.install('mlx_lm.server'))
    expect(missing.code).toBe('python-missing')
    expect(missing.message).toContain('Python 3.10 or newer')
    const old = await rejection(findPython(fakeHost({ pythons: { python3: '3.9.18' } }).host, [3, 10]))
    expect(old.code).toBe('python-too-old')
    expect(old.message).toContain('python3 3.9.18')
    expect((await findPython(fakeHost({ pythons: { python3: '3.9.1', 'python3.12': '3.12.4' } }).host, [3, 10])).path).toBe('/usr/bin/python3.12')
  })

  test('mlx-openai-server installs on Apple silicon only; custom never', async () => {
    const linux = installer()
    expect((await rejection(linux.service.install('mlx-openai-server'))).code).toBe('engine-unsupported')
    expect(await linux.service.unsupported('mlx-openai-server')).toContain('Apple silicon')
    expect((await rejection(linux.service.install('custom'))).code).toBe('engine-not-installable')
    const mac = installer({ platform: 'darwin', arch: 'arm64', pythons: { 'python3.12': '3.12.4' } })
    expect(await mac.service.unsupported('mlx-openai-server')).toBeNull()
    expect(await mac.service.unsupported('mlx_lm.server')).toBeNull()
    expect(await installer({ platform: 'darwin', arch: 'x64' }).service.unsupported('mlx_lm.server')).toContain('Apple silicon')
  })

  test('remove deletes the environment and says so', async () => {
    const { service, events } = installer()
    await service.install('mlx_lm.server')
    await service.settled('mlx_lm.server')
    await service.remove('mlx_lm.server')
    expect(service.bin('mlx_lm.server')).toBeNull()
    expect(events.at(-1)).toEqual({ engine: 'mlx_lm.server', state: 'removed' })
  })

  test('an existing environment is updated with one command', () => {
    const plan = { python: '/usr/bin/python3', dir: '/e', constraintsFile: '/e.txt', packages: ['mlx', 'mlx-lm'], uv: null }
    expect(environmentCommands(plan, true)).toHaveLength(1)
  })
})
