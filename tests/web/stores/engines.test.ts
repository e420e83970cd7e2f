import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { EngineInstallState } from '../../../shared/engines'
import type { EngineName } from '../../../shared/profiles'
import { MAX_LINES, rowState, useEnginesStore, type EngineProgress, type ManagedEngine } from '../../../web/src/features/engines/store'
import { failure, fakeServer, json, makeEngineInfo } from '../helpers'

const MLX = 'mlx-openai-server'
const LM = 'mlx_lm.server'

function engine(name: EngineName, overrides: Partial<ManagedEngine> = {}): ManagedEngine {
  return { ...makeEngineInfo(name), source: null, installable: true, notInstallableReason: null, installState: null, ...overrides }
}

const progress = (state: EngineProgress['state']): EngineProgress => ({ state, lines: [], error: null })

/** A manager whose engine list the test can change, counting the times it was asked. */
function manager() {
  let list = [engine(MLX), engine(LM, { installed: true, source: 'path', version: '0.20.0' }), engine('custom')]
  const server = fakeServer({
    'GET /api/engines': () => json(list),
    [`POST /api/engines/${MLX}/install`]: () => json({ ok: true }, 202),
    [`DELETE /api/engines/${MLX}`]: () => json({ ok: true }, 202),
  })
  return {
    server,
    setList: (next: ManagedEngine[]) => {
      list = next
    },
    listings: () => server.callsTo('GET /api/engines').length,
  }
}

describe('engine row state', () => {
  it('shows an install or removal under way, from this tab or from the list', () => {
    expect(rowState(engine(MLX), progress('installing'))).toBe('installing')
    expect(rowState(engine(MLX, { installState: 'installing' }), undefined)).toBe('installing')
    expect(rowState(engine(MLX, { installed: true, source: 'managed' }), progress('removing'))).toBe('removing')
    expect(rowState(engine(MLX, { installState: 'removing' }), undefined)).toBe('removing')
  })

  it('shows a failure, then where an installed engine comes from, else missing', () => {
    expect(rowState(engine(MLX, { installed: true, source: 'managed' }), progress('failed'))).toBe('failed')
    expect(rowState(engine(MLX, { installed: true, source: 'managed' }), progress('installed'))).toBe('managed')
    expect(rowState(engine(MLX, { installed: true, source: 'path' }), undefined)).toBe('path')
    expect(rowState(engine(MLX, { installed: true, source: null }), undefined)).toBe('missing')
    expect(rowState(engine(MLX, { installed: false, source: 'managed' }), undefined)).toBe('missing')
  })
})

describe('engines store: the list', () => {
  it('loads the engines and offers only the built-in ones to manage', async () => {
    manager()
    const store = useEnginesStore()
    expect([store.engines, store.builtIn]).toEqual([[], []])
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.engines.map((item) => item.name)).toEqual([MLX, LM, 'custom'])
    expect(store.builtIn.map((item) => item.name)).toEqual([MLX, LM])
  })

  it('says why the list could not be loaded', async () => {
    fakeServer({ 'GET /api/engines': () => failure(403, 'forbidden', 'Only an administrator can manage engines.') })
    const store = useEnginesStore()
    await store.load()
    expect(store.loadError).toBe('Only an administrator can manage engines.')
  })

  it('forgets the list and every progress on reset', async () => {
    manager()
    const store = useEnginesStore()
    await store.load()
    store.applyInstall({ engine: MLX, state: 'installing', line: 'Collecting mlx' })
    store.reset()
    expect(store.engines).toEqual([])
    expect(store.progress).toEqual({})
    expect(store.loaded).toBe(false)
  })
})

