import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { CatalogPage, CatalogSystem, ModelDetails } from '../../shared/catalog'
import { DEFAULT_REPOS } from '../fixtures/hub/repos'
import { FIXTURE_TOKEN } from '../fixtures/hub/server'
import { catalogTestApp } from '../fixtures/hub/with-app'

/** The catalog routes in-process against the local hub over HTTP, signed in as the first admin. */

type TestCatalog = Awaited<ReturnType<typeof catalogTestApp>>

const MLX_IDS = DEFAULT_REPOS.filter((repo) => repo.libraryName === 'mlx' || repo.tags.includes('mlx')).map((repo) => repo.id)
const GiB = 2 ** 30

let catalog: TestCatalog
beforeAll(async () => {
  // 32 GiB, 12 GiB in use: on Linux the budget is the 20 GiB available.
  catalog = await catalogTestApp({ memory: { totalBytes: 32 * GiB, usedBytes: 12 * GiB } })
})
afterAll(() => catalog.stop())

async function search(query = '', target: TestCatalog = catalog): Promise<CatalogPage> {
  const response = await target.get<CatalogPage>(`/api/catalog/search${query === '' ? '' : `?${query}`}`)
  if (response.status !== 200) throw new Error(`search ${query} answered ${response.status}: ${JSON.stringify(response.body)}`)
  return response.body
}

/** Every page of a search, following nextCursor. */
async function searchAll(query = '', target: TestCatalog = catalog): Promise<{ pages: CatalogPage[]; ids: string[] }> {
  const pages: CatalogPage[] = []
  let cursor: string | null = null
  do {
    const cursorParam: string = cursor === null ? '' : `cursor=${encodeURIComponent(cursor)}`
    const page = await search([query, cursorParam].filter((part) => part !== '').join('&'), target)
    pages.push(page)
    cursor = page.nextCursor
  } while (cursor !== null && pages.length < 20)
  return { pages, ids: pages.flatMap((page) => page.models.map((model) => model.id)) }
}

const sorted = (ids: string[]) => [...ids].sort()

