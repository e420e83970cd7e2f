interface DirectController {
  write(chunk: string): void
  flush(): void
  close(): void
}

/**
 * A streamed body written straight to the socket (Bun's direct stream): each item, formatted, is one
 * write and one flush. A timer writes `ping` when nothing was written for `heartbeatMs` (an engine says nothing
 * while it reads a long prompt, and Bun closes a connection idle for 30 s); checking a timestamp per
 * frame costs less than racing a timer against every token.
 */
export function directStream<T>(
  items: AsyncIterable<T>,
  format: (item: T) => string,
  options: { heartbeatMs: number; ping: string; onEnd: () => void },
): ReadableStream {
  const { heartbeatMs, ping, onEnd } = options
  const source: { type: 'direct'; pull: (controller: DirectController) => Promise<void> } = {
    type: 'direct',
    async pull(controller) {
      let lastWrite = performance.now()
      const heartbeat = setInterval(() => {
        if (performance.now() - lastWrite < heartbeatMs) return
        controller.write(ping)
        controller.flush()
        lastWrite = performance.now()
      }, heartbeatMs / 2)
      try {
        for await (const item of items) {
          controller.write(format(item))
          controller.flush()
          lastWrite = performance.now()
        }
      } finally {
        clearInterval(heartbeat)
        onEnd()
      }
      controller.close()
    },
  }
  // Bun's types describe direct streams on Bun.ReadableStreamDirectController, not on the DOM constructor.
  return new ReadableStream(source as unknown as UnderlyingDefaultSource)
}
