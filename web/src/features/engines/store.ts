import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { EngineInstallState, EngineManagement } from '../../../../shared/engines'
import type { EngineInfo, EngineName } from '../../../../shared/profiles'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

export type ManagedEngine = EngineInfo & EngineManagement

/** What one install, update or removal started in this tab (or seen over events) has shown so far. */
export interface EngineProgress {
  state: EngineInstallState['state']
  /** The installer's lines, newest last, capped. */
  lines: string[]
  error: string | null
}

/** pip prints a few hundred lines for a fresh environment; the screen keeps the end. */
export const MAX_LINES = 400

/** What an engine row shows: derived from the list and the live progress together. */
export type EngineRowState = 'installing' | 'removing' | 'failed' | 'managed' | 'path' | 'missing'

export function rowState(engine: ManagedEngine, progress: EngineProgress | undefined): EngineRowState {
  if (progress?.state === 'installing' || engine.installState === 'installing') return 'installing'
  if (progress?.state === 'removing' || engine.installState === 'removing') return 'removing'
  if (progress?.state === 'failed') return 'failed'
  if (engine.installed && engine.source !== null) return engine.source
  return 'missing'
}

/** The built-in engines as an administrator manages them, with installs followed live over `engines.install`. */
export const useEnginesStore = defineStore('engines', () => {
  const engines = ref<ManagedEngine[]>([])
  const progress = ref<Partial<Record<EngineName, EngineProgress>>>({})

  const { loaded, loading, loadError, load, forget } = useGuardedLoad(() => request(api.engines.get()), (list) => (engines.value = list))
  /** Custom commands are programs the admin installs; only the built-in engines are managed here. */
  const builtIn = computed(() => engines.value.filter((engine) => engine.name !== 'custom'))

  function begin(name: EngineName, state: 'installing' | 'removing'): void {
    progress.value = { ...progress.value, [name]: { state, lines: [], error: null } }
  }

  /** Starts an install, or an update of a managed one; progress then arrives as events. */
  async function install(name: EngineName): Promise<void> {
    const previous = progress.value[name]
    begin(name, 'installing')
    try {
      await guarded(() => request(api.engines({ name }).install.post({})))
    } catch (error) {
      // Refused before it began (busy, unsupported, no Python): the row goes back to what it showed.
      if (previous === undefined) clear(name)
      else progress.value = { ...progress.value, [name]: previous }
      throw error
    }
  }

  async function remove(name: EngineName): Promise<void> {
    begin(name, 'removing')
    try {
      await guarded(() => request(api.engines({ name }).delete()))
    } finally {
      clear(name)
      await load()
    }
  }

  function clear(name: EngineName): void {
    const { [name]: _dropped, ...rest } = progress.value
    progress.value = rest
  }

  /** One `engines.install` event: a line, or the end of an install or removal. */
  function applyInstall(event: EngineInstallState): void {
    const current = progress.value[event.engine] ?? { state: event.state, lines: [], error: null }
    const lines = event.line === undefined ? current.lines : [...current.lines, event.line].slice(-MAX_LINES)
    progress.value = { ...progress.value, [event.engine]: { state: event.state, lines, error: event.error ?? null } }
    if (event.state === 'installed' || event.state === 'removed' || event.state === 'failed') {
      // The list says where the engine now comes from and its version.
      void load()
    }
    if (event.state === 'removed') clear(event.engine)
  }

  /** Forgets everything admin-only, e.g. after signing out or losing admin rights. */
  function reset(): void {
    engines.value = []
    progress.value = {}
    forget()
  }

  return { engines, builtIn, progress, loaded, loading, loadError, load, install, remove, applyInstall, reset }
})