describe('search and pagination', () => {
  test('pages through every MLX model once, following the hub cursor, and never shows other repos', async () => {
    const { pages, ids } = await searchAll()
    expect(pages.map((page) => page.models.length)).toEqual([20, 20, MLX_IDS.length - 40])
    expect(sorted(ids)).toEqual(sorted(MLX_IDS))
    expect(ids).not.toContain('Qwen/Qwen3-8B')
    expect(ids).not.toContain('bartowski/Qwen_Qwen3-8B-GGUF')
    expect(pages.at(-1)?.nextCursor).toBeNull()
    // The cursor handed out is the hub's own, from its Link header.
    const secondListing = catalog.hub.requests.find((r) => r.path === '/api/models' && r.query.has('cursor'))
    expect(secondListing?.query.get('cursor')).toBe(pages[0]?.nextCursor ?? '')
    expect(secondListing?.query.getAll('filter')).toEqual(['mlx'])
  })

  test('each result carries what the list shows: family, bits, capabilities, size, fit', async () => {
    const page = await search()
    const llama = page.models.find((m) => m.id === 'mlx-community/Llama-3.2-3B-Instruct-4bit')
    expect(llama).toMatchObject({
      author: 'mlx-community',
      name: 'Llama-3.2-3B-Instruct-4bit',
      family: 'llama',
      modelType: 'llama',
      bits: 4,
      groupSize: 64,
      capabilities: ['text', 'tools'],
      weightsBytes: 1_807_970_112,
      contextLength: 131072,
      license: 'llama3.2',
      gated: false,
      guessed: false,
      guessedFields: [],
      fit: { state: 'fits', contextTokens: 8192, kvCacheBytes: 939_524_096, budgetBytes: 20 * GiB },
    })
    expect(page.budget).toMatchObject({ budgetBytes: 20 * GiB, rule: 'available-memory' })
    expect(page.contextTokens).toBe(8192)
    expect(Number.isNaN(Date.parse(page.fetchedAt))).toBe(false)
  })

  test('a gated repo still lists, with the values its name gave marked as guesses', async () => {
    const gated = (await search('q=Meta-Llama-3.1-8B-Instruct-4bit')).models.find((m) => m.id === 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit')
    // config.json is closed, but the hub's metadata (model_type, chat template) and the file list are public.
    expect(gated).toMatchObject({ gated: 'manual', family: 'llama', bits: 4, guessed: true, guessedFields: ['bits'], weightsBytes: 4_517_150_720 })
    expect(gated?.capabilities).toContain('tools')
    expect(gated?.fit?.kvCacheKnown).toBe(false)
  })

  test('free text and author narrow the search at the hub', async () => {
    expect(sorted((await search('q=gemma-3')).models.map((m) => m.id))).toEqual(
      sorted(['mlx-community/gemma-3-12b-it-4bit', 'mlx-community/gemma-3-4b-it-4bit', 'lmstudio-community/gemma-3-4b-it-MLX-4bit', 'mlx-community/gemma-3-1b-it-4bit', 'mlx-community/gemma-3-27b-it-4bit']),
    )
    const lmstudio = await search('author=lmstudio-community')
    expect(sorted(lmstudio.models.map((m) => m.id))).toEqual(['lmstudio-community/Qwen3-30B-A3B-MLX-4bit', 'lmstudio-community/Qwen3-4B-MLX-8bit', 'lmstudio-community/gemma-3-4b-it-MLX-4bit'])
    expect(catalog.hub.requests.some((r) => r.query.get('author') === 'lmstudio-community')).toBe(true)
  })
})

describe('sorting', () => {
  const byKey = (key: 'downloads' | 'likes' | 'lastModified' | 'trendingScore') =>
    DEFAULT_REPOS.filter((repo) => MLX_IDS.includes(repo.id))
      .sort((a, b) => (a[key] === b[key] ? (a.id < b.id ? -1 : 1) : a[key] < b[key] ? 1 : -1))
      .map((repo) => repo.id)

  test.each([
    ['downloads', 'downloads', 'downloads'],
    ['likes', 'likes', 'likes'],
    ['updated', 'lastModified', 'lastModified'],
    ['trending', 'trendingScore', 'trendingScore'],
  ] as const)('sort=%s asks the hub for %s and keeps its order', async (sort, hubSort, key) => {
    const { ids } = await searchAll(`sort=${sort}`)
    expect(ids).toEqual(byKey(key))
    expect(catalog.hub.requests.some((r) => r.path === '/api/models' && r.query.get('sort') === hubSort)).toBe(true)
  })
})

describe('filters apply to online results', () => {
  test('arch: families from config.json model_type', async () => {
    expect(sorted((await searchAll('arch=phi')).ids)).toEqual(['mlx-community/Phi-3.5-mini-instruct-4bit', 'mlx-community/Phi-3.5-mini-instruct-8bit', 'mlx-community/phi-4-4bit'])
    expect(sorted((await searchAll('arch=mistral,gpt-oss')).ids)).toEqual(
      sorted(['mlx-community/Mistral-7B-Instruct-v0.3-4bit', 'mlx-community/Mistral-7B-Instruct-v0.3-8bit', 'mlx-community/Mistral-Nemo-Instruct-2407-4bit', 'mlx-community/gpt-oss-20b-MXFP4-Q8']),
    )
    // A distill is its architecture: DeepSeek-R1-Distill-Qwen is a qwen2 model.
    const qwen = await searchAll('arch=qwen')
    expect(qwen.ids).toContain('mlx-community/DeepSeek-R1-Distill-Qwen-7B-4bit')
    expect(qwen.pages.flatMap((p) => p.models).every((m) => m.family === 'qwen')).toBe(true)
  })

  test('bits: from the quantization block, 16 for bf16', async () => {
    expect(sorted((await searchAll('bits=16')).ids)).toEqual(['mlx-community/Llama-3.2-1B-Instruct-bf16', 'mlx-community/Qwen3-8B-bf16'])
    expect((await searchAll('bits=2')).ids).toEqual(['mlx-community/Qwen2.5-72B-Instruct-2bit'])
    expect(sorted((await searchAll('bits=3,5')).ids)).toEqual(['mlx-community/Qwen3-14B-5bit', 'mlx-community/Qwen3-8B-3bit'])
    const six = await searchAll('bits=6')
    expect(six.ids).toEqual(['mlx-community/Qwen3-8B-6bit'])
    const eight = (await searchAll('bits=8')).pages.flatMap((p) => p.models)
    expect(eight.length).toBe(7)
    expect(eight.every((m) => m.bits === 8)).toBe(true)
  })

  test('capability: vision from config, tools and reasoning from the chat template', async () => {
    expect(sorted((await searchAll('capability=vision')).ids)).toEqual(
      sorted(['mlx-community/gemma-3-12b-it-4bit', 'mlx-community/Qwen2.5-VL-7B-Instruct-4bit', 'mlx-community/gemma-3-4b-it-4bit', 'lmstudio-community/gemma-3-4b-it-MLX-4bit', 'mlx-community/gemma-3-27b-it-4bit']),
    )
    const reasoning = (await searchAll('capability=reasoning,tools')).pages.flatMap((p) => p.models)
    expect(reasoning.map((m) => m.id)).toContain('mlx-community/gpt-oss-20b-MXFP4-Q8')
    expect(reasoning.map((m) => m.id)).not.toContain('mlx-community/Qwen2.5-7B-Instruct-4bit')
    expect(reasoning.every((m) => m.capabilities.includes('reasoning') && m.capabilities.includes('tools'))).toBe(true)
    const textOnly = (await searchAll('capability=text&arch=phi')).ids
    expect(textOnly.length).toBe(3)
  })

  test('a filter nothing matches scans the listing and says so, rather than looking like an empty hub', async () => {
    const page = await search('capability=vision,reasoning')
    expect(page.models).toEqual([])
    expect(page.scanned).toBe(MLX_IDS.length)
    expect(page.nextCursor).toBeNull()
  })

  test('size range on the weight files', async () => {
    expect(sorted((await searchAll(`maxSize=${1_000_000_000}`)).ids)).toEqual(
      sorted([
        'mlx-community/Qwen2.5-1.5B-Instruct-4bit',
        'mlx-community/DeepSeek-R1-Distill-Qwen-1.5B-4bit',
        'mlx-community/Llama-3.2-1B-Instruct-4bit',
        'mlx-community/SmolLM2-1.7B-Instruct-4bit',
        'mlx-community/gemma-3-1b-it-4bit',
        'mlx-community/Qwen2.5-0.5B-Instruct-4bit',
        'mlx-community/Qwen3-1.7B-4bit',
        'mlx-community/Qwen3-0.6B-4bit',
      ]),
    )
    const band = (await searchAll(`minSize=${4 * GiB}&maxSize=${5 * GiB}`)).pages.flatMap((p) => p.models)
    expect(band.length).toBeGreaterThan(3)
    expect(band.every((m) => m.weightsBytes !== null && m.weightsBytes >= 4 * GiB && m.weightsBytes <= 5 * GiB)).toBe(true)
  })

  test('fits: leaves out what will not fit this machine at the chosen context', async () => {
    const { ids, pages } = await searchAll('fits=true')
    expect(sorted(ids)).toEqual(sorted(MLX_IDS.filter((id) => id !== 'mlx-community/Qwen2.5-72B-Instruct-2bit' && id !== 'mlx-community/Llama-3.3-70B-Instruct-4bit')))
    // Filtering reads on to fill a page instead of returning a short one.
    expect(pages[0]?.models.length).toBeGreaterThanOrEqual(20)
    const tight = pages.flatMap((p) => p.models).find((m) => m.id === 'mlx-community/Qwen3-32B-4bit')
    expect(tight?.fit?.state).toBe('tight')
  })

  test('context: the fit is computed at the asked context, capped at each model\'s maximum', async () => {
    const page = await search('context=131072&q=Llama-3.2-3B-Instruct-4bit')
    const llama = page.models.find((m) => m.id === 'mlx-community/Llama-3.2-3B-Instruct-4bit')
    // 2 × 28 × 8 × 128 × 2 B × 131,072 tokens
    expect(llama?.fit).toMatchObject({ contextTokens: 131072, kvCacheBytes: 15_032_385_536 })
    const qwen = (await search('context=131072&q=Qwen3-8B-4bit')).models.find((m) => m.id === 'mlx-community/Qwen3-8B-4bit')
    expect(qwen?.fit?.contextTokens).toBe(40960)
  })
})

describe('caching', () => {
  test('a repeated search makes no hub request; a new filter on the same listing reuses pages and files', async () => {
    const own = await catalogTestApp()
    try {
      const first = await search('q=qwen3', own)
      expect(own.hub.requests.length).toBeGreaterThan(1)
      own.hub.clearRequests()
      const again = await search('q=qwen3', own)
      expect(own.hub.requests).toEqual([])
      expect(again).toEqual(first)
      const filtered = await search('q=qwen3&bits=8', own)
      expect(own.hub.requests).toEqual([])
      expect(filtered.models.every((m) => m.bits === 8)).toBe(true)
    } finally {
      await own.stop()
    }
  })

  test('identical searches at the same time share one trip to the hub', async () => {
    const own = await catalogTestApp()
    try {
      const answers = await Promise.all([search('q=gemma', own), search('q=gemma', own), search('q=gemma', own)])
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1)
      expect(own.hub.requests.filter((r) => r.path === '/api/models').length).toBe(1)
    } finally {
      await own.stop()
    }
  })
})

