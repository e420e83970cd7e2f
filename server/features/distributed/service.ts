import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { splitProblems, splitShape } from '../../../shared/distributed'
import type { Host, HostCheck } from '../../../shared/hosts'
import { effectiveContext, kvCacheBytes, readArchitecture, DEFAULT_FIT_CONTEXT } from '../../../shared/memory-fit'
import type { Profile } from '../../../shared/profiles'
import { conflict } from '../../http/errors'
import type { ResolvedEngine } from '../engines/service'
import { commandLines } from '../servers/command-lines'
import type { DistributedPlanner, LaunchLines } from '../servers/service'
import type { CheckedTemplate } from '../templates/location'
import { buildHostfile, launchCommand, ringPort } from './plan'
import { initialRanks } from './ranks'

/** config.json of the profile's model on this machine (rank 0 loads it here), and whether its weight index is there. */
export interface LocalModel {
  config: unknown
  hasWeightIndex: boolean
}

/** The model folder on this machine: an absolute path, or the repo's snapshot in the HF cache. */
export function localModelFolder(model: string, hfHubCache: string): string | null {
  if (model.startsWith('/')) return model
  const repo = join(hfHubCache, `models--${model.replace('/', '--')}`)
  try {
    return join(repo, 'snapshots', readFileSync(join(repo, 'refs', 'main'), 'utf8').trim())
  } catch {
    return null
  }
}

export function readLocalModel(model: string, hfHubCache: string): LocalModel | null {
  const folder = localModelFolder(model, hfHubCache)
  if (folder === null) return null
  try {
    return { config: JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as unknown, hasWeightIndex: existsSync(join(folder, 'model.safetensors.index.json')) }
  } catch {
    return null
  }
}

/** KV cache at the profile's context (the catalog's default when it sets none), when config.json is readable here. */
export function profileKvBytes(profile: Profile, hfHubCache: string): number | null {
  const model = readLocalModel(profile.model, hfHubCache)
  const architecture = model === null ? null : readArchitecture(model.config)
  if (architecture === null) return null
  return kvCacheBytes(architecture, effectiveContext(profile.contextLength ?? DEFAULT_FIT_CONTEXT, architecture))
}

export interface DistributedDeps {
  hosts: { find(id: number): Host | null; checkProfile(profile: Profile): Promise<HostCheck[]> }
  /** Where hostfiles are written (MLX_MANAGER_HOME/run). */
  runDir: string
  readModel: (profile: Profile) => LocalModel | null
  /** Variables every rank gets (offline hub, no compiler): the hostfile carries them to other machines. */
  rankEnv?: (profile: Profile) => Record<string, string>
  /** The SSH client and its fixed arguments (MLX_MANAGER_SSH). */
  ssh: string[]
}

/** Rank variables that are safe to write into a hostfile and an SSH command line (never a token). */
const RANK_ENV_KEYS = ['HF_HUB_OFFLINE', 'MLX_DISABLE_COMPILE']

/** Starts a profile across hosts with MLX's own launcher, after checking everything that would make it fail later. */
export class DistributedLauncher implements DistributedPlanner {
  constructor(private readonly deps: DistributedDeps) {}

