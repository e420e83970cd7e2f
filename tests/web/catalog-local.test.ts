import { describe, expect, it } from 'vitest'
import { ARCH_FAMILIES, CAPABILITIES, QUANT_BITS, matchesFilters, type CatalogModel } from '../../shared/catalog'
import { estimateFit } from '../../shared/memory-fit'
import { db } from '../../web/src/db/database'
import { argsAt, commandLine, commandLines, contextSteps, defaultContextFor, fitAt, nearestStep, refit } from '../../web/src/features/catalog/fit'
import { formatBytes, formatCount, formatParameters, formatRelative, formatTokens } from '../../web/src/features/catalog/format'
import { COMPARE, decodeIndex, encodeIndex, entryMatches, entryOf, mergeEntries, searchEntries } from '../../web/src/features/catalog/local-search'
import { renderMarkdown } from '../../web/src/features/catalog/markdown'
import { defaultQuery, filtersOf, toSearchParams, toggle, type CatalogQuery } from '../../web/src/features/catalog/query'
import { lastSynced, readBudget, readDetails, readIndex, readModels, readSummary, saveDetails, savePage, summaryOf } from '../../web/src/features/catalog/repository'
import { allModels, gemma3Details, model, page1, page2, qwen3Details, trending, unsafeCardDetails } from './catalog-data'

const query = (change: Partial<CatalogQuery> = {}): CatalogQuery => ({ ...defaultQuery(), ...change })
const GIB = 1024 ** 3

/** Filter sets covering every filter alone and a few together. */
function filterSets(): Partial<CatalogQuery>[] {
  return [
    {},
    ...ARCH_FAMILIES.map((family) => ({ arch: [family] })),
    ...QUANT_BITS.map((bits) => ({ bits: [bits] })),
    ...CAPABILITIES.map((capability) => ({ capability: [capability] })),
    { capability: ['tools', 'reasoning'] },
    { capability: ['vision', 'tools'] },
    { bits: [4, 8], arch: ['qwen', 'llama'] },
    { minSize: 4 * GIB },
    { maxSize: 3 * GIB },
    { minSize: 2 * GIB, maxSize: 8 * GIB },
    { fits: true },
    { fits: true, bits: [16] },
  ]
}

describe('offline search over the saved index', () => {
  it('applies every filter exactly as shared/catalog does for the server', () => {
    // Offline, every saved model is measured against the one budget this device knows now.
    const budgetBytes = page1().budget.budgetBytes
    const models = allModels().map((m) => refit(m, budgetBytes))
    for (const change of filterSets()) {
      const asked = query(change)
      const expected = models.filter((m) => matchesFilters(m, filtersOf(asked))).map((m) => m.id).sort()
      const actual = models.filter((m) => entryMatches(entryOf(m, null), asked, budgetBytes)).map((m) => m.id).sort()
      expect(actual, JSON.stringify(change)).toEqual(expected)
    }
  })

  it('matches every word of the text against author and name, and the author chip', () => {
    const entries = allModels().map((m) => entryOf(m, null))
    const both = searchEntries(entries, query({ q: 'qwen3 8b' }), null)
    expect(both).toContain('mlx-community/Qwen3-8B-4bit')
    expect(both).toContain('mlx-community/Qwen3-8B-bf16')
    expect(both.every((id) => id.toLowerCase().includes('qwen3') && id.toLowerCase().includes('8b'))).toBe(true)
    expect(both).toEqual(allModels().filter((m) => /qwen3/i.test(m.id) && /8b/i.test(m.id)).sort((a, b) => b.downloads - a.downloads).map((m) => m.id))
    expect(searchEntries(entries, query({ q: 'LMSTUDIO' }), null).every((id) => id.startsWith('lmstudio-community/'))).toBe(true)
    const lmstudio = searchEntries(entries, query({ author: 'lmstudio-community' }), null)
    expect(lmstudio.length).toBeGreaterThan(1)
    expect(lmstudio.every((id) => id.startsWith('lmstudio-community/'))).toBe(true)
    expect(searchEntries(entries, query({ q: 'no-such-model' }), null)).toEqual([])
  })

  it('sorts the way the hub does: downloads, likes, last change, trend', () => {
    const models = allModels()
    const entries = models.map((m) => entryOf(m, null))
    const ids = (sort: CatalogQuery['sort']) => searchEntries(entries, query({ sort }), null)
    expect(ids('downloads')).toEqual([...models].sort((a, b) => b.downloads - a.downloads || a.id.localeCompare(b.id)).map((m) => m.id))
    expect(ids('likes')[0]).toBe('mlx-community/Llama-3.2-3B-Instruct-4bit')
    const updated = ids('updated').map((id) => Date.parse(model(id).lastModified ?? ''))
    expect(updated).toEqual([...updated].sort((a, b) => b - a))
  })

  it('orders trending by the ranks seen in the hub’s trending list, the rest after by downloads', () => {
    const ranked = trending().models.map((m, i) => entryOf(m, i))
    const rankedIds = new Set(ranked.map((entry) => entry.id))
    const others = page2().models.filter((m) => !rankedIds.has(m.id)).map((m) => entryOf(m, null))
    const ids = [...ranked, ...others].sort(COMPARE.trending).map((entry) => entry.id)
    expect(ids.slice(0, ranked.length)).toEqual(trending().models.map((m) => m.id))
    const rest = ids.slice(ranked.length).map((id) => model(id).downloads)
    expect(rest).toEqual([...rest].sort((a, b) => b - a))
  })

  it('stores the index as columns and reads it back unchanged', () => {
    const entries = allModels().map((m, i) => entryOf(m, i % 3 === 0 ? i : null))
    expect(decodeIndex(encodeIndex(entries))).toEqual(entries)
  })

  it('keeps a trending rank when a later listing of the same model has none', () => {
    const m = model('mlx-community/Qwen3-8B-4bit')
    const merged = mergeEntries([entryOf(m, 3)], [entryOf({ ...m, downloads: 1 }, null)])
    expect(merged).toHaveLength(1)
    expect(merged[0]?.trendingRank).toBe(3)
    expect(merged[0]?.downloads).toBe(1)
  })
})

