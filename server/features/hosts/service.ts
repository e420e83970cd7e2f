import { hostProblems, type Host, type HostCheck, type HostFields, type HostProblem } from '../../../shared/hosts'
import type { ServerEvent } from '../../../shared/events'
import type { Profile } from '../../../shared/profiles'
import { badRequest, conflict, notFound } from '../../http/errors'
import type { HostCreate, HostPatch } from './model'
import { factsOf, memoryProblem, probeArgv, readProbe, reportProblems, type CommandRunner, type ProbeReport } from './preflight'
import type { HostRepository } from './repository'

export interface HostServiceDeps {
  hosts: HostRepository
  /** Profiles that run a rank on the host (a used host cannot be deleted). */
  usingHost: (hostId: number) => Profile[]
  findProfile: (profileId: number) => Profile | null
  /** Bytes of KV cache the profile's model needs at its context, when this machine can read its config.json. */
  kvCacheBytes: (profile: Profile) => number | null
  runner: CommandRunner
  /** The SSH client and its fixed arguments (MLX_MANAGER_SSH). */
  ssh: string[]
  timeoutMs?: number
  now?: () => Date
  /** Tells open admin pages that a host was added, edited or removed. */
  publish?: (event: HostEvent) => void
}

export type HostEvent = Extract<ServerEvent, { type: 'hosts.changed' | 'hosts.removed' }>

function normalize(fields: HostFields): HostFields {
  const sshUser = fields.sshUser?.trim() ?? null
  const rdma = fields.rdmaDevice?.trim() ?? null
  return {
    ...fields,
    name: fields.name.trim(),
    address: fields.address.trim(),
    pythonEnv: fields.pythonEnv.trim().replace(/\/+$/, ''),
    sshUser: sshUser === '' || (fields.local && sshUser === null) ? null : sshUser,
    rdmaDevice: rdma === '' ? null : rdma,
  }
}

const fieldsOf = ({ id: _i, createdAt: _c, updatedAt: _u, ...fields }: Host): HostFields => fields

/** Hosts: the machines that run ranks of distributed profiles, and the checks that say what is wrong with them. */
export class HostService {
  private readonly now: () => Date
  /** The latest check of each host, to compare versions with a host checked on its own. */
  private readonly lastChecks = new Map<number, HostCheck>()

  constructor(private readonly deps: HostServiceDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  list(): Host[] {
    return this.deps.hosts.list()
  }

  find(id: number): Host | null {
    return this.deps.hosts.find(id)
  }

  get(id: number): Host {
    const host = this.deps.hosts.find(id)
    if (host === null) throw notFound('host-not-found', `There is no host ${id}. It may have been deleted; reload the list.`)
    return host
  }

  create(input: HostCreate): Host {
    const fields = this.validate({ sshUser: null, local: false, rdmaDevice: null, ...input })
    this.checkUnique(fields, null)
    const host = this.deps.hosts.insert(fields, this.now().toISOString())
    this.deps.publish?.({ type: 'hosts.changed', data: host })
    return host
  }

  update(id: number, patch: HostPatch): Host {
    const current = this.get(id)
    const merged: HostFields = { ...fieldsOf(current) }
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) Object.assign(merged, { [key]: value })
    const fields = this.validate(merged)
    this.checkUnique(fields, id)
    const host = this.deps.hosts.update(id, fields, this.now().toISOString()) ?? this.get(id)
    this.lastChecks.delete(id)
    this.deps.publish?.({ type: 'hosts.changed', data: host })
    return host
  }

  remove(id: number): void {
    const host = this.get(id)
    const users = this.deps.usingHost(id)
    if (users.length > 0) {
      const names = users.map((profile) => `"${profile.name}"`).join(', ')
      throw conflict('host-in-use', `${host.name} runs ranks of ${names}. Remove it from ${users.length === 1 ? 'that profile' : 'those profiles'} first.`)
    }
    this.deps.hosts.remove(id)
    this.lastChecks.delete(id)
    this.deps.publish?.({ type: 'hosts.removed', data: { id } })
  }

  /** Checks one host; with a profile, also its model and memory for its share of that profile. */
  async check(id: number, profileId?: number): Promise<HostCheck> {
    const host = this.get(id)
    const profile = profileId === undefined ? null : this.profile(profileId)
    const ranks = profile === null ? [host] : profile.distributedHosts.map((hostId) => (hostId === id ? host : null)).filter((item) => item !== null)
    const [check] = await this.checkMany([host], profile, ranks.length > 0 ? profile?.distributedHosts.length ?? 1 : 1)
    if (check === undefined) throw new Error('A check answered nothing.')
    // Versions are compared with the other hosts' latest checks.
    const others = [...this.lastChecks.values()].filter((other) => other.hostId !== id)
    this.compareVersions([check, ...others], host.local ? check : (others.find((other) => this.find(other.hostId)?.local === true) ?? null), [check])
    this.remember(check)
    return check
  }

