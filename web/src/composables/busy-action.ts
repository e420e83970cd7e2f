import { ref, type Ref } from 'vue'
import { failureOf } from '../features/auth/store'

/**
 * One action at a time on a screen (save, connect, remove…): `busy` while it runs, for the buttons
 * and dialogs, and its failure put as the manager's sentence into the error the form or dialog shows.
 */
export function useBusyAction() {
  const busy = ref(false)
  /** Runs `action` unless one is under way, clearing `error` first; true when it succeeded. */
  async function run(error: Ref<string | null>, action: () => Promise<void>): Promise<boolean> {
    if (busy.value) return false
    busy.value = true
    error.value = null
    try {
      await action()
      return true
    } catch (failure) {
      error.value = failureOf(failure).message
      return false
    } finally {
      busy.value = false
    }
  }
  return { busy, run }
}