describe('the catalog kept on this device', () => {
  it('saves pages of results and reads them back by id, with the budget and the sync time', async () => {
    await savePage(page1())
    await savePage(page2())
    const index = await readIndex()
    expect(index).toHaveLength(page1().models.length + page2().models.length)
    const ids = ['mlx-community/Qwen3-8B-4bit', 'missing/model', 'mlx-community/phi-4-4bit']
    expect((await readModels(ids)).map((m) => m.id)).toEqual(['mlx-community/Qwen3-8B-4bit', 'mlx-community/phi-4-4bit'])
    expect((await readBudget())?.budget.budgetBytes).toBe(page2().budget.budgetBytes)
    expect(await lastSynced()).toBe([page1().fetchedAt, page2().fetchedAt].sort().at(-1))
  })

  it('ranks models of the trending list by their position in it', async () => {
    const page = trending()
    await savePage(page, 0)
    const index = await readIndex()
    const first = page.models[0]
    expect(index.find((entry) => entry.id === first?.id)?.trendingRank).toBe(0)
    const row = await db.catalogModels.get(page.models[5]?.id ?? '')
    expect(row?.trendingRank).toBe(5)
  })

  it('keeps model pages and makes them searchable, and forgets the oldest beyond the cap', async () => {
    const details = qwen3Details()
    await saveDetails(details, '2026-01-02T00:00:00.000Z')
    expect((await readDetails(details.id))?.details.readme).toContain('mlx-lm')
    expect((await readSummary(details.id))?.model).toEqual(summaryOf(details))
    expect((await readIndex()).map((entry) => entry.id)).toEqual([details.id])
    const summary = summaryOf(details)
    expect(Object.keys(summary)).not.toContain('readme')
    expect(Object.keys(summary)).not.toContain('files')
  })

  it('survives saving the same page twice without duplicates', async () => {
    await savePage(page1())
    await savePage(page1())
    expect(await readIndex()).toHaveLength(page1().models.length)
    expect(await db.catalogModels.count()).toBe(page1().models.length)
  })
})

