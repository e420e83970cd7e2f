import { ref } from 'vue'
import { toApiError, type ApiError } from '../../api/client'
import { useAuthStore } from './store'

/**
 * Runs an API call for a store: any failure becomes an ApiError, and one that means the session
 * ended (signed out, disabled) is handled by the auth store before the caller sees it.
 */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    const apiError: ApiError = toApiError(error)
    await useAuthStore().handleFailure(apiError)
    throw apiError
  }
}

/**
 * A store's list from the manager: `fetch` runs guarded, `apply` keeps what came back. `loading`
 * while it runs, `loaded` after the first success, `loadError` the last failure's sentence (the
 * list shown so far stays). `forget` returns to "never loaded", for a sign-out.
 */
export function useGuardedLoad<T>(fetch: () => Promise<T>, apply: (value: T) => void) {
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      apply(await guarded(fetch))
      loaded.value = true
      loadError.value = null
    } catch (error) {
      loadError.value = toApiError(error).message
    } finally {
      loading.value = false
    }
  }

  function forget(): void {
    loaded.value = false
    loadError.value = null
  }

  return { loaded, loading, loadError, load, forget }
}
