import type { ReadinessCheck } from './adapter'

export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>

/** Where to reach a server that listens on `host`: wildcard addresses are reached over loopback. */
export function reachableBaseUrl(host: string, port: number): string {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' || host === '[::]' ? '::1' : host
  const bracketed = target.includes(':') && !target.startsWith('[') ? `[${target}]` : target
  return `http://${bracketed}:${port}`
}

async function ok(fetcher: Fetcher, url: string, init: RequestInit): Promise<boolean> {
  try {
    const response = await fetcher(url, init)
    // Read the body so the connection is released and a half-written answer counts as not ready.
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}

/**
 * One readiness probe. True only when the engine can serve a request now. `signal` bounds the
 * probe; a one-token completion may legitimately wait for the whole model load.
 */
export async function probeReady(fetcher: Fetcher, check: ReadinessCheck, baseUrl: string, signal: AbortSignal): Promise<boolean> {
  const get: RequestInit = { signal }
  switch (check) {
    case 'health-then-models':
      return (await ok(fetcher, `${baseUrl}/health`, get)) && (await ok(fetcher, `${baseUrl}/v1/models`, get))
    case 'models':
      return ok(fetcher, `${baseUrl}/v1/models`, get)
    case 'one-token':
      return ok(fetcher, `${baseUrl}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Hi', max_tokens: 1, stream: false }),
        signal,
      })
  }
}
