import { onBeforeUnmount, ref, watch, type Ref, type WatchSource } from 'vue'

/** Seconds left of a wait the server asked for (`Retry-After`), ticking down to 0. */
export function useCountdown(seconds: WatchSource<number | null>): Ref<number> {
  const left = ref(0)
  let timer: ReturnType<typeof setInterval> | null = null

  function stop(): void {
    if (timer !== null) clearInterval(timer)
    timer = null
  }

  watch(
    seconds,
    (value) => {
      stop()
      left.value = Math.max(0, value ?? 0)
      if (left.value === 0) return
      timer = setInterval(() => {
        left.value = Math.max(0, left.value - 1)
        if (left.value === 0) stop()
      }, 1000)
    },
    { immediate: true },
  )
  onBeforeUnmount(stop)
  return left
}
