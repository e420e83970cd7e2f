import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { EngineInstallState } from '../../../shared/engines'
import type { EngineName } from '../../../shared/profiles'
import { AppError, badRequest, conflict } from '../../http/errors'
import type { EventBus } from '../events/bus'
import type { InstallerHost } from './installer-host'

/** Python that can make an engine environment: 3.10 is the oldest mlx-lm supports. */
export const MIN_PYTHON: readonly [number, number] = [3, 10]
const PYTHON_CANDIDATES = ['python3.13', 'python3.12', 'python3.11', 'python3.10', 'python3']
/** Written last, so a folder without it is an install that did not finish. */
export const INSTALL_MARKER = 'mlx-manager-install.json'

/** Installer output names paths on the machine: only admins hear it. */
const ADMINS = { kind: 'admins' } as const

export type Platform = 'apple-silicon' | 'linux-cpu' | 'linux-cuda' | 'unsupported'

export interface ManagedSpec {
  /** The constraints file (under constraints/) that pins every package. */
  constraints: string
  minPython: readonly [number, number]
  /** What to install on a platform, or why it cannot be installed there. */
  requirements(platform: Platform): { ok: true; packages: string[] } | { ok: false; reason: string }
}

const MLX_REQUIREMENT: Record<Exclude<Platform, 'unsupported'>, string> = {
  'apple-silicon': 'mlx',
  // A plain `mlx` on Linux has no libmlx.so; the extra brings the CPU or CUDA backend.
  'linux-cpu': 'mlx[cpu]',
  'linux-cuda': 'mlx[cuda]',
}

const NO_MLX = 'MLX runs on Apple silicon Macs and on Linux (CPU or CUDA); this machine is neither.'

export const MANAGED: Partial<Record<EngineName, ManagedSpec>> = {
  'mlx_lm.server': {
    constraints: 'mlx-lm.txt',
    minPython: MIN_PYTHON,
    requirements: (platform) => (platform === 'unsupported' ? { ok: false, reason: NO_MLX } : { ok: true, packages: [MLX_REQUIREMENT[platform], 'mlx-lm'] }),
  },
  'mlx-openai-server': {
    constraints: 'mlx-openai-server.txt',
    minPython: [3, 11],
    // Its dependencies include mflux (which on Linux asks for mlx[cuda13]), torchvision, librosa and av.
    requirements: (platform) =>
      platform === 'apple-silicon'
        ? { ok: true, packages: ['mlx', 'mlx-openai-server'] }
        : { ok: false, reason: 'mlx-openai-server installs only on Apple silicon: its dependencies (mflux, torchvision) need the Metal or CUDA 13 build of MLX.' },
  },
}

export interface PythonFound {
  path: string
  version: string
}

export interface InstallerDeps {
  host: InstallerHost
  /** MLX_MANAGER_HOME; environments go to engines/<engine>/ under it. */
  home: string
  bus: EventBus
  /** Constraints file name → its text (CONSTRAINTS in production). */
  constraints: Record<string, string>
  /** The environment the installer runs with (PATH, proxies, pip settings). */
  env: Record<string, string | undefined>
}

export function detectPlatform(host: Pick<InstallerHost, 'platform' | 'arch' | 'hasNvidiaGpu'>): Promise<Platform> | Platform {
  if (host.platform === 'darwin') return host.arch === 'arm64' ? 'apple-silicon' : 'unsupported'
  if (host.platform !== 'linux') return 'unsupported'
  return host.hasNvidiaGpu().then((gpu) => (gpu ? 'linux-cuda' : 'linux-cpu'))
}

export function parsePythonVersion(text: string): [number, number] | null {
  const match = /(\d+)\.(\d+)/.exec(text)
  return match === null ? null : [Number(match[1]), Number(match[2])]
}

const atLeast = (version: [number, number], min: readonly [number, number]) => version[0] > min[0] || (version[0] === min[0] && version[1] >= min[1])

