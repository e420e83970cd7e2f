import { onBeforeUnmount, ref, type Ref } from 'vue'

/** Whether a CSS media query matches, kept current while the component lives. */
export function useMediaQuery(query: string): Ref<boolean> {
  const supported = typeof window !== 'undefined' && typeof window.matchMedia === 'function'
  const list = supported ? window.matchMedia(query) : null
  const matches = ref(list?.matches ?? false)
  const listener = (event: MediaQueryListEvent) => (matches.value = event.matches)
  list?.addEventListener('change', listener)
  onBeforeUnmount(() => list?.removeEventListener('change', listener))
  return matches
}
