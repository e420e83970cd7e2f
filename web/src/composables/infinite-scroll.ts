import { onBeforeUnmount, watch, type Ref } from 'vue'

/**
 * Calls `onNear` when the element `sentinel` holds (placed after the last row) comes within
 * `margin` of the viewport, so the next page loads before the end of the list is reached.
 * Follows the element as it appears and goes; without IntersectionObserver nothing loads by itself
 * (the list's own "Load more" button still does).
 */
export function useInfiniteScroll(sentinel: Ref<HTMLElement | null>, onNear: () => void, margin = '600px 0px'): void {
  let observer: IntersectionObserver | null = null
  watch(sentinel, (element) => {
    observer?.disconnect()
    if (element === null || typeof IntersectionObserver === 'undefined') return
    observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) onNear()
    }, { rootMargin: margin })
    observer.observe(element)
  })
  onBeforeUnmount(() => observer?.disconnect())
}