  /** The preflight of a distributed profile: every host it names, checked at once, versions compared across them. */
  async checkProfile(profile: Profile): Promise<HostCheck[]> {
    const ids = [...new Set(profile.distributedHosts)]
    const hosts = ids.map((id) => {
      const host = this.find(id)
      if (host === null) throw badRequest('unknown-host', `"${profile.name}" names host ${id}, which no longer exists. Choose its hosts again.`)
      return host
    })
    const checks = await this.checkMany(hosts, profile, profile.distributedHosts.length)
    const local = checks.find((check) => hosts.find((host) => host.id === check.hostId)?.local === true) ?? null
    this.compareVersions(checks, local, checks)
    for (const check of checks) this.remember(check)
    return checks
  }

  private async checkMany(hosts: Host[], profile: Profile | null, totalRanks: number): Promise<HostCheck[]> {
    const model = profile?.model ?? null
    const kv = profile === null ? null : this.deps.kvCacheBytes(profile)
    return Promise.all(
      hosts.map(async (host) => {
        const started = performance.now()
        const result = await this.deps.runner.run(probeArgv(host, this.deps.ssh, model), { timeoutMs: this.deps.timeoutMs ?? 20_000 })
        const { report, problem } = readProbe(host, result)
        const problems: HostProblem[] = problem === null ? [] : [problem]
        if (report !== null) {
          problems.push(...reportProblems(host, report, model))
          const memory = this.memory(host, report, profile, totalRanks, kv)
          if (memory !== null) problems.push(memory)
        }
        return {
          hostId: host.id,
          name: host.name,
          ok: problems.length === 0,
          checkedAt: this.now().toISOString(),
          tookMs: Math.round(performance.now() - started),
          facts: factsOf(report),
          problems,
        }
      }),
    )
  }

  /** Each rank holds an equal share of the weights and KV cache; a host with two ranks holds two shares. */
  private memory(host: Host, report: ProbeReport, profile: Profile | null, totalRanks: number, kv: number | null): HostProblem | null {
    if (profile === null || report.model === null || !report.model.found) return null
    const budget = factsOf(report).budgetBytes
    if (budget === null) return null
    const ranksHere = Math.max(1, profile.distributedHosts.filter((id) => id === host.id).length)
    const need = Math.ceil(((report.model.weightsBytes + (kv ?? 0)) / Math.max(1, totalRanks)) * ranksHere)
    return memoryProblem(host, need, budget, ranksHere)
  }

  /** Every host must run the same mlx and mlx-lm: ranks of different versions do not load the same shards. */
  private compareVersions(all: HostCheck[], reference: HostCheck | null, report: HostCheck[]): void {
    for (const key of ['mlx', 'mlxLm'] as const) {
      const seen = all.filter((check) => check.facts[key] !== null)
      const versions = new Set(seen.map((check) => check.facts[key]))
      if (versions.size < 2) continue
      const wanted = reference?.facts[key] ?? mostCommon(seen.map((check) => check.facts[key] ?? ''))
      const pkg = key === 'mlx' ? 'mlx' : 'mlx-lm'
      const list = seen.map((check) => `${check.name} ${check.facts[key]}`).join(', ')
      for (const check of report) {
        if (check.facts[key] === null || check.facts[key] === wanted) continue
        const host = this.find(check.hostId)
        check.problems.push({
          code: 'version-mismatch',
          message: `${pkg} differs between hosts (${list}). Install the same version everywhere: on ${check.name} run ${host?.pythonEnv ?? '<env>'}/bin/pip install ${pkg}==${wanted}.`,
        })
        check.ok = false
      }
    }
  }

  private remember(check: HostCheck): void {
    this.lastChecks.set(check.hostId, check)
  }

  private profile(id: number): Profile {
    const profile = this.deps.findProfile(id)
    if (profile === null) throw notFound('profile-not-found', `There is no profile ${id}.`)
    return profile
  }

  private validate(fields: HostFields): HostFields {
    const normalized = normalize(fields)
    const problems = hostProblems(normalized)
    if (problems.length > 0) throw badRequest('invalid-host', problems.map((problem) => problem.message).join(' '))
    return normalized
  }

  private checkUnique(fields: HostFields, id: number | null): void {
    const named = this.deps.hosts.findByName(fields.name)
    if (named !== null && named.id !== id) throw conflict('name-taken', `A host called "${named.name}" already exists. Choose another name.`)
  }
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ''
}
