import { describe, expect, test } from 'bun:test'
import type { ServerChatMetrics } from '../../shared/chat'
import { EventView } from '../../server/features/access/events'

const summary = (profileId: number): ServerChatMetrics => ({
  profileId,
  requests: 3,
  errors: 0,
  promptTokens: 30,
  completionTokens: 90,
  medianTokensPerSecond: 40,
  medianTimeToFirstTokenMs: 120,
  lastRequestAt: '2026-01-01T10:00:00.000Z',
  byKey: [
    { keyId: 1, userId: 7, requests: 1, errors: 0, promptTokens: 10, completionTokens: 30, lastRequestAt: '2026-01-01T10:00:00.000Z' },
    { keyId: 2, userId: 8, requests: 2, errors: 0, promptTokens: 20, completionTokens: 60, lastRequestAt: '2026-01-01T10:00:00.000Z' },
  ],
})

describe('chat.metrics on the live stream', () => {
  const view = new EventView((profileId) => profileId === 1)

  test("a member hears of servers available to them, with their own keys' traffic only, as GET /api/metrics/servers shows it", () => {
    expect(view.of({ id: 7, isAdmin: false }, { type: 'chat.metrics', data: summary(1) })).toEqual({
      type: 'chat.metrics',
      data: { ...summary(1), byKey: [summary(1).byKey[0]!] },
    })
    expect(view.of({ id: 7, isAdmin: false }, { type: 'chat.metrics', data: summary(2) })).toBeNull()
  })

  test('an admin hears every server with every key', () => {
    expect(view.of({ id: 1, isAdmin: true }, { type: 'chat.metrics', data: summary(2) })).toEqual({ type: 'chat.metrics', data: summary(2) })
  })
})