describe('model page', () => {
  test('Qwen3-8B: files, download size, shape, quantization, capabilities, card and engine', async () => {
    const { status, body } = await catalog.get<ModelDetails>('/api/catalog/models/mlx-community/Qwen3-8B-4bit')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      id: 'mlx-community/Qwen3-8B-4bit',
      downloadBytes: 4_607_319_040,
      weightsBytes: 4_607_319_040,
      quantization: { bits: 4, groupSize: 64 },
      contextLength: 40960,
      layers: 36,
      kvHeads: 8,
      headDim: 128,
      attentionHeads: 32,
      capabilities: ['text', 'tools', 'reasoning'],
      license: 'apache-2.0',
      gated: false,
      downloads: 98_310,
      likes: 41,
      lastModified: '2025-05-21T09:43:12.000Z',
      baseModel: 'Qwen/Qwen3-8B',
      engine: { engine: 'mlx-openai-server', modelType: 'lm', toolCallParser: 'qwen3', reasoningParser: 'qwen3' },
    })
    // The hub counts packed 4-bit weights as U32; the page shows the real 8.19B.
    expect(Math.abs((body.parameters ?? 0) - 8_190_735_360) / 8_190_735_360).toBeLessThan(0.001)
    expect(body.files.find((f) => f.path === 'model.safetensors')).toEqual({ path: 'model.safetensors', size: 4_607_319_040, lfs: true, weight: true })
    expect(body.files.find((f) => f.path === 'tokenizer_config.json')?.weight).toBe(false)
    expect(body.repoBytes).toBeGreaterThan(body.downloadBytes)
    expect(body.readme?.startsWith('# mlx-community/Qwen3-8B-4bit')).toBe(true)
    expect(body.hubUrl).toBe(`${catalog.hub.url}/mlx-community/Qwen3-8B-4bit`)
    expect(body.engine.args).toEqual(['launch', '--model-path', 'mlx-community/Qwen3-8B-4bit', '--model-type', 'lm', '--context-length', '8192', '--tool-call-parser', 'qwen3', '--reasoning-parser', 'qwen3'])
  })

  test('the fit follows ?context=, for the slider', async () => {
    const { body } = await catalog.get<ModelDetails>('/api/catalog/models/mlx-community/Qwen3-8B-4bit?context=32768')
    // 147,456 B per token × 32,768
    expect(body.fit).toMatchObject({ contextTokens: 32768, kvCacheBytes: 4_831_838_208, totalBytes: 9_439_157_248 })
    expect(body.engine.args).toContain('32768')
  })

  test('engines per model: vision, MoE, harmony, a Hermes-style reasoner, and plain mlx_lm.server', async () => {
    const engine = async (id: string) => (await catalog.get<ModelDetails>(`/api/catalog/models/${id}`)).body.engine
    expect(await engine('mlx-community/gemma-3-12b-it-4bit')).toMatchObject({ engine: 'mlx-openai-server', modelType: 'multimodal', toolCallParser: null, reasoningParser: null })
    expect(await engine('mlx-community/Qwen2.5-VL-7B-Instruct-4bit')).toMatchObject({ engine: 'mlx-openai-server', modelType: 'multimodal' })
    expect(await engine('lmstudio-community/Qwen3-30B-A3B-MLX-4bit')).toMatchObject({ toolCallParser: 'qwen3_moe', reasoningParser: 'qwen3_moe' })
    expect(await engine('mlx-community/gpt-oss-20b-MXFP4-Q8')).toMatchObject({ toolCallParser: 'harmony', reasoningParser: 'harmony' })
    expect(await engine('mlx-community/DeepSeek-R1-Distill-Qwen-7B-4bit')).toMatchObject({ engine: 'mlx-openai-server', modelType: 'lm', toolCallParser: null, reasoningParser: 'hermes' })
    expect(await engine('mlx-community/Qwen2.5-7B-Instruct-4bit')).toMatchObject({ toolCallParser: 'hermes', reasoningParser: null })
    const llama = await engine('mlx-community/Llama-3.2-3B-Instruct-4bit')
    expect(llama).toMatchObject({ engine: 'mlx_lm.server', args: ['--model', 'mlx-community/Llama-3.2-3B-Instruct-4bit'] })
    expect(await engine('mlx-community/Phi-3.5-mini-instruct-8bit')).toMatchObject({ engine: 'mlx_lm.server' })
  })

  test('gemma-3: vision, window layers and the template from chat_template.json', async () => {
    const { body } = await catalog.get<ModelDetails>('/api/catalog/models/mlx-community/gemma-3-12b-it-4bit')
    expect(body).toMatchObject({ capabilities: ['text', 'vision'], slidingWindow: 1024, layers: 48, headDim: 256, downloadBytes: 8_084_655_361, family: 'gemma', pipelineTag: 'image-text-to-text' })
    expect(body.files.filter((f) => f.weight).map((f) => f.path)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'])
  })

  test('weights in a subfolder (an original checkpoint) are listed but not counted', async () => {
    const { body } = await catalog.get<ModelDetails>('/api/catalog/models/mlx-community/gpt-oss-20b-MXFP4-Q8')
    const original = body.files.find((f) => f.path === 'original/model.safetensors')
    expect(original).toMatchObject({ size: 13_761_300_984, weight: false })
    expect(body.downloadBytes).toBe(body.files.filter((f) => f.weight).reduce((sum, f) => sum + f.size, 0))
    expect(body.quantization).toEqual({ bits: 4, groupSize: 32, mode: 'mxfp4' })
  })

  test('the README comes raw, without front matter; sanitising is the web\'s job', async () => {
    const { body } = await catalog.get<ModelDetails>('/api/catalog/models/mlx-community/Qwen2.5-7B-Instruct-4bit')
    expect(body.readme).not.toContain('license: apache-2.0')
    expect(body.readme).toContain("<script>alert('card script')</script>")
  })

  test('with HF_TOKEN, a gated model opens and nothing is guessed', async () => {
    const withToken = await catalogTestApp({ env: { HF_TOKEN: FIXTURE_TOKEN } })
    try {
      const { status, body } = await withToken.get<ModelDetails>('/api/catalog/models/mlx-community/Meta-Llama-3.1-8B-Instruct-4bit')
      expect(status).toBe(200)
      expect(body).toMatchObject({ gated: 'manual', guessed: false, bits: 4, layers: 32, kvHeads: 8 })
      expect(withToken.hub.requests.filter((r) => r.path.includes('/resolve/')).every((r) => r.authorization === `Bearer ${FIXTURE_TOKEN}`)).toBe(true)
    } finally {
      await withToken.stop()
    }
  })
})

describe('system', () => {
  test('reports the budget the fit uses', async () => {
    const { status, body } = await catalog.get<CatalogSystem>('/api/catalog/system')
    expect(status).toBe(200)
    expect(body).toMatchObject({ totalBytes: 32 * GiB, availableBytes: 20 * GiB, budgetBytes: 20 * GiB, runningServersBytes: 0, defaultContext: 8192 })
    expect(body.explanation).toContain('available')
  })

  test('every catalog route needs a signed-in user', async () => {
    for (const path of ['/api/catalog/search', '/api/catalog/models/mlx-community/Qwen3-8B-4bit', '/api/catalog/system']) {
      const response = await catalog.app.json<{ error: { code: string } }>('GET', path)
      expect(response.status).toBe(401)
      expect(response.body.error.code).toBe('unauthorized')
    }
  })
})
