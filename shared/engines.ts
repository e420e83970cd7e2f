import type { EngineName } from './profiles'

/** Where an engine's executable was found: the manager's own environment, or PATH / MLX_MANAGER_ENGINE_PATH. */
export type EngineSource = 'managed' | 'path'

/** What the manager can do about installing an engine here, beside what `EngineInfo` says is installed. */
export interface EngineManagement {
  source: EngineSource | null
  /** True when the manager can install (or update) it on this machine. */
  installable: boolean
  /** Why it cannot be installed here, when it cannot. */
  notInstallableReason: string | null
  /** An install or removal under way. */
  installState: 'installing' | 'removing' | null
}

/** One step of an install, update or removal (`engines.install` on /api/events). */
export interface EngineInstallState {
  engine: EngineName
  state: 'installing' | 'installed' | 'failed' | 'removing' | 'removed'
  /** One line the installer printed (pip, uv, venv). */
  line?: string
  /** Why it failed, in a sentence. */
  error?: string
}
