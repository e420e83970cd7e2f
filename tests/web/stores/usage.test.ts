import { describe, expect, it, vi } from 'vitest'
import type { UsageGroupBy, UsageResponse } from '../../../shared/observability'
import { useUsageStore } from '../../../web/src/features/usage/store'
import { handAnsweredFetch, type HeldRequest } from '../hand-answered-fetch'
import { failure, json } from '../helpers'

const NOW = Date.parse('2026-03-10T12:00:00.000Z')

function answer(groupBy: UsageGroupBy, requests: number): UsageResponse {
  return {
    from: '2026-03-09T12:00:00.000Z',
    to: '2026-03-10T12:00:00.000Z',
    bucket: 'hour',
    groupBy,
    rows: [
      {
        bucketStart: '2026-03-10T11:00:00.000Z',
        groupId: 1,
        label: 'Fox',
        requests,
        errors: 0,
        promptTokens: 10,
        cachedTokens: 0,
        completionTokens: 20,
        medianTimeToFirstTokenMs: null,
        p95TimeToFirstTokenMs: null,
        medianTokensPerSecond: null,
        approximate: false,
      },
    ],
  }
}

/** The two requests a load and a newer choice sent, oldest first, once both are on their way. */
function both(manager: ReturnType<typeof handAnsweredFetch>): Promise<HeldRequest[]> {
  return vi.waitFor(() => {
    const sent = manager.to('/api/usage')
    if (sent.length < 2) throw new Error('The second request has not been sent yet.')
    return sent
  })
}

const requestsIn = (usage: UsageResponse | null) => usage?.rows.map((row) => row.requests)

describe('usage store', () => {
  it('asks for the last 24 hours by profile, hour by hour, and says it is loading until the answer comes', async () => {
    const manager = handAnsweredFetch()
    const store = useUsageStore()
    expect([store.range, store.groupBy, store.usage, store.loading, store.error]).toEqual(['24h', 'profile', null, false, null])
    const done = store.load(NOW)
    const held = await manager.waiting('/api/usage')
    expect(held.query).toEqual({ from: '2026-03-09T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', bucket: 'hour', groupBy: 'profile' })
    expect(store.loading).toBe(true)
    await held.answer(json(answer('profile', 3)))
    await done
    expect(store.loading).toBe(false)
    expect(requestsIn(store.usage)).toEqual([3])
  })

  it('a new range or grouping asks again and keeps the other choice', async () => {
    const manager = handAnsweredFetch()
    const store = useUsageStore()
    const lastWeek = store.choose({ range: '7d' })
    await (await manager.waiting('/api/usage')).answer(json(answer('profile', 1)))
    await lastWeek
    const byKey = store.choose({ groupBy: 'key' })
    await (await manager.waiting('/api/usage')).answer(json(answer('key', 2)))
    await byKey
    expect([store.range, store.groupBy]).toEqual(['7d', 'key'])
    const [first, second] = manager.to('/api/usage').map((request) => request.query)
    const WEEK = 7 * 24 * 60 * 60 * 1000
    expect(first).toMatchObject({ groupBy: 'profile', bucket: 'hour' })
    expect(Date.parse(first?.to ?? '') - Date.parse(first?.from ?? '')).toBe(WEEK)
    expect(second).toMatchObject({ groupBy: 'key', bucket: 'hour' })
    expect(Date.parse(second?.to ?? '') - Date.parse(second?.from ?? '')).toBe(WEEK)
    expect(requestsIn(store.usage)).toEqual([2])
  })

  it('says why the figures could not be loaded, keeps the last ones, and clears the error once they load', async () => {
    const manager = handAnsweredFetch()
    const store = useUsageStore()
    const first = store.load(NOW)
    await (await manager.waiting('/api/usage')).answer(json(answer('profile', 3)))
    await first
    const failing = store.load(NOW)
    await (await manager.waiting('/api/usage')).answer(failure(500, 'internal', 'The usage could not be read.'))
    await failing
    expect(store.error).toBe('The usage could not be read.')
    expect(store.loading).toBe(false)
    expect(requestsIn(store.usage)).toEqual([3])
    const again = store.load(NOW)
    await (await manager.waiting('/api/usage')).answer(json(answer('profile', 4)))
    await again
    expect(store.error).toBeNull()
    expect(requestsIn(store.usage)).toEqual([4])
  })

  it('shows only the newest choice’s figures when an older answer comes last', async () => {
    const manager = handAnsweredFetch()
    const store = useUsageStore()
    const byProfile = store.load(NOW)
    const byUser = store.choose({ groupBy: 'user' })
    const [older, newer] = await both(manager)
    await newer?.answer(json(answer('user', 9)))
    await byUser
    await older?.answer(json(answer('profile', 1)))
    await byProfile
    expect(store.usage?.groupBy).toBe('user')
    expect(requestsIn(store.usage)).toEqual([9])
  })

  it('keeps loading while the newest choice is on its way, and an older failure says nothing', async () => {
    const manager = handAnsweredFetch()
    const store = useUsageStore()
    const byProfile = store.load(NOW)
    const byUser = store.choose({ groupBy: 'user' })
    const [older, newer] = await both(manager)
    await older?.answer(failure(500, 'internal', 'The usage could not be read.'))
    await byProfile
    expect(store.loading).toBe(true)
    expect(store.error).toBeNull()
    await newer?.answer(json(answer('user', 9)))
    await byUser
    expect(store.loading).toBe(false)
  })

  it('an older success after a newer failure does not hide the failure', async () => {
    const manager = handAnsweredFetch()
    const store = useUsageStore()
    const byProfile = store.load(NOW)
    const byUser = store.choose({ groupBy: 'user' })
    const [older, newer] = await both(manager)
    await newer?.answer(failure(500, 'internal', 'The usage could not be read.'))
    await byUser
    await older?.answer(json(answer('profile', 1)))
    await byProfile
    expect(store.error).toBe('The usage could not be read.')
    expect(store.usage).toBeNull()
  })
})
