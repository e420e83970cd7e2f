import { delimiter, isAbsolute, basename, dirname } from 'node:path'
import type { EngineInfo, EngineName, Profile } from '../../../shared/profiles'
import { ENGINE_NAMES } from '../../../shared/profiles'
import type { EngineManagement } from '../../../shared/engines'
import { badRequest, conflict } from '../../http/errors'
import type { EngineAdapter, HelpFacts } from './adapter'
import { customProgram } from './custom'
import type { EngineHost } from './host'
import { ENGINES } from './registry'

export interface EngineServiceDeps {
  host: EngineHost
  /** MLX_MANAGER_ENGINE_PATH dirs, searched before PATH. */
  enginePath: string[]
  /** The environment engines run with; its PATH is searched after enginePath. */
  env: Record<string, string | undefined>
  probeTimeoutMs?: number
  /** The manager's own engine environments, searched before everything else. */
  managed?: ManagedEngines
}

export interface ManagedEngines {
  bin(name: EngineName): string | null
  state(name: EngineName): EngineManagement['installState']
  unsupported(name: EngineName): Promise<string | null>
}

interface Detected {
  fingerprint: string
  version: string | null
  help: HelpFacts
}

export interface ResolvedEngine {
  adapter: EngineAdapter
  executable: string
  info: EngineInfo
}

const NO_HELP: HelpFacts = { flags: null, toolCallParsers: null, reasoningParsers: null, modelTypes: null }

export function parseVersion(text: string): string | null {
  const labelled = /Version:\s*v?(\d+\.\d+[^\s]*)/i.exec(text)?.[1]
  return labelled ?? /\b(\d+\.\d+(?:\.\d+)?(?:[-+.]?[0-9A-Za-z.]+)?)\b/.exec(text)?.[1] ?? null
}

/**
 * Finds each engine and what its installed version offers. Running an engine's `--help` imports
 * MLX and can take seconds, so results are kept until the executable file changes.
 */
export class EngineService {
  private readonly cache = new Map<string, Promise<Detected>>()
  private readonly timeoutMs: number

  constructor(private readonly deps: EngineServiceDeps) {
    this.timeoutMs = deps.probeTimeoutMs ?? 30_000
  }

