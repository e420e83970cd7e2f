import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

/**
 * The browser's own network state, kept current while the component lives, and a hook for the
 * moment it comes back (a view refreshes what it showed from its saved copy).
 */
export function useOnline(onBackOnline: () => void = () => undefined): Ref<boolean> {
  const online = ref(typeof navigator === 'undefined' || navigator.onLine)
  const track = () => (online.value = navigator.onLine)
  const back = () => {
    track()
    onBackOnline()
  }
  onMounted(() => {
    window.addEventListener('online', back)
    window.addEventListener('offline', track)
  })
  onBeforeUnmount(() => {
    window.removeEventListener('online', back)
    window.removeEventListener('offline', track)
  })
  return online
}
