import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { saveDetails, savePage } from '../../web/src/features/catalog/repository'
import { useCatalogModelStore } from '../../web/src/features/catalog/model-store'
import { useCatalogStore } from '../../web/src/features/catalog/store'
import { useAuthStore } from '../../web/src/features/auth/store'
import { emptyFiltered, page1, page2, qwen3Details, system } from './catalog-data'
import { pageShown, showCatalog } from './components/catalog-screens'
import { byTestId, click, requireTestId } from './components/mount'
import { failure, fakeServer, json, makeLocalModel, makeUser } from './helpers'

/** The manager's catalog answers; the screens are seen by an administrator, who may download. */
function manager() {
  useAuthStore().user = makeUser({ isAdmin: true })
  return fakeServer({
    'GET /api/catalog/search': () => json(page1()),
    'GET /api/catalog/models/mlx-community/Qwen3-8B-4bit': () => json(qwen3Details()),
    'GET /api/catalog/system': () => json(system()),
    'POST /api/downloads': () => json({ id: 3, modelId: 'mlx-community/Qwen3-8B-4bit', status: 'queued' }, 202),
  })
}

function rows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="catalog-result"]')]
}

/** Every model listed, the quantizations grouped into a row included. */
function listed(): string[] {
  return rows().flatMap((element) => element.dataset.variantIds?.split(' ') ?? [])
}

function row(id: string): HTMLElement {
  const found = rows().find((element) => element.dataset.modelId === id)
  if (found === undefined) throw new Error(`No result for ${id}.`)
  return found
}

const text = (id: string, root?: ParentNode) => requireTestId(id, root).textContent?.replace(/\s+/g, ' ').trim() ?? ''
/** The texts of an element's children, e.g. each fact of a result row. */
const parts = (id: string, root?: ParentNode) => [...requireTestId(id, root).children].map((child) => child.textContent?.trim() ?? '')

/** The parameters of the last catalog search the screen sent. */
function searchedWith(server: ReturnType<typeof fakeServer>): Record<string, string> {
  const urls = server.fetch.mock.calls.map(([input]) => new URL(input instanceof Request ? input.url : String(input)))
  const last = urls.filter((url) => url.pathname === '/api/catalog/search').at(-1)
  return last === undefined ? {} : Object.fromEntries(last.searchParams)
}