  searchDirs(): string[] {
    const path = (this.deps.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir))
    return [...this.deps.enginePath, ...path]
  }

  async list(): Promise<(EngineInfo & EngineManagement)[]> {
    return Promise.all(
      ENGINE_NAMES.map(async (name) => {
        const [info, reason] = await Promise.all([this.info(name), this.deps.managed?.unsupported(name) ?? 'The manager installs no engines here.'])
        const source = info.path === null ? null : info.path.startsWith(`${this.deps.managed?.bin(name) ?? '\0'}/`) ? 'managed' : 'path'
        return { ...info, source, installable: reason === null, notInstallableReason: reason, installState: this.deps.managed?.state(name) ?? null }
      }),
    )
  }

  async info(name: EngineName): Promise<EngineInfo> {
    const adapter = ENGINES[name]
    const managedBin = this.deps.managed?.bin(name) ?? null
    const dirs = managedBin === null ? this.searchDirs() : [managedBin, ...this.searchDirs()]
    const path = adapter.executableName === null ? null : this.deps.host.findExecutable(adapter.executableName, dirs)
    const detected = path === null ? null : await this.detect(adapter, path)
    const help = detected?.help ?? NO_HELP
    const installed = adapter.executableName === null || path !== null
    return {
      name,
      title: adapter.title,
      installed,
      path,
      version: detected?.version ?? null,
      installCommand: adapter.installCommand,
      installHint: installed ? null : adapter.installHint,
      modelTypes: help.modelTypes ?? [...adapter.modelTypes],
      toolCallParsers: help.toolCallParsers ?? [...adapter.defaultToolCallParsers],
      reasoningParsers: help.reasoningParsers ?? [...adapter.defaultReasoningParsers],
      fields: [...adapter.fields],
      reasoningField: adapter.reasoningField,
    }
  }

  /** The adapter and executable that run `profile`, or an error saying what to install or change. */
  async resolve(profile: Profile): Promise<ResolvedEngine> {
    const adapter = ENGINES[profile.engine]
    const info = await this.info(profile.engine)
    if (adapter.executableName === null) {
      const program = customProgram(profile.customCommand)
      if (program === null) throw badRequest('invalid-custom-command', 'The custom command is empty or not valid; edit the profile.')
      const found = program.includes('/')
        ? this.deps.host.findExecutable(basename(program), [dirname(program)])
        : this.deps.host.findExecutable(program, this.searchDirs())
      if (found === null) {
        throw conflict('engine-missing', `The custom command runs "${program}", which was not found as an executable in MLX_MANAGER_ENGINE_PATH or PATH.`)
      }
      return { adapter, executable: found, info }
    }
    if (!info.installed || info.path === null) throw conflict('engine-missing', adapter.installHint ?? `${adapter.title} is not installed.`)
    const detected = await this.detect(adapter, info.path)
    this.checkSupported(adapter, profile, info, detected.help)
    return { adapter, executable: info.path, info }
  }

  private checkSupported(adapter: EngineAdapter, profile: Profile, info: EngineInfo, help: HelpFacts): void {
    const which = `${adapter.title}${info.version === null ? '' : ` ${info.version}`}`
    const upgrade = adapter.installCommand === null ? '' : ` Upgrade it (${adapter.installCommand.replace('pip install', 'pip install -U')}) or`
    if (help.flags !== null) {
      const missing = adapter.flagsUsed(profile).filter((flag) => !help.flags?.includes(flag))
      if (missing.length > 0) {
        throw conflict('engine-option-unsupported', `The installed ${which} does not accept ${missing.join(', ')}.${upgrade} change the profile.`)
      }
    }
    for (const [value, known, label] of [
      [profile.toolCallParser, help.toolCallParsers, 'tool-call parser'],
      [profile.reasoningParser, help.reasoningParsers, 'reasoning parser'],
    ] as const) {
      if (value !== null && known !== null && !known.includes(value)) {
        throw conflict('engine-option-unsupported', `The installed ${which} has no ${label} "${value}"; it offers ${known.join(', ')}.`)
      }
    }
    if (help.modelTypes !== null && !help.modelTypes.includes(profile.modelType)) {
      throw conflict('engine-option-unsupported', `The installed ${which} cannot serve model type "${profile.modelType}".`)
    }
  }

  private detect(adapter: EngineAdapter, path: string): Promise<Detected> {
    const fingerprint = this.deps.host.fingerprint(path) ?? 'unknown'
    const key = `${adapter.name}\0${path}`
    const cached = this.cache.get(key)
    const fresh = cached?.then((detected) => (detected.fingerprint === fingerprint ? detected : null))
    const run = async (): Promise<Detected> => {
      const previous = fresh === undefined ? null : await fresh
      if (previous !== null) return previous
      const [version, helpText] = await Promise.all([this.version(adapter, path), this.help(adapter, path)])
      return { fingerprint, version, help: helpText === null ? NO_HELP : adapter.parseHelp(helpText) }
    }
    const pending = run()
    this.cache.set(key, pending)
    return pending
  }

  private async help(adapter: EngineAdapter, path: string): Promise<string | null> {
    if (adapter.helpArgs.length === 0) return null
    const result = await this.deps.host.run([path, ...adapter.helpArgs], this.timeoutMs, this.deps.env)
    return result.exitCode === 0 ? `${result.stdout}\n${result.stderr}` : null
  }

  /** Package metadata through the script's own Python when it is one (mlx_lm.server has no --version), else --version. */
  private async version(adapter: EngineAdapter, path: string): Promise<string | null> {
    const shebang = /^#!\s*(.+)$/m.exec(this.deps.host.readHead(path, 512) ?? '')?.[1]?.trim().split(/\s+/)
    if (adapter.distribution !== null && shebang !== undefined && shebang.some((word) => /python[\d.]*$/.test(word))) {
      const code = `import importlib.metadata as m; print(m.version(${JSON.stringify(adapter.distribution)}))`
      const result = await this.deps.host.run([...shebang, '-c', code], this.timeoutMs, this.deps.env)
      const version = result.exitCode === 0 ? parseVersion(result.stdout) : null
      if (version !== null) return version
    }
    const result = await this.deps.host.run([path, '--version'], this.timeoutMs, this.deps.env)
    return result.exitCode === 0 ? parseVersion(`${result.stdout}\n${result.stderr}`) : null
  }
}
