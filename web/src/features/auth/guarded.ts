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