async function pressEnter(id: string, value: string): Promise<void> {
  const input = requireTestId(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input', { bubbles: true }))
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
  const store = useCatalogStore()
  await vi.waitFor(() => expect([store.query.q, store.loading]).toEqual([value, false]))
}

describe('catalog screen', () => {
  it('lists each model with its facts, capabilities, stats and fit', async () => {
    manager()
    await showCatalog('/catalog')
    expect(listed()).toHaveLength(20)
    const qwen = row('mlx-community/Qwen3-8B-4bit')
    expect(text('result-name', qwen)).toBe('Qwen3-8B-4bit')
    expect(parts('result-facts', qwen)).toEqual(['Qwen', '4-bit', '8.2B', '4.3 GB', '40K ctx'])
    expect(parts('result-capabilities', qwen)).toEqual(['Text', 'Tools', 'Reasoning'])
    expect(qwen.textContent).toContain('98k')
    expect(requireTestId('fit-badge', qwen).dataset.state).toBe('fits')
    expect(requireTestId('fit-badge', row('mlx-community/Qwen2.5-72B-Instruct-2bit')).textContent).toContain('Will not fit')
    expect(requireTestId('fit-badge', row('lmstudio-community/Qwen3-30B-A3B-MLX-4bit')).textContent).toContain('Tight')
    expect(text('catalog-summary')).toBe('20+ models · 20 hub results scanned')
    expect(requireTestId('catalog-result-link', qwen).getAttribute('href')).toBe('/catalog/mlx-community/Qwen3-8B-4bit')
  })

  it('says which values are guessed from the repo name', async () => {
    manager()
    await showCatalog('/catalog')
    const guessed = row('mlx-community/Meta-Llama-3.1-8B-Instruct-4bit')
    expect(text('result-guessed', guessed)).toBe('guessed from name')
    expect(requireTestId('result-bits', guessed).classList.contains('guessed')).toBe(true)
    expect(byTestId('result-guessed', row('mlx-community/Qwen3-8B-4bit'))).toBeNull()
  })

  it('puts the fit’s numbers in the badge for hover and screen readers', async () => {
    manager()
    await showCatalog('/catalog')
    const label = requireTestId('fit-badge', row('mlx-community/Qwen3-8B-4bit')).getAttribute('aria-label')
    expect(label).toBe('Fits: needs 5.4 GB of the 19.5 GB this machine can give a model (28%).')
  })

  it('labels the fit’s percentage as a share of memory', async () => {
    manager()
    await showCatalog('/catalog')
    expect(text('fit-share', row('mlx-community/Qwen3-8B-4bit'))).toBe('28% of memory')
    expect(text('fit-badge', row('mlx-community/Qwen3-8B-4bit'))).toBe('Fits 28% of memory')
  })

  it('keeps each name whole (its full text in the title) and writes parameters as model names do', async () => {
    const server = manager()
    server.on('GET /api/catalog/search', () => json(page2()))
    await showCatalog('/catalog')
    const distill = row('mlx-community/DeepSeek-R1-Distill-Llama-8B-4bit')
    expect(requireTestId('result-name', distill).getAttribute('title')).toBe('DeepSeek-R1-Distill-Llama-8B-4bit')
    expect(text('result-context', distill)).toBe('128K ctx')
    expect(text('result-params', row('mlx-community/gemma-3-1b-it-4bit'))).toBe('1B')
    expect(text('result-params', row('mlx-community/Qwen2.5-0.5B-Instruct-4bit'))).toBe('494M')
  })

  it('lists a model’s quantizations as one row with a choice of variant', async () => {
    manager()
    const router = await showCatalog('/catalog')
    expect(rows()).toHaveLength(16)
    const llama = row('mlx-community/Llama-3.2-3B-Instruct-4bit')
    const choices = () => [...llama.querySelectorAll<HTMLButtonElement>('[data-testid="result-variant"]')]
    expect(choices().map((button) => button.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['4-bit1.7 GB', '8-bit3.2 GB'])
    expect(choices().map((button) => button.getAttribute('aria-pressed'))).toEqual(['true', 'false'])
    expect(requireTestId('result-variants', llama).getAttribute('aria-label')).toBe('Quantizations of Llama-3.2-3B-Instruct')
    choices()[1]!.click()
    await flushPromises()
    expect(llama.dataset.modelId).toBe('mlx-community/Llama-3.2-3B-Instruct-8bit')
    expect(text('result-name', llama)).toBe('Llama-3.2-3B-Instruct-8bit')
    expect(text('result-bits', llama)).toBe('8-bit')
    expect(requireTestId('catalog-result-link', llama).getAttribute('href')).toBe('/catalog/mlx-community/Llama-3.2-3B-Instruct-8bit')
    expect(choices().map((button) => button.getAttribute('aria-pressed'))).toEqual(['false', 'true'])
    // Back from a model page, the row still shows the quantization chosen.
    await router.push('/catalog/mlx-community/Qwen3-8B-4bit')
    await pageShown('mlx-community/Qwen3-8B-4bit')
    await router.push('/catalog')
    await vi.waitFor(() => expect(row('mlx-community/Llama-3.2-3B-Instruct-8bit').dataset.variantIds).toContain('Llama-3.2-3B-Instruct-4bit'))
    // A model with one quantization offers no choice.
    expect(byTestId('result-variants', row('mlx-community/Qwen3-8B-4bit'))).toBeNull()
  })

  it('marks the quantizations already in the library on their choice', async () => {
    const server = manager()
    server.on('GET /api/models', () => json([makeLocalModel({ id: 'mlx-community/Llama-3.2-3B-Instruct-8bit' })]))
    await showCatalog('/catalog')
    const llama = row('mlx-community/Llama-3.2-3B-Instruct-4bit')
    const choices = [...llama.querySelectorAll<HTMLButtonElement>('[data-testid="result-variant"]')]
    expect(choices.map((button) => button.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['4-bit1.7 GB', '8-bit3.2 GB✓, In library'])
    // The row itself speaks of the quantization it shows, which is not downloaded.
    expect(byTestId('result-local', llama)).toBeNull()
  })

  it('keeps the search, sort and filters in the address, replacing it rather than adding history', async () => {
    const server = manager()
    const router = await showCatalog('/catalog')
    const push = vi.spyOn(router, 'push')
    await pressEnter('catalog-search', 'qwen3')
    await click('catalog-filters-open')
    await click('filter-bits-4')
    await vi.waitFor(() => expect(router.currentRoute.value.query).toEqual({ q: 'qwen3', bits: '4' }))
    await click('filter-capability-reasoning')
    await vi.waitFor(() => expect(router.currentRoute.value.query).toEqual({ q: 'qwen3', bits: '4', capability: 'reasoning' }))
    expect(push).not.toHaveBeenCalled()
    expect(searchedWith(server)).toMatchObject({ q: 'qwen3', bits: '4', capability: 'reasoning' })
  })

  it('opens an address’s query as it was shared, and follows a new address while open', async () => {
    const server = manager()
    const router = await showCatalog('/catalog?q=gemma&sort=likes&bits=4,8&fits=1&min=2&arch=nonsense')
    const asked = () => searchedWith(server)
    expect(asked()).toMatchObject({ q: 'gemma', sort: 'likes', bits: '4,8', fits: 'true', minSize: String(2 * 1024 ** 3) })
    expect(asked().arch).toBeUndefined()
    expect((requireTestId('catalog-search') as HTMLInputElement).value).toBe('gemma')
    expect(useCatalogStore().query).toMatchObject({ q: 'gemma', sort: 'likes', bits: [4, 8], fits: true, minSize: 2 * 1024 ** 3 })
    // Back or forward to another catalog address searches what it names.
    await router.replace('/catalog?q=llama')
    await vi.waitFor(() => expect(asked()).toMatchObject({ q: 'llama', sort: 'downloads' }))
    expect((requireTestId('catalog-search') as HTMLInputElement).value).toBe('llama')
  })

  it('a model page leads back to the list with its query', async () => {
    manager()
    const router = await showCatalog('/catalog?q=qwen3&bits=4')
    await router.push('/catalog/mlx-community/Qwen3-8B-4bit')
    await vi.waitFor(() => expect(requireTestId('model-back').getAttribute('href')).toBe('/catalog?q=qwen3&bits=4'))
    expect(useCatalogStore().query.q).toBe('qwen3')
    // The menu's bare /catalog shows the query this tab last had, and writes it into the address.
    await router.push('/catalog')
    await vi.waitFor(() => expect(router.currentRoute.value.query).toEqual({ q: 'qwen3', bits: '4' }))
  })

  it('loads the next page when asked and then says the list ended', async () => {
    const server = manager()
    server.on('GET /api/catalog/search', () => json(server.calls.filter((call) => call.path === '/api/catalog/search').length === 1 ? page1() : { ...page2(), nextCursor: null }))
    await showCatalog('/catalog')
    await click('catalog-load-more')
    await vi.waitFor(() => expect(listed()).toHaveLength(40))
    expect(byTestId('catalog-end')?.textContent).toBe('End of the results')
  })

  it('searches on Enter and on the sort and author choices', async () => {
    const server = manager()
    await showCatalog('/catalog')
    await pressEnter('catalog-search', 'qwen3')
    await click('author-lmstudio-community')
    const urls = server.fetch.mock.calls.map(([input]) => new URL(String(input instanceof Request ? input.url : input)))
    const last = Object.fromEntries(urls.at(-1)?.searchParams ?? [])
    expect(last).toEqual({ sort: 'downloads', q: 'qwen3', author: 'lmstudio-community' })
    expect(useCatalogStore().query.author).toBe('lmstudio-community')
  })

  it('filters from the drawer and offers to clear them', async () => {
    const server = manager()
    await showCatalog('/catalog')
    await click('catalog-filters-open')
    await click('filter-capability-vision')
    await click('filter-bits-4')
    const last = server.fetch.mock.calls.at(-1)?.[0]
    const sent = new URL(String(last instanceof Request ? last.url : last)).searchParams
    expect(Object.fromEntries(sent)).toEqual({ sort: 'downloads', bits: '4', capability: 'vision' })
    expect(requireTestId('filters-clear').textContent).toContain('Clear 2')
  })

  it('never shows a blank list: an empty filtered search says what was scanned and how to widen it', async () => {
    const server = manager()
    server.on('GET /api/catalog/search', () => json(emptyFiltered()))
    const store = useCatalogStore()
    store.query = { ...store.query, capability: ['vision'], bits: [2] }
    await showCatalog('/catalog')
    expect(text('catalog-empty-scanned')).toBe('46 hub results were scanned and none matched. Try to loosen or clear the filters.')
    server.on('GET /api/catalog/search', () => json(page1()))
    await click('catalog-clear-filters')
    expect(store.query.capability).toEqual([])
    await vi.waitFor(() => expect(listed()).toHaveLength(20))
  })

  it('shows the rate limit with its wait, then retries', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const server = manager()
      server.on('GET /api/catalog/search', () =>
        failure(429, 'hub-rate-limited', 'The HuggingFace Hub is limiting requests from this machine; try again in 3 s.', { 'retry-after': '3' }),
      )
      await showCatalog('/catalog')
      expect(text('catalog-error-message')).toContain('try again in 3 s')
      expect(text('catalog-error-wait')).toBe('You can try again in 3 s.')
      expect(requireTestId('catalog-retry').hasAttribute('disabled')).toBe(true)
      vi.advanceTimersByTime(3000)
      await vi.waitFor(() => expect(requireTestId('catalog-retry').hasAttribute('disabled')).toBe(false))
      server.on('GET /api/catalog/search', () => json(page1()))
      await click('catalog-retry')
      await vi.waitFor(() => expect(listed()).toHaveLength(20))
      expect(byTestId('catalog-error')).toBeNull()
    } finally {
      vi.useRealTimers()
    }
  })

  it('typing searches once the typing pauses, once for the whole burst; Enter searches at once', async () => {
    const server = manager()
    await showCatalog('/catalog')
    const searches = () => server.calls.filter((call) => call.path === '/api/catalog/search').length
    const before = searches()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const input = requireTestId('catalog-search') as HTMLInputElement
      for (const typed of ['q', 'qw', 'qwe']) {
        input.value = typed
        input.dispatchEvent(new Event('input', { bubbles: true }))
        await flushPromises()
        vi.advanceTimersByTime(200)
      }
      expect(searches()).toBe(before)
      vi.advanceTimersByTime(100)
      await vi.waitFor(() => expect(searchedWith(server).q).toBe('qwe'))
      expect(searches()).toBe(before + 1)
      input.value = 'qwen3'
      input.dispatchEvent(new Event('input', { bubbles: true }))
      await flushPromises()
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
      await vi.waitFor(() => expect(searchedWith(server).q).toBe('qwen3'))
      // The pending search of the same text does not run again.
      vi.advanceTimersByTime(1000)
      await flushPromises()
      expect(searches()).toBe(before + 2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('loads the next page as the end of the list comes into view, and not after a failed one', async () => {
    const watched: { callback: IntersectionObserverCallback; target: Element | null }[] = []
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        constructor(callback: IntersectionObserverCallback) {
          watched.push({ callback, target: null })
        }
        observe(target: Element): void {
          watched.at(-1)!.target = target
        }
        disconnect(): void {}
      },
    )
    const comesIntoView = () => {
      const { callback, target } = watched.at(-1)!
      callback([{ isIntersecting: true, target } as IntersectionObserverEntry], {} as IntersectionObserver)
    }
    const server = manager()
    server.on('GET /api/catalog/search', () =>
      server.calls.filter((call) => call.path === '/api/catalog/search').length === 1 ? json(page1()) : failure(502, 'hub-failed', 'The hub answered with an error.'),
    )
    await showCatalog('/catalog')
    expect(watched.at(-1)?.target?.classList.contains('list-end')).toBe(true)
    comesIntoView()
    await vi.waitFor(() => expect(byTestId('catalog-more-error')).not.toBeNull())
    const asked = server.calls.length
    comesIntoView()
    await flushPromises()
    expect(server.calls.length).toBe(asked)
    server.on('GET /api/catalog/search', () => json({ ...page2(), nextCursor: null }))
    await click('catalog-retry', requireTestId('catalog-more-error'))
    await vi.waitFor(() => expect(listed()).toHaveLength(40))
  })

  it('back from a model page, the list is scrolled to where it was left', async () => {
    manager()
    const router = await showCatalog('/catalog')
    const scrollTo = vi.spyOn(window, 'scrollTo').mockImplementation(() => undefined)
    vi.spyOn(window, 'scrollY', 'get').mockReturnValue(1200)
    await router.push('/catalog/mlx-community/Qwen3-8B-4bit')
    await vi.waitFor(() => expect(byTestId('model-back')).not.toBeNull())
    scrollTo.mockClear()
    await router.push('/catalog')
    await vi.waitFor(() => expect(scrollTo).toHaveBeenCalledWith({ top: 1200 }))
  })

  it('offline, says so with the last sync and still searches what was saved', async () => {
    await savePage(page1())
    await savePage(page2())
    manager()
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await showCatalog('/catalog')
    expect(text('catalog-offline-title')).toMatch(/^Offline — showing models saved on this device, last synced .+\.$/)
    expect(text('catalog-summary')).toBe('20+ models of 40 saved on this device')
    await pressEnter('catalog-search', 'gemma')
    expect(listed().length).toBeGreaterThan(2)
    expect(listed().every((id) => id.toLowerCase().includes('gemma'))).toBe(true)
  })
})

describe('model page', () => {
  it('shows files, sizes, quantization, architecture, capabilities, engine options and the model card', async () => {
    manager()
    await showCatalog('/catalog/mlx-community/Qwen3-8B-4bit')
    expect(text('model-name')).toBe('Qwen3-8B-4bit')
    expect(document.querySelectorAll('[data-testid="model-file"]')).toHaveLength(qwen3Details().files.length)
    expect(text('model-download-size')).toBe('4.3 GB of weights in 1 file · 4.3 GB in all')
    expect(text('spec-parameters')).toBe('8.2B')
    expect(text('spec-quantization')).toBe('4-bit, group size 64')
    expect(text('spec-context')).toBe('40K (40,960 tokens)')
    expect(text('spec-layers')).toBe('36')
    expect(text('spec-kv-heads')).toBe('8')
    expect(text('spec-head-dim')).toBe('128')
    expect(text('spec-license')).toBe('apache-2.0')
    expect(text('spec-access')).toBe('Public')
    expect(parts('spec-capabilities')).toEqual(['Text', 'Tools', 'Reasoning'])
    expect(text('engine-name')).toBe('mlx-openai-server')
    expect(requireTestId('engine-command').dataset.command).toContain('--tool-call-parser qwen3 --reasoning-parser qwen3')
    // How the card's HTML looks after sanitising is checked in a real browser (tests/e2e/catalog.spec.ts).
    expect(text('model-readme')).toContain('was converted to MLX format from Qwen/Qwen3-8B')
  })

  it('recomputes the fit and the command line as the context changes', async () => {
    manager()
    await showCatalog('/catalog/mlx-community/Qwen3-8B-4bit')
    expect(text('fit-context')).toBe('8K tokens')
    expect(text('fit-kv')).toBe('1.1 GB')
    useCatalogModelStore().setContext(40960)
    await flushPromises()
    expect(text('fit-context')).toBe('40K tokens')
    // 2 × 36 layers × 8 KV heads × 128 × 2 bytes × 40,960 tokens = 6,039,797,760 bytes.
    expect(text('fit-kv')).toBe('5.6 GB')
    expect(text('fit-total')).toContain('9.9 GB')
    expect(text('fit-total-share')).toMatch(/^\d+% of memory$/)
    expect(requireTestId('engine-command').dataset.command).toContain('--context-length 40960')
  })

  it('starts a download and says it is queued', async () => {
    const server = manager()
    await showCatalog('/catalog/mlx-community/Qwen3-8B-4bit')
    await click('model-download')
    await vi.waitFor(() => expect(text('model-download-state')).toBe('Download queued · follow it under Models'))
    expect(server.callsTo('POST /api/downloads')).toHaveLength(1)
  })

  it('opens from this device offline, says so, and cannot download', async () => {
    await saveDetails(qwen3Details(), '2026-03-01T10:00:00.000Z', system())
    manager()
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await showCatalog('/catalog/mlx-community/Qwen3-8B-4bit')
    expect(text('catalog-offline-title')).toMatch(/^Offline — showing this model as saved on this device, last synced/)
    expect(text('model-name')).toBe('Qwen3-8B-4bit')
    expect(requireTestId('model-download').hasAttribute('disabled')).toBe(true)
  })

  it('says a model that is not on the hub does not exist, and offers a search for its name instead of a retry', async () => {
    const server = manager()
    server.on('GET /api/catalog/models/mlx-community/gone', () => failure(404, 'model-not-found', 'There is no model mlx-community/gone on the hub.'))
    const router = await showCatalog('/catalog/mlx-community/gone')
    expect(text('model-missing')).toContain('No model mlx-community/gone')
    expect(byTestId('catalog-retry')).toBeNull()
    await click('model-missing-search')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('catalog'))
    expect(useCatalogStore().query.q).toBe('gone')
  })

  it('keeps Retry for a failure that may pass', async () => {
    const server = manager()
    server.on('GET /api/catalog/models/mlx-community/gone', () => failure(502, 'hub-bad-response', 'The hub sent an answer that could not be read.'))
    await showCatalog('/catalog/mlx-community/gone')
    expect(requireTestId('model-error').dataset.code).toBe('hub-bad-response')
    expect(byTestId('catalog-retry')).not.toBeNull()
  })
})