describe('memory fit on the model page', () => {
  it('matches the hand-computed KV cache of Qwen3-8B 4-bit (36 layers × 8 KV heads × 128) at 8K and 32K', () => {
    const details = qwen3Details()
    const budget = 24 * GIB
    // 2 × 36 × 8 × 128 × 2 bytes = 147,456 bytes per token.
    expect(fitAt(details, 8192, budget)?.kvCacheBytes).toBe(147_456 * 8192)
    const at32k = fitAt(details, 32768, budget)
    expect(at32k?.kvCacheBytes).toBe(4_831_838_208)
    expect(at32k?.totalBytes).toBe(4_607_319_040 + 4_831_838_208)
    // The server computed the same figure at its default context.
    expect(fitAt(details, 8192, details.fit?.budgetBytes ?? 0)).toEqual(details.fit)
  })

  it('caps Gemma 3’s 40 sliding-window layers at 1024 tokens', () => {
    const details = gemma3Details()
    // 2 × 8 KV heads × 256 × 2 bytes = 8192 bytes per token per layer; 8 global layers see the whole context.
    expect(fitAt(details, 32768, 24 * GIB)?.kvCacheBytes).toBe(8192 * (8 * 32768 + 40 * 1024))
  })

  it('moves from fits to tight to will not fit as the context grows on a small machine', () => {
    const details = qwen3Details()
    const budget = 9.5 * GIB
    expect(fitAt(details, 16384, budget)?.state).toBe('fits')
    expect(fitAt(details, 32768, budget)?.state).toBe('tight')
    expect(fitAt(details, 40960, budget)?.state).toBe('too-large')
  })

  it('offers powers of two up to the model’s own maximum, starting at the default 8K', () => {
    expect(contextSteps(40960)).toEqual([1024, 2048, 4096, 8192, 16384, 32768, 40960])
    expect(contextSteps(131072).at(-1)).toBe(131072)
    expect(contextSteps(null).at(-1)).toBe(131072)
    expect(contextSteps(512)).toEqual([1024])
    expect(defaultContextFor(40960)).toBe(8192)
    expect(defaultContextFor(4096)).toBe(4096)
    expect(nearestStep([1024, 2048, 4096], 3000)).toBe(2048)
  })

  it('refits a saved model against a newer budget with the same context', () => {
    const m = model('lmstudio-community/Qwen3-30B-A3B-MLX-4bit')
    const refitted = refit(m, 64 * GIB)
    expect(refitted.fit?.state).toBe('fits')
    expect(refitted.fit?.kvCacheBytes).toBe(m.fit?.kvCacheBytes)
    expect(refitted.fit).toEqual(estimateFit({ weightsBytes: m.weightsBytes ?? 0, architecture: m.architecture, contextTokens: m.fit?.contextTokens ?? 0, budgetBytes: 64 * GIB }))
  })

  it('puts the slider’s context into the recommended command line', () => {
    const { engine } = qwen3Details()
    expect(argsAt(engine, 32768)).toContain('32768')
    expect(argsAt(engine, 32768)).not.toContain('8192')
    expect(commandLine(engine, 4096)).toBe(
      'mlx-openai-server launch --model-path mlx-community/Qwen3-8B-4bit --model-type lm --context-length 4096 --tool-call-parser qwen3 --reasoning-parser qwen3',
    )
    expect(commandLines(engine, 4096)).toEqual([
      'mlx-openai-server launch \\',
      '  --model-path mlx-community/Qwen3-8B-4bit \\',
      '  --model-type lm \\',
      '  --context-length 4096 \\',
      '  --tool-call-parser qwen3 \\',
      '  --reasoning-parser qwen3',
    ])
  })
})

describe('catalog queries and formats', () => {
  it('sends only what is set, lists in a fixed order', () => {
    expect(toSearchParams(query(), null)).toEqual({ sort: 'downloads' })
    const asked = query({ q: '  qwen3 ', sort: 'likes', author: 'mlx-community', bits: toggle(toggle([], 8, QUANT_BITS), 4, QUANT_BITS), capability: ['tools'], minSize: 1, maxSize: 2, fits: true })
    expect(toSearchParams(asked, 'abc')).toEqual({ sort: 'likes', q: 'qwen3', author: 'mlx-community', bits: '4,8', capability: 'tools', minSize: '1', maxSize: '2', fits: 'true', cursor: 'abc' })
  })

  it('writes sizes, counts and context lengths the way model pages do', () => {
    expect(formatBytes(4_607_319_040)).toBe('4.3 GB')
    expect(formatBytes(612)).toBe('612 B')
    expect(formatBytes(null)).toBe('—')
    expect(formatParameters(8_190_735_362)).toBe('8.2B')
    expect(formatParameters(494_000_000)).toBe('494M')
    expect(formatCount(187_421)).toBe('187k')
    expect(formatCount(1_234)).toBe('1.2k')
    expect(formatTokens(131072)).toBe('128K')
    expect(formatTokens(40960)).toBe('40K')
    expect(formatRelative('2026-01-01T00:00:00.000Z', Date.parse('2026-01-04T00:00:00.000Z'))).toBe('3 days ago')
    expect(formatRelative(null)).toBe('')
  })
})

describe('model cards', () => {
  // The sanitising itself is checked in a real browser (tests/e2e/catalog.spec.ts): happy-dom's tree
  // walking differs from browsers' and DOMPurify cannot run faithfully on it.
  it('render the Markdown of a real card: headings, code, tables, details', () => {
    const html = renderMarkdown(unsafeCardDetails().readme ?? '')
    expect(html).toContain('<h2')
    expect(html).toContain('<pre><code')
    expect(html).toContain('<table>')
    expect(html).toContain('<details>')
  })
})

// The recorded answers are real: check a couple of facts the tests above rely on.
describe('recorded answers', () => {
  it('come from the hub fixture through the manager', () => {
    const models: CatalogModel[] = page1().models
    expect(models).toHaveLength(20)
    expect(page1().nextCursor).not.toBeNull()
    expect(model('mlx-community/Meta-Llama-3.1-8B-Instruct-4bit').guessedFields).toEqual(['bits'])
  })
})
