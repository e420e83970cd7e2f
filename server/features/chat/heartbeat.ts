const TICK = Symbol('tick')

/**
 * Passes `source` through, adding `ping()` whenever it has been silent for `everyMs`. An engine
 * says nothing while it reads a long prompt; without this, Bun's idle timeout (30 s) or a proxy
 * would close the reply before the first token. One lazy timer per period, not one per event.
 */
export async function* withHeartbeat<T, P>(source: AsyncIterable<T>, everyMs: number, ping: () => P): AsyncGenerator<T | P> {
  const iterator = source[Symbol.asyncIterator]()
  let lastActivity = performance.now()
  let tick: Promise<typeof TICK> | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  const nextTick = () =>
    new Promise<typeof TICK>((resolve) => {
      const check = () => {
        const silentMs = performance.now() - lastActivity
        if (silentMs >= everyMs) resolve(TICK)
        else timer = setTimeout(check, everyMs - silentMs)
      }
      timer = setTimeout(check, everyMs)
    })
  try {
    let pending = iterator.next()
    for (;;) {
      tick ??= nextTick()
      const result = await Promise.race([pending, tick])
      lastActivity = performance.now()
      if (result === TICK) {
        tick = null
        yield ping()
        continue
      }
      if (result.done === true) return
      pending = iterator.next()
      yield result.value
    }
  } finally {
    clearTimeout(timer)
    await iterator.return?.()
  }
}