/** The newest Python on PATH that is new enough, or an error saying what to install. */
export async function findPython(host: InstallerHost, min: readonly [number, number]): Promise<PythonFound> {
  const seen: string[] = []
  for (const name of PYTHON_CANDIDATES) {
    const path = host.which(name)
    if (path === null) continue
    const result = await host.run([path, '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { timeoutMs: 15_000 })
    const version = result.exitCode === 0 ? parsePythonVersion(result.output) : null
    if (version === null) continue
    if (atLeast(version, min)) return { path, version: result.output.trim() }
    seen.push(`${name} ${result.output.trim()}`)
  }
  const want = `Python ${min.join('.')} or newer`
  const how = host.platform === 'darwin' ? '`brew install python@3.12` or python.org' : '`apt-get install python3 python3-venv` or pyenv'
  throw new AppError(
    409,
    seen.length === 0 ? 'python-missing' : 'python-too-old',
    seen.length === 0
      ? `Installing an engine needs ${want}, and none was found on PATH. Install it (${how}), then try again.`
      : `Installing an engine needs ${want}; this machine has only ${seen.join(', ')}. Install a newer one (${how}), then try again.`,
  )
}

export interface EnvironmentPlan {
  python: string
  /** The folder that becomes the virtual environment. */
  dir: string
  constraintsFile: string
  packages: string[]
  /** uv's path when it is on PATH: it makes the environment and installs much faster than pip. */
  uv: string | null
}

/** The commands that make (or update) an environment, in order. */
export function environmentCommands(plan: EnvironmentPlan, exists: boolean): string[][] {
  const python = join(plan.dir, 'bin', 'python')
  if (plan.uv !== null) {
    return [
      ...(exists ? [] : [[plan.uv, 'venv', '--python', plan.python, plan.dir]]),
      [plan.uv, 'pip', 'install', '--python', python, '--upgrade', '-c', plan.constraintsFile, ...plan.packages],
    ]
  }
  return [
    ...(exists ? [] : [[plan.python, '-m', 'venv', plan.dir]]),
    [python, '-m', 'pip', 'install', '--upgrade', '--progress-bar', 'off', '--disable-pip-version-check', '-c', plan.constraintsFile, ...plan.packages],
  ]
}

export const fileSha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * Makes or updates one environment and marks it complete. Shared by the manager and the
 * real-engine tests, which keep theirs outside any clone. Throws with the last lines on failure.
 */
export async function buildEnvironment(
  host: InstallerHost,
  plan: EnvironmentPlan,
  env: Record<string, string | undefined>,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const fresh = !host.exists(join(plan.dir, 'bin', 'python'))
  if (fresh) await host.remove(plan.dir)
  else await host.remove(join(plan.dir, INSTALL_MARKER))
  const tail: string[] = []
  for (const argv of environmentCommands(plan, !fresh)) {
    onLine(`$ ${argv.join(' ')}`)
    const result = await host.run(argv, {
      env,
      signal,
      onLine: (line) => {
        tail.push(line)
        if (tail.length > 8) tail.shift()
        onLine(line)
      },
    })
    if (result.exitCode !== 0) {
      const last = tail.filter((line) => /error|not found|no matching/i.test(line)).at(-1) ?? tail.at(-1) ?? ''
      throw new Error(`${argv[0]?.split('/').pop()} ${argv[1] ?? ''} failed (exit ${result.exitCode ?? 'signal'})${last === '' ? '' : `: ${last.trim()}`}`)
    }
  }
  const constraints = host.readFile(plan.constraintsFile) ?? ''
  host.writeFile(
    join(plan.dir, INSTALL_MARKER),
    JSON.stringify({ packages: plan.packages, constraintsSha256: fileSha256(constraints), installedAt: new Date().toISOString() }, null, 2),
  )
}

/**
 * Installs, updates and removes the built-in engines' managed environments under
 * MLX_MANAGER_HOME/engines/<engine>/, publishing progress and the installer's lines as
 * `engines.install` events.
 */
export class EngineInstaller {
  private readonly busy = new Map<EngineName, { state: 'installing' | 'removing'; abort: AbortController; done: Promise<void> }>()

  constructor(private readonly deps: InstallerDeps) {}

  dir(engine: EngineName): string {
    return join(this.deps.home, 'engines', engine)
  }

  /** The managed environment's bin folder when a finished install is there. */
  bin(engine: EngineName): string | null {
    if (MANAGED[engine] === undefined || this.busy.get(engine)?.state === 'removing') return null
    return this.deps.host.exists(join(this.dir(engine), INSTALL_MARKER)) ? join(this.dir(engine), 'bin') : null
  }

  state(engine: EngineName): 'installing' | 'removing' | null {
    return this.busy.get(engine)?.state ?? null
  }

  /** Why the engine cannot be installed here, or null when it can. */
  async unsupported(engine: EngineName): Promise<string | null> {
    const spec = MANAGED[engine]
    if (spec === undefined) return 'Custom commands run programs you install yourself.'
    const need = spec.requirements(await detectPlatform(this.deps.host))
    return need.ok ? null : need.reason
  }

  /** Starts an install (or an update of an existing one); resolves once it is under way. */
  async install(engine: EngineName): Promise<EngineInstallState> {
    const spec = MANAGED[engine]
    if (spec === undefined) throw badRequest('engine-not-installable', 'Custom commands run programs you install yourself; only the built-in engines can be installed.')
    if (this.busy.has(engine)) throw conflict('engine-busy', `${engine} is already being ${this.busy.get(engine)?.state === 'removing' ? 'removed' : 'installed'}.`)
    const need = spec.requirements(await detectPlatform(this.deps.host))
    if (!need.ok) throw conflict('engine-unsupported', need.reason)
    const python = await findPython(this.deps.host, spec.minPython)
    const plan: EnvironmentPlan = {
      python: python.path,
      dir: this.dir(engine),
      // Beside the environment, not in it: a failed first install removes the environment's folder.
      constraintsFile: `${this.dir(engine)}.constraints.txt`,
      packages: need.packages,
      uv: this.deps.host.which('uv'),
    }
    this.deps.host.mkdir(join(this.deps.home, 'engines'))
    this.deps.host.writeFile(plan.constraintsFile, this.deps.constraints[spec.constraints] ?? '')
    const abort = new AbortController()
    const publish = (data: Omit<EngineInstallState, 'engine'>) => this.deps.bus.publish({ type: 'engines.install', data: { engine, ...data } }, ADMINS)
    publish({ state: 'installing', line: `using Python ${python.version} at ${python.path}${plan.uv === null ? '' : ` and uv at ${plan.uv}`}` })
    const done = buildEnvironment(this.deps.host, plan, this.deps.env, (line) => publish({ state: 'installing', line }), abort.signal)
      .then(() => publish({ state: 'installed' }))
      .catch((error: unknown) => publish({ state: 'failed', error: error instanceof Error ? error.message : String(error) }))
      .finally(() => this.busy.delete(engine))
    this.busy.set(engine, { state: 'installing', abort, done })
    return { engine, state: 'installing' }
  }

  async remove(engine: EngineName): Promise<void> {
    if (MANAGED[engine] === undefined) throw badRequest('engine-not-installable', 'Custom commands have no managed environment to remove.')
    const current = this.busy.get(engine)
    if (current?.state === 'removing') return current.done
    // Removing during an install stops the installer first.
    if (current !== undefined) {
      current.abort.abort()
      await current.done
    }
    const done = this.deps.host.remove(this.dir(engine)).then(() => this.deps.bus.publish({ type: 'engines.install', data: { engine, state: 'removed' } }, ADMINS))
    this.busy.set(engine, { state: 'removing', abort: new AbortController(), done })
    try {
      await done
    } finally {
      this.busy.delete(engine)
    }
  }

  /** Waits for a running install or removal (tests, shutdown). */
  async settled(engine: EngineName): Promise<void> {
    await this.busy.get(engine)?.done
  }
}
