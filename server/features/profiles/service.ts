import { PROFILE_DEFAULTS, PROFILE_LIMITS, profileProblems, type Profile, type ProfileFields } from '../../../shared/profiles'
import { badRequest, conflict } from '../../http/errors'
import type { EventBus } from '../events/bus'
import type { ChatTemplateRules } from '../templates/location'
import type { ProfileCreate, ProfilePatch } from './model'
import type { PortRegistry } from './port-registry'
import { profileReads, type ProfileReads } from './reads'
import type { ProfileRepository } from './repository'

/** What profiles tell the servers (the supervisor): it is built first and needs nothing from profiles but reads. */
export interface ServerHooks {
  /** True while the profile's server starts, runs or stops. */
  isActive(profileId: number): boolean
  profileChanged(profile: Profile): void
  profileDeleted(profileId: number): void
}

export interface ProfileServiceDeps {
  profiles: ProfileRepository
  ports: PortRegistry
  bus: EventBus
  servers: ServerHooks
  /** Where a chat template file may come from; checked on save and again at each start. */
  chatTemplates: Pick<ChatTemplateRules, 'check'>
  /** The engine and idle time a profile created without them gets (set in Settings). */
  defaults?: () => Pick<ProfileFields, 'engine' | 'idleTimeoutMinutes'>
  /** True when a host id names a host (a distributed profile lists its hosts by id). */
  hostExists?: (id: number) => boolean
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
  private readonly reads: ProfileReads

  constructor(private readonly deps: ProfileServiceDeps) {
    this.now = deps.now ?? (() => new Date())
    this.reads = profileReads(deps.profiles)
  }

  list(): Profile[] {
    return this.reads.list()
  }

  find(id: number): Profile | null {
    return this.reads.find(id)
  }

  get(id: number): Profile {
    return this.reads.get(id)
  }

  async create(input: ProfileCreate): Promise<Profile> {
    const host = input.host?.trim() || PROFILE_DEFAULTS.host
    const port = input.port ?? (await this.suggestPort(host))
    const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as ProfileCreate
    const fields = this.validate({ ...PROFILE_DEFAULTS, ...this.deps.defaults?.(), extraArgs: [], ...given, host, port })
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
  suggestPort(host?: string, from?: number): Promise<number> {
    return this.deps.ports.suggest(host, from)
  }

  private validate(fields: ProfileFields): ProfileFields {
    const normalized = normalize(fields)
    const problems = profileProblems(normalized)
    if (problems.length > 0) throw badRequest('invalid-profile', problems.map((problem) => problem.message).join(' '))
    const unknown = normalized.distributedHosts.filter((id) => this.deps.hostExists?.(id) === false)
    if (unknown.length > 0) throw badRequest('unknown-host', `There is no host ${[...new Set(unknown)].join(', ')}. Add it on the Hosts page first, or choose from the hosts listed there.`)
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
    // Names and aliases share one space: the gateway finds a profile by either.
    const others = this.deps.profiles.list().filter((profile) => profile.id !== id)
    for (const wanted of [fields.name, ...fields.aliases]) {
      const holder = others.find((profile) => profile.name === wanted || profile.aliases.includes(wanted))
      if (holder !== undefined && !(wanted === fields.name && holder.name === wanted)) {
        throw conflict('name-taken', `"${wanted}" is already a name or alias of the profile "${holder.name}". Choose another.`)
      }
    }
    const sharing = this.deps.profiles.findByPort(fields.port).find((profile) => profile.id !== id)
    if (sharing !== undefined) {
      throw conflict('port-taken', `Port ${fields.port} belongs to the profile "${sharing.name}". Choose another port.`)
    }
  }

  private async checkPort(fields: ProfileFields, current: Profile | null): Promise<void> {
    this.deps.ports.assertNotReserved(fields.port)
    // The profile's own running server holds its current port; only a new host or port needs the OS.
    if (current !== null && current.port === fields.port && current.host === fields.host) return
    await this.deps.ports.assertFree(fields.host, fields.port, current?.id ?? null)
  }

  private copyName(name: string): string {
    const base = name.replace(/ \(copy(?: \d+)?\)$/, '')
    for (let n = 1; ; n++) {
      const candidate = `${base} (copy${n === 1 ? '' : ` ${n}`})`.slice(-PROFILE_LIMITS.nameMaxLength)
      if (this.deps.profiles.findByName(candidate) === null) return candidate
    }
  }
}
