import {
  FIRST_SUGGESTED_PORT,
  PROFILE_DEFAULTS,
  PROFILE_LIMITS,
  profileProblems,
  type Profile,
  type ProfileFields,
} from '../../../shared/profiles'
import { type AppError, badRequest, conflict, notFound } from '../../http/errors'
import type { EventBus } from '../events/bus'
import type { ChatTemplateRules } from '../templates/location'
import type { ProfileCreate, ProfilePatch } from './model'
import type { PortProbe } from './ports'
import type { ProfileRepository } from './repository'

/** What profiles need from the servers, without depending on the supervisor. */
export interface ServerHooks {
  /** True while the profile's server starts, runs or stops. */
  isActive(profileId: number): boolean
  /** The profile whose running server holds this port, if one of ours does. */
  holderOf(port: number): { profileId: number; name: string } | null
  profileChanged(profile: Profile): void
  profileDeleted(profileId: number): void
}

export interface ProfileServiceDeps {
  profiles: ProfileRepository
  ports: PortProbe
  bus: EventBus
  servers: ServerHooks
  /** Where a chat template file may come from; checked on save and again at each start. */
  chatTemplates: Pick<ChatTemplateRules, 'check'>
  /** Ports no profile may take (the manager's own). */
  reservedPorts: number[]
  now?: () => Date
}

const NULLABLE_TEXT = ['description', 'toolCallParser', 'reasoningParser', 'chatTemplateFile', 'systemPrompt', 'customCommand'] as const

/** Trims what people type, and treats an emptied optional text field as cleared. */
function normalize(fields: ProfileFields): ProfileFields {
  const result = { ...fields, name: fields.name.trim(), model: fields.model.trim(), host: fields.host.trim() }
  for (const key of NULLABLE_TEXT) {
    const value = result[key]
    if (value !== null && value.trim() === '') result[key] = null
    else if (value !== null && key !== 'systemPrompt' && key !== 'description') result[key] = value.trim()
  }
  return result
}

function fieldsOf({ id: _id, createdAt: _c, updatedAt: _u, ...fields }: Profile): ProfileFields {
  return fields
}

/** Profiles: validated, uniquely named recipes with a port the OS agrees is free. */
export class ProfileService {
  private readonly now: () => Date

