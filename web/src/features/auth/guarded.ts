import { ref } from 'vue'
import { readSnapshot, saveSnapshot } from '../../db/snapshots'
import { isAbort, toApiError, type ApiError } from '../../api/client'
import { useAuthStore } from './store'

/**
 * Runs an API call for a store: any failure becomes an ApiError, and one that means the session
 * ended (signed out, disabled) is handled by the auth store before the caller sees it. A call the
 * store stopped itself (an aborted stream) is no failure: its AbortError reaches the caller as is.
 */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (isAbort(error)) throw error
    const apiError: ApiError = toApiError(error)
    await useAuthStore().handleFailure(apiError)
    throw apiError
  }
}

export interface GuardedLoadOptions {
  /**
   * Keep each answer on this device under this name (db/snapshots.ts), and when the manager cannot
   * be reached show the last one instead of an error: the screen then reads as "last updated …".
   */
  snapshot?: string
}

/**
 * A store's list from the manager: `fetch` runs guarded, `apply` keeps what came back. `loading`
 * while it runs, `loaded` after the first success (or a saved copy), `loadError` the last failure's
 * sentence (the list shown so far stays). `updatedAt` is when the manager sent the list on screen;
 * `fromDevice` says it is this device's saved copy because the manager could not be reached.
 * `forget` returns to "never loaded", for a sign-out.
 */
export function useGuardedLoad<T>(fetch: () => Promise<T>, apply: (value: T) => void, options: GuardedLoadOptions = {}) {
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)
  const updatedAt = ref<string | null>(null)
  const fromDevice = ref(false)
  let run = 0

  async function fromSnapshot(name: string, current: number): Promise<boolean> {
    const saved = await readSnapshot<T>(name).catch(() => null)
    if (saved === null || current !== run) return false
    // A list already on screen is newer than any saved copy: keep it, only say it is not live.
    if (!loaded.value) {
      apply(saved.value)
      updatedAt.value = saved.savedAt
      loaded.value = true
    }
    fromDevice.value = true
    return true
  }

  async function load(): Promise<void> {
    const current = ++run
    loading.value = true
    try {
      const value = await guarded(fetch)
      if (current !== run) return
      apply(value)
      const now = new Date().toISOString()
      updatedAt.value = now
      loaded.value = true
      loadError.value = null
      fromDevice.value = false
      // The saved copy only helps offline: not waited for, and a full or blocked IndexedDB must not fail the screen.
      if (options.snapshot !== undefined) void saveSnapshot(options.snapshot, value, now).catch(() => undefined)
    } catch (error) {
      const apiError = toApiError(error)
      if (current !== run) return
      if (apiError.isNetwork && options.snapshot !== undefined && (await fromSnapshot(options.snapshot, current))) {
        loadError.value = null
        return
      }
      loadError.value = apiError.message
    } finally {
      if (current === run) loading.value = false
    }
  }

  function forget(): void {
    run += 1
    loaded.value = false
    loading.value = false
    loadError.value = null
    updatedAt.value = null
    fromDevice.value = false
  }

  return { loaded, loading, loadError, updatedAt, fromDevice, load, forget }
}
