import { ENGINE_NAMES, PROFILE_DEFAULTS, PROFILE_LIMITS, type EngineName } from '../../../shared/profiles'
import { hubTokenProblem, type AdminSettings, type CacheFolder, type HubTokenState, type ProfileDefaults } from '../../../shared/settings'
import { badRequest } from '../../http/errors'
import type { HubTokenStore } from './hub-token'
import type { DefaultsChange } from './model'
import type { SettingsRepository } from './repository'

export interface SettingsDeps {
  repo: SettingsRepository
  token: HubTokenStore
  hubEndpoint: string
  cacheDir: string
  /** Told after the token changed (the catalog forgets answers given with the old one). */
  tokenChanged?: () => void
  /** Free and total bytes of the disk holding `path` (its nearest existing folder); null when unreadable. */
  disk: (path: string) => Promise<{ freeBytes: number; totalBytes: number } | null>
}

const ENGINE_KEY = 'default_engine'
const IDLE_KEY = 'default_idle_minutes'

const isEngine = (value: string | null): value is EngineName => value !== null && (ENGINE_NAMES as readonly string[]).includes(value)

/** The machine-wide settings admins keep: the hub token, and what new profiles start with. */
export class SettingsService {
  constructor(private readonly deps: SettingsDeps) {}

  async read(): Promise<AdminSettings> {
    return {
      hfToken: this.deps.token.state(),
      hubEndpoint: this.deps.hubEndpoint,
      cache: await this.cache(),
      profileDefaults: this.profileDefaults(),
    }
  }

  profileDefaults(): ProfileDefaults {
    const engine = this.deps.repo.get(ENGINE_KEY)
    const idle = this.deps.repo.get(IDLE_KEY)
    return {
      engine: isEngine(engine) ? engine : PROFILE_DEFAULTS.engine,
      idleTimeoutMinutes: idle === null || !/^\d+$/.test(idle) ? null : Number(idle),
    }
  }

  setToken(token: string): HubTokenState {
    const trimmed = token.trim()
    const problem = hubTokenProblem(trimmed)
    if (problem !== null) throw badRequest('invalid-hf-token', problem)
    this.deps.token.set(trimmed)
    this.deps.tokenChanged?.()
    return this.deps.token.state()
  }

  clearToken(): HubTokenState {
    this.deps.token.clear()
    this.deps.tokenChanged?.()
    return this.deps.token.state()
  }

  setProfileDefaults(change: DefaultsChange): ProfileDefaults {
    const idle = change.idleTimeoutMinutes
    if (idle !== undefined && idle !== null && (idle < 1 || idle > PROFILE_LIMITS.idleTimeoutMinutesMax)) {
      throw badRequest('invalid-idle-timeout', `The idle time is from 1 to ${PROFILE_LIMITS.idleTimeoutMinutesMax} minutes, or empty to keep servers running.`)
    }
    if (change.engine !== undefined && !isEngine(change.engine)) {
      throw badRequest('invalid-engine', `The engine is one of ${ENGINE_NAMES.join(', ')}.`)
    }
    if (change.engine !== undefined) this.deps.repo.set(ENGINE_KEY, change.engine)
    if (idle === null) this.deps.repo.remove(IDLE_KEY)
    else if (idle !== undefined) this.deps.repo.set(IDLE_KEY, String(idle))
    return this.profileDefaults()
  }

  private async cache(): Promise<CacheFolder> {
    const space = await this.deps.disk(this.deps.cacheDir).catch(() => null)
    return { path: this.deps.cacheDir, freeBytes: space?.freeBytes ?? null, totalBytes: space?.totalBytes ?? null }
  }
}
