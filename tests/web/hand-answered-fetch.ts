import { flushPromises } from '@vue/test-utils'
import { vi } from 'vitest'

/** A request the code under test sent, waiting until the test answers it. */
export interface HeldRequest {
  path: string
  query: Record<string, string>
  answered: boolean
  /** Answers it, then lets the caller's code run on until it waits for something else. */
  answer(response: Response): Promise<void>
}

/**
 * Replaces fetch with one whose every request waits for the test to answer it, in any order the
 * test likes: for the races between a slow answer and a newer request, and for what a store shows
 * while an answer is on its way.
 */
export function handAnsweredFetch() {
  const requests: HeldRequest[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(
      (input: RequestInfo | URL) =>
        new Promise<Response>((resolve) => {
          const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
          const held: HeldRequest = {
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            answered: false,
            async answer(response) {
              held.answered = true
              resolve(response)
              await flushPromises()
            },
          }
          requests.push(held)
        }),
    ),
  )
  return {
    requests,
    /** Requests to a path so far, answered or not. */
    to(path: string): HeldRequest[] {
      return requests.filter((request) => request.path === path)
    },
    /** The oldest unanswered request to a path, once the code under test has sent it. */
    waiting(path: string): Promise<HeldRequest> {
      return vi.waitFor(() => {
        const found = requests.find((request) => !request.answered && request.path === path)
        if (found === undefined) throw new Error(`Nothing is waiting for an answer from ${path}.`)
        return found
      })
    },
  }
}
