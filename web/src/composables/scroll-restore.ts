import { nextTick, type Ref } from 'vue'
import { onBeforeRouteLeave } from 'vue-router'

/** The page may take a few frames to reach its full height (rows, images): try again each frame, a few times. */
function scrollTowards(top: number, framesLeft = 10): void {
  window.scrollTo({ top })
  if (Math.abs(window.scrollY - top) > 2 && framesLeft > 0) requestAnimationFrame(() => scrollTowards(top, framesLeft - 1))
}

/**
 * Keeps the window's scroll position in `position` (a store's, so it outlives the view) when the
 * route is left, and `restore` puts back the one kept last time once the content is drawn again:
 * back from a model page, the list is where it was.
 */
export function useScrollRestore(position: Ref<number>): { restore: () => Promise<void> } {
  const kept = position.value
  onBeforeRouteLeave(() => {
    position.value = window.scrollY
  })
  async function restore(): Promise<void> {
    await nextTick()
    if (kept > 0) scrollTowards(kept)
  }
  return { restore }
}
