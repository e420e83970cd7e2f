import { describe, expect, it } from 'vitest'
import { useSystemStore } from '../../../web/src/features/system/store'
import { failure, fakeServer, json } from '../helpers'

const GiB = 1024 ** 3

describe('system store', () => {
  it('reads the machine’s memory once, then takes each reading the stream sends', async () => {
    const server = fakeServer({ 'GET /api/system/memory': () => json({ totalBytes: 64 * GiB, usedBytes: 20 * GiB }) })
    const store = useSystemStore()
    expect(store.memory).toBeNull()
    await store.loadMemory()
    expect(store.memory).toEqual({ totalBytes: 64 * GiB, usedBytes: 20 * GiB })
    store.setMemory({ totalBytes: 64 * GiB, usedBytes: 30 * GiB })
    expect(store.memory).toEqual({ totalBytes: 64 * GiB, usedBytes: 30 * GiB })
    expect(server.callsTo('GET /api/system/memory')).toHaveLength(1)
  })

  it('keeps the last reading when the memory cannot be read', async () => {
    const server = fakeServer({ 'GET /api/system/memory': () => json({ totalBytes: 64 * GiB, usedBytes: 20 * GiB }) })
    const store = useSystemStore()
    await store.loadMemory()
    server.on('GET /api/system/memory', () => failure(500, 'internal', 'No reading.'))
    await expect(store.loadMemory()).resolves.toBeUndefined()
    server.offline()
    await expect(store.loadMemory()).resolves.toBeUndefined()
    expect(store.memory).toEqual({ totalBytes: 64 * GiB, usedBytes: 20 * GiB })
  })
})
