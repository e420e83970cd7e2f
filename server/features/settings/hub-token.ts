import { tokenEnd, type HubTokenState } from '../../../shared/settings'
import type { SettingsRepository } from './repository'

const KEY = 'hf_token'

/**
 * The HuggingFace token the manager uses: one set on the Settings page (kept in the database),
 * else HF_TOKEN or the one `hf auth login` saved. The hub client and engine starts ask `current()`
 * each time, so a change applies without a restart.
 */
export class HubTokenStore {
  private stored: string | null

  constructor(
    private readonly repo: SettingsRepository,
    /** HF_TOKEN or the saved login token, read at start. */
    private readonly fromEnvironment: string | null,
  ) {
    this.stored = repo.get(KEY)
  }

  current(): string | null {
    return this.stored ?? this.fromEnvironment
  }

  state(): HubTokenState {
    const token = this.current()
    if (token === null) return { set: false, lastFour: null, source: null }
    const end = tokenEnd(token)
    return { set: true, lastFour: end === '' ? null : end, source: this.stored === null ? 'environment' : 'settings' }
  }

  set(token: string): void {
    this.repo.set(KEY, token)
    this.stored = token
  }

  /** Forgets the token set here; HF_TOKEN (or the saved login) applies again if there is one. */
  clear(): void {
    this.repo.remove(KEY)
    this.stored = null
  }
}