  async plan(profile: Profile, resolved: ResolvedEngine, template: CheckedTemplate | null): Promise<LaunchLines> {
    const ranks = this.ranks(profile)
    this.checkModel(profile, ranks.length)
    await this.preflight(profile)
    const launcher = join(dirname(resolved.executable), 'mlx.launch')
    if (!existsSync(launcher)) {
      throw conflict('launcher-missing', `mlx.launch is not next to ${resolved.executable}; it comes with the mlx package. Install it into that environment (pip install mlx), or reinstall mlx_lm.server from the Engines page.`)
    }
    const hostfilePath = join(this.deps.runDir, `hostfile-${profile.id}.json`)
    const env = Object.entries(this.deps.rankEnv?.(profile) ?? {})
      .filter(([key]) => RANK_ENV_KEYS.includes(key))
      .map(([key, value]) => `${key}=${value}`)
    mkdirSync(this.deps.runDir, { recursive: true, mode: 0o700 })
    writeFileSync(hostfilePath, `${JSON.stringify(buildHostfile(ranks, profile.distributedBackend, env), null, 2)}\n`, { mode: 0o600 })
    const single = commandLines(resolved, profile, template)
    const pipeline = profile.distributedMode === 'pipeline' ? ['--pipeline'] : []
    const build = (args: string[]) =>
      launchCommand({ launcher, hostfilePath, backend: profile.distributedBackend, startingPort: ringPort(profile.id), ranks, serverArgs: [...args.slice(1), ...pipeline] })
    const command = build(single.command)
    const offset = command.length - single.command.length - pipeline.length + 1
    return { command, shown: build(single.shown), hidden: single.hidden.map((index) => index - 1 + offset), ranks: initialRanks(ranks), pathPrefix: this.sshFolder() }
  }

  /**
   * mlx.launch runs `ssh -tt <host>` from PATH. Its own `ssh` here is the configured client in batch
   * mode, so a rank never waits on a password prompt nobody sees (the preflight proved keys work).
   */
  private sshFolder(): string | undefined {
    const [program, ...args] = this.deps.ssh
    // Found on the manager's own PATH, so the wrapper never runs itself.
    const client = program === undefined ? null : program.startsWith('/') ? program : Bun.which(program)
    if (client === null) return undefined
    const folder = join(this.deps.runDir, 'ssh-bin')
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    const words = [client, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ')
    writeFileSync(join(folder, 'ssh'), `#!/bin/sh\nexec ${words} -o BatchMode=yes "$@"\n`, { mode: 0o700 })
    return folder
  }

  /** The hosts in rank order; rank 0 serves HTTP, so it runs here, where the manager reaches it. */
  private ranks(profile: Profile): Host[] {
    const ranks = profile.distributedHosts.map((id) => {
      const host = this.deps.hosts.find(id)
      if (host === null) throw conflict('unknown-host', `"${profile.name}" names host ${id}, which no longer exists. Edit the profile and choose its hosts again.`)
      return host
    })
    if (ranks[0]?.local !== true) {
      throw conflict('rank-zero-remote', `Rank 0 of "${profile.name}" serves its HTTP API, so the first host must be this machine (a host marked "this machine"). Reorder its hosts.`)
    }
    if (profile.distributedBackend === 'jaccl') {
      const missing = ranks.filter((host) => host.rdmaDevice === null).map((host) => host.name)
      if (missing.length > 0) throw conflict('rdma-device-missing', `The jaccl backend needs each host's RDMA device (ibv_devices lists them); ${[...new Set(missing)].join(', ')} has none. Set it on the Hosts page, or use the ring backend.`)
      if (new Set(ranks.map((host) => host.id)).size > 2) throw conflict('jaccl-hosts', 'This manager writes jaccl hostfiles for two machines joined by one Thunderbolt cable; for more, use the ring backend.')
    }
    return ranks
  }

  private checkModel(profile: Profile, count: number): void {
    const model = this.deps.readModel(profile)
    // Without the model here rank 0 cannot load it either; the preflight says where it is missing.
    if (model === null) return
    const problems = splitProblems(splitShape(model.config, model.hasWeightIndex), count, profile.distributedMode)
    if (problems.length > 0) throw conflict('cannot-split', `"${profile.name}" cannot run on ${count} ranks: ${problems.join(' ')}`)
  }

  private async preflight(profile: Profile): Promise<void> {
    const checks = await this.deps.hosts.checkProfile(profile)
    const failing = checks.filter((check) => !check.ok)
    if (failing.length === 0) return
    const said = failing.map((check) => `${check.name}: ${check.problems.map((problem) => problem.message).join(' ')}`).join(' ')
    throw conflict('preflight-failed', `"${profile.name}" was not started because its hosts are not ready. ${said}`)
  }
}
