import { describe, expect, test } from 'bun:test'
import { PeerLink, type LinkStatus } from '../../server/features/peers/link'
import { DEFAULT_PEER_TIMING } from '../../server/features/peers/model'
import { eventually } from '../fixtures/engine/harness'

const target = { name: 'studio', url: 'http://127.0.0.1:9', apiKey: 'mlxm_x' }

describe('the link to a peer', () => {
  test('retries a peer that cannot be reached by itself, waiting twice as long each time up to the limit, and says why', async () => {
    const tries: number[] = []
    const refused = Object.assign(new TypeError('ECONNREFUSED: Unable to connect.'), { code: 'ECONNREFUSED' })
    const fetcher = (() => {
      tries.push(performance.now())
      return Promise.reject(refused)
    }) as unknown as typeof fetch
    const seen: LinkStatus[] = []
    const link = new PeerLink(target, { ...DEFAULT_PEER_TIMING, retryBaseMs: 40, retryMaxMs: 160 }, (status) => seen.push(status), fetcher)
    try {
      await eventually(() => tries.length >= 6, 5_000)
    } finally {
      link.close()
    }
    const gaps = tries.slice(1).map((at, i) => at - tries[i]!)
    // A timer never fires early: each wait is at least its share of the doubling, and the limit holds it at 160 ms.
    for (const [i, wanted] of [40, 80, 160, 160, 160].entries()) expect(gaps[i]).toBeGreaterThanOrEqual(wanted - 2)
    // Doubling without the limit would take at least 40 + 80 + 160 + 320 + 640 = 1,240 ms for these five waits.
    expect(tries[5]! - tries[0]!).toBeLessThan(1_200)
    expect(link.status.state).toBe('unreachable')
    expect(link.status.lastError).toBe('studio could not be reached at http://127.0.0.1:9: nothing answers on that port (connection refused). Retrying by itself.')
    expect(seen.every((status) => status.state === 'unreachable')).toBe(true)
    const closedAt = tries.length
    await Bun.sleep(400)
    expect(tries.length).toBe(closedAt)
  })

  test('a peer that answers its feed is online with its profiles, and a retry after a drop starts from the shortest wait again', async () => {
    let calls = 0
    const fetcher = (() => {
      calls++
      // Every other connection gives one list and closes.
      if (calls % 2 === 0) return Promise.reject(Object.assign(new TypeError('reset'), { code: 'ECONNRESET' }))
      return Promise.resolve(new Response('event: profiles\ndata: [{"id":1,"name":"Fox","aliases":[],"model":"m","engine":"mlx_lm.server","modelType":"lm","state":"ready","failure":null}]\n\n', { headers: { 'content-type': 'text/event-stream' } }))
    }) as unknown as typeof fetch
    const states: string[] = []
    const started = performance.now()
    const link = new PeerLink(target, { ...DEFAULT_PEER_TIMING, retryBaseMs: 30, retryMaxMs: 10_000 }, (status) => states.push(status.state), fetcher)
    try {
      await eventually(() => calls >= 7, 5_000)
    } finally {
      link.close()
    }
    // Without the reset after each list the six waits would take at least 30 + 60 + … + 960 = 1,890 ms.
    expect(performance.now() - started).toBeLessThan(1_200)
    expect(states).toContain('online')
    expect(link.status.profiles.map((profile) => profile.name)).toEqual(['Fox'])
  })
})