  constructor(private readonly deps: ProfileServiceDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  list(): Profile[] {
    return this.deps.profiles.list()
  }

  find(id: number): Profile | null {
    return this.deps.profiles.find(id)
  }

  get(id: number): Profile {
    const profile = this.deps.profiles.find(id)
    if (profile === null) throw notFound('profile-not-found', `There is no profile with id ${id}. The list may be out of date; reload it.`)
    return profile
  }

  async create(input: ProfileCreate): Promise<Profile> {
    const host = input.host?.trim() || PROFILE_DEFAULTS.host
    const port = input.port ?? (await this.suggestPort(host))
    const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as ProfileCreate
    const fields = this.validate({ ...PROFILE_DEFAULTS, extraArgs: [], ...given, host, port })
    this.checkChatTemplate(fields, null)
    await this.checkPort(fields, null)
    const profile = this.deps.profiles.exclusive(() => {
      this.checkUnique(fields, null)
      return this.deps.profiles.insert(fields, this.now().toISOString())
    })
    this.announce(profile)
    return profile
  }

  async update(id: number, patch: ProfilePatch): Promise<Profile> {
    const current = this.get(id)
    const merged: ProfileFields = { ...fieldsOf(current) }
    for (const [key, value] of Object.entries(patch) as [keyof ProfileFields, unknown][]) {
      if (value !== undefined) Object.assign(merged, { [key]: value })
    }
    const fields = this.validate(merged)
    this.checkChatTemplate(fields, current)
    await this.checkPort(fields, current)
    const profile = this.deps.profiles.exclusive(() => {
      this.checkUnique(fields, id)
      return this.deps.profiles.update(id, fields, this.now().toISOString())
    })
    if (profile === null) return this.get(id)
    this.announce(profile)
    return profile
  }

  remove(id: number): void {
    const profile = this.get(id)
    if (this.deps.servers.isActive(id)) {
      throw conflict('server-running', `The server of "${profile.name}" is running. Stop it before deleting the profile.`)
    }
    this.deps.profiles.remove(id)
    this.deps.servers.profileDeleted(id)
    this.deps.bus.publish({ type: 'profiles.deleted', data: { id } })
  }

  private announce(profile: Profile): void {
    this.deps.bus.publish({ type: 'profiles.changed', data: profile })
    this.deps.servers.profileChanged(profile)
  }

  /** A copy named "<name> (copy)", on the next free port, that does not start by itself. */
  async duplicate(id: number, name?: string): Promise<Profile> {
    const source = this.get(id)
    const copyName = name ?? this.copyName(source.name)
    const port = await this.suggestPort(source.host, source.port + 1)
    return this.create({ ...fieldsOf(source), name: copyName, port, autoStart: false })
  }

  /** The first port from `from` that no profile uses and the OS says is free on `host`. */
  async suggestPort(host: string = PROFILE_DEFAULTS.host, from = FIRST_SUGGESTED_PORT, excludeId: number | null = null): Promise<number> {
    const taken = new Set([...this.deps.reservedPorts, ...this.deps.profiles.list().filter((p) => p.id !== excludeId).map((p) => p.port)])
    let tries = 0
    for (let port = Math.max(from, PROFILE_LIMITS.portMin); port <= PROFILE_LIMITS.portMax && tries < 200; port++) {
      if (taken.has(port) || this.deps.servers.holderOf(port) !== null) continue
      tries++
      const check = await this.deps.ports.check(host, port)
      if (check === 'free') return port
      if (check === 'address-unavailable') throw this.hostError(host)
    }
    throw conflict('no-free-port', `No free port was found from ${from}; choose one yourself.`)
  }

  /** Run by the supervisor before each start, when the OS may have changed its mind since the save. */
  async assertPortFree(profile: Profile): Promise<void> {
    await this.checkOsPort(profile.host, profile.port, profile.id)
  }

  private validate(fields: ProfileFields): ProfileFields {
    const normalized = normalize(fields)
    const problems = profileProblems(normalized)
    if (problems.length > 0) throw badRequest('invalid-profile', problems.map((problem) => problem.message).join(' '))
    return normalized
  }

  /** A new or moved template, or a new model (whose folder is one of the allowed places), is checked; the start checks again. */
  private checkChatTemplate(fields: ProfileFields, current: Profile | null): void {
    if (fields.chatTemplateFile === null) return
    if (current !== null && current.chatTemplateFile === fields.chatTemplateFile && current.model === fields.model) return
    this.deps.chatTemplates.check(fields.model, fields.chatTemplateFile)
  }

  private checkUnique(fields: ProfileFields, id: number | null): void {
    const named = this.deps.profiles.findByName(fields.name)
    if (named !== null && named.id !== id) {
      throw conflict('name-taken', `A profile called "${named.name}" already exists. Choose another name.`)
    }
    const sharing = this.deps.profiles.findByPort(fields.port).find((profile) => profile.id !== id)
    if (sharing !== undefined) {
      throw conflict('port-taken', `Port ${fields.port} belongs to the profile "${sharing.name}". Choose another port.`)
    }
  }

  private async checkPort(fields: ProfileFields, current: Profile | null): Promise<void> {
    if (this.deps.reservedPorts.includes(fields.port)) {
      throw conflict('port-taken', `Port ${fields.port} is where MLX Manager itself listens. Choose another port.`)
    }
    // The profile's own running server holds its current port; only a new host or port needs the OS.
    if (current !== null && current.port === fields.port && current.host === fields.host) return
    await this.checkOsPort(fields.host, fields.port, current?.id ?? null)
  }

  private async checkOsPort(host: string, port: number, profileId: number | null): Promise<void> {
    const holder = this.deps.servers.holderOf(port)
    if (holder !== null && holder.profileId !== profileId) {
      throw conflict('port-in-use', `Port ${port} is held by the running server of "${holder.name}". Choose another port or stop that server.`)
    }
    if (holder !== null) return
    const check = await this.deps.ports.check(host, port)
    if (check === 'free') return
    if (check === 'address-unavailable') throw this.hostError(host)
    if (check === 'forbidden') throw badRequest('port-forbidden', `This account may not listen on port ${port}. Choose a port from 1024 up.`)
    const next = await this.suggestPort(host, port + 1, profileId).catch(() => null)
    throw conflict(
      'port-in-use',
      `Port ${port} on ${host} is in use by another program.${next === null ? '' : ` Port ${next} is free.`} Stop that program or choose another port.`,
    )
  }

  private hostError(host: string): AppError {
    return badRequest(
      'host-unavailable',
      `This machine has no address ${host}. Use 127.0.0.1 (this machine only) or 0.0.0.0 (reachable from your network).`,
    )
  }

  private copyName(name: string): string {
    const base = name.replace(/ \(copy(?: \d+)?\)$/, '')
    for (let n = 1; ; n++) {
      const candidate = `${base} (copy${n === 1 ? '' : ` ${n}`})`.slice(-PROFILE_LIMITS.nameMaxLength)
      if (this.deps.profiles.findByName(candidate) === null) return candidate
    }
  }
}
