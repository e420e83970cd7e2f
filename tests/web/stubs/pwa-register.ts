import { ref } from 'vue'
import type { RegisterSWOptions } from 'vite-plugin-pwa/types'

/** Stand-in for `virtual:pwa-register/vue`; tests flip `needRefresh` and watch `updateServiceWorker`. */
export const needRefresh = ref(false)
export const offlineReady = ref(false)
export const updateCalls: (boolean | undefined)[] = []

export function useRegisterSW(_options?: RegisterSWOptions) {
  return {
    needRefresh,
    offlineReady,
    updateServiceWorker: (reloadPage?: boolean) => {
      updateCalls.push(reloadPage)
      return Promise.resolve()
    },
  }
}
