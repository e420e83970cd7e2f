import { onBeforeUnmount } from 'vue'

/**
 * Runs `run` once calls to `schedule` pause for `ms` (typing into a search); `now` runs it at once
 * (Enter) and drops the pending run. Leaving the component drops it too, so nothing fires after.
 */
export function useDebounced(run: () => void, ms: number): { schedule: () => void; now: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null

  function cancel(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  function now(): void {
    cancel()
    run()
  }

  function schedule(): void {
    cancel()
    timer = setTimeout(now, ms)
  }

  onBeforeUnmount(cancel)
  return { schedule, now }
}
