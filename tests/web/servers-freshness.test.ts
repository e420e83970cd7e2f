import { describe, expect, it } from 'vitest'
import type { ServerStatus } from '../../shared/servers'
import { isStaleStatus } from '../../web/src/features/servers/freshness'
import { useServersStore } from '../../web/src/features/servers/store'
import { makeServerStatus } from './helpers'

const base = { profileId: 1, startedAt: '2026-11-26T10:00:00.000Z' } as ServerStatus

describe('server status freshness', () => {
  it('a late "starting" answer does not undo "ready" for the same run', () => {
    expect(isStaleStatus({ ...base, state: 'starting' }, { ...base, state: 'ready' })).toBe(true)
    expect(isStaleStatus({ ...base, state: 'ready' }, { ...base, state: 'starting' })).toBe(false)
    expect(isStaleStatus({ ...base, state: 'stopped' }, { ...base, state: 'ready' })).toBe(false)
  })

  it('a new run replaces an old one, and an old run never replaces a new one', () => {
    const later = { ...base, startedAt: '2026-11-26T10:05:00.000Z' }
    expect(isStaleStatus({ ...later, state: 'starting' }, { ...base, state: 'failed' })).toBe(false)
    expect(isStaleStatus({ ...base, state: 'ready' }, { ...later, state: 'starting' })).toBe(true)
  })

  it('anything is news when nothing is known or the run has no start time', () => {
    expect(isStaleStatus({ ...base, state: 'starting' }, undefined)).toBe(false)
    expect(isStaleStatus({ ...base, state: 'stopped', startedAt: null }, { ...base, state: 'ready' })).toBe(false)
  })
})

describe('the servers store keeps the newest news', () => {
  it('a late "starting" answer to the start call does not wind a ready tile back', () => {
    const store = useServersStore()
    const run = { startedAt: '2026-11-26T10:00:00.000Z' }
    store.applyState(makeServerStatus({ ...run, state: 'ready', pid: 42 }))
    store.applyState(makeServerStatus({ ...run, state: 'starting', pid: 42 }))
    expect(store.servers.map((server) => server.state)).toEqual(['ready'])
    // A later run is news, whatever its state.
    store.applyState(makeServerStatus({ startedAt: '2026-11-26T10:05:00.000Z', state: 'starting', pid: 43 }))
    expect(store.servers.map((server) => [server.state, server.pid])).toEqual([['starting', 43]])
  })
})