describe('engines store: installing', () => {
  it('shows an install as begun at once and posts it', async () => {
    const { server } = manager()
    const store = useEnginesStore()
    const installing = store.install(MLX)
    expect(store.progress[MLX]).toEqual({ state: 'installing', lines: [], error: null })
    await installing
    expect(server.callsTo(`POST /api/engines/${MLX}/install`)).toHaveLength(1)
    expect(store.progress[MLX]?.state).toBe('installing')
  })

  it('drops the row’s progress when the install is refused before it began', async () => {
    const { server } = manager()
    server.on(`POST /api/engines/${MLX}/install`, () => failure(409, 'engine-busy', 'Another install is running.'))
    const store = useEnginesStore()
    await expect(store.install(MLX)).rejects.toMatchObject({ code: 'engine-busy', message: 'Another install is running.' })
    expect(store.progress).toEqual({})
  })

  it('puts back what the row showed before a refused retry', async () => {
    const { server } = manager()
    const store = useEnginesStore()
    store.applyInstall({ engine: MLX, state: 'failed', line: 'No space left on device', error: 'pip failed.' })
    store.applyInstall({ engine: LM, state: 'installing', line: 'Collecting mlx-lm' })
    const before = store.progress[MLX]
    server.on(`POST /api/engines/${MLX}/install`, () => failure(409, 'engine-busy', 'Another install is running.'))
    await expect(store.install(MLX)).rejects.toMatchObject({ code: 'engine-busy' })
    expect(store.progress[MLX]).toEqual(before)
    expect(store.progress[LM]?.lines).toEqual(['Collecting mlx-lm'])
  })

  it('follows the installer’s lines, keeping the last ones, and the end with its error', async () => {
    const { listings } = manager()
    const store = useEnginesStore()
    const event = (state: EngineInstallState['state'], extra: Partial<EngineInstallState> = {}) => store.applyInstall({ engine: MLX, state, ...extra })
    event('installing', { line: 'line 0' })
    expect(store.progress[MLX]).toEqual({ state: 'installing', lines: ['line 0'], error: null })
    for (let index = 1; index <= MAX_LINES + 2; index += 1) event('installing', { line: `line ${index}` })
    const lines = store.progress[MLX]?.lines ?? []
    expect(lines).toHaveLength(MAX_LINES)
    expect(lines[0]).toBe('line 3')
    expect(lines.at(-1)).toBe(`line ${MAX_LINES + 2}`)
    await flushPromises()
    expect(listings()).toBe(0)
    event('failed', { error: 'pip failed.' })
    expect(store.progress[MLX]).toMatchObject({ state: 'failed', error: 'pip failed.' })
    expect(store.progress[MLX]?.lines).toHaveLength(MAX_LINES)
    await expect.poll(listings).toBe(1)
  })

  it('reloads the list when an install ends, and keeps the finished row’s progress', async () => {
    const { setList, listings } = manager()
    const store = useEnginesStore()
    await store.load()
    store.applyInstall({ engine: MLX, state: 'installing', line: 'Collecting' })
    setList([engine(MLX, { installed: true, source: 'managed', version: '1.2.0' })])
    store.applyInstall({ engine: MLX, state: 'installed' })
    await expect.poll(() => store.engines[0]?.version).toBe('1.2.0')
    expect(listings()).toBe(2)
    expect(store.progress[MLX]).toEqual({ state: 'installed', lines: ['Collecting'], error: null })
  })
})

describe('engines store: removing', () => {
  it('shows the removal while it runs, then clears it and reloads the list', async () => {
    const { server, setList, listings } = manager()
    const store = useEnginesStore()
    let shownMeanwhile: unknown
    server.on(`DELETE /api/engines/${MLX}`, () => {
      shownMeanwhile = store.progress[MLX]
      setList([engine(MLX)])
      return json({ ok: true }, 202)
    })
    await store.remove(MLX)
    expect(shownMeanwhile).toEqual({ state: 'removing', lines: [], error: null })
    expect(store.progress).toEqual({})
    expect(listings()).toBe(1)
    expect(store.engines.map((item) => item.installed)).toEqual([false])
  })

  it('clears the removal and reloads even when it is refused', async () => {
    const { server, listings } = manager()
    server.on(`DELETE /api/engines/${MLX}`, () => failure(409, 'engine-in-use', 'A running server uses it.'))
    const store = useEnginesStore()
    await expect(store.remove(MLX)).rejects.toMatchObject({ code: 'engine-in-use' })
    expect(store.progress).toEqual({})
    expect(listings()).toBe(1)
  })

  it('a removed event clears the row and reloads the list', async () => {
    const { listings } = manager()
    const store = useEnginesStore()
    store.applyInstall({ engine: MLX, state: 'removing', line: 'Removing' })
    store.applyInstall({ engine: LM, state: 'installing' })
    store.applyInstall({ engine: MLX, state: 'removed' })
    expect(Object.keys(store.progress)).toEqual([LM])
    await expect.poll(listings).toBe(1)
    // A removing step alone does not reload.
    store.applyInstall({ engine: LM, state: 'removing' })
    await flushPromises()
    expect(listings()).toBe(1)
  })
})
