import { describe, expect, test } from 'bun:test'
import {
  deriveCapabilities,
  deriveFacts,
  familyOf,
  filtersToQuery,
  guessBitsFromName,
  guessFamilyFromName,
  isWeightFile,
  matchesFilters,
  parameterCount,
  readQuantization,
  type CatalogModel,
} from '../../shared/catalog'
import { TtlCache } from '../../server/features/catalog/cache'
import { recommendEngine } from '../../server/features/catalog/engine'
import { HubFailure, retryAfterSeconds } from '../../server/hub/failure'
import { cursorFromLink, type HubRepo } from '../../server/hub/repo'
import { mapLimited } from '../../server/features/catalog/limit'
import { machineMemory, runningServersBytes } from '../../server/features/catalog/machine'
import { chatTemplateOf, stripFrontMatter, templateValue, tokenizerFacts } from '../../server/features/catalog/repo-files'
import { CatalogService, type CatalogDeps } from '../../server/features/catalog/service'
import { gemma3_12b, lmstudioQwen3Moe, llama32_3b, qwen3_8b } from '../fixtures/hub/repos'
import * as templates from '../fixtures/hub/repos/templates'

describe('derivations from config.json, templates and names', () => {
  test('family from model_type; from the name only as a guess', () => {
    expect(['llama', 'qwen3_moe', 'qwen2_5_vl', 'gemma3_text', 'mistral3', 'phi3', 'deepseek_v3', 'gpt_oss', 'glm4_moe', 'mamba'].map(familyOf)).toEqual([
      'llama',
      'qwen',
      'qwen',
      'gemma',
      'mistral',
      'phi',
      'deepseek',
      'gpt-oss',
      'glm',
      'other',
    ])
    expect(guessFamilyFromName('mlx-community/DeepSeek-R1-Distill-Qwen-7B-4bit')).toBe('qwen')
    expect(guessFamilyFromName('mlx-community/Devstral-Small-2507-4bit')).toBe('mistral')
    expect(guessFamilyFromName('someone/mystery-model')).toBeNull()
  })

  test('quantization from the mlx block, bf16 as 16 bits, mxfp4 mode', () => {
    expect(readQuantization(llama32_3b.config)).toEqual({ bits: 4, groupSize: 64, mode: null })
    expect(readQuantization({ torch_dtype: 'bfloat16' })).toEqual({ bits: 16, groupSize: null, mode: null })
    expect(readQuantization({ quantization: { bits: 4, group_size: 32, mode: 'mxfp4' } })).toEqual({ bits: 4, groupSize: 32, mode: 'mxfp4' })
    expect(readQuantization({ model_type: 'llama' })).toBeNull()
    expect(['x/Model-4bit', 'x/Model-8-bit', 'x/Model-bf16', 'x/gpt-oss-20b-MXFP4-Q8', 'x/Qwen3-8B-MLX-6bit', 'x/Model'].map(guessBitsFromName)).toEqual([4, 8, 16, 4, 6, null])
  })

  test('capabilities from the real chat templates', () => {
    const caps = (template: string, config: unknown = {}, pipelineTag: string | null = 'text-generation') =>
      deriveCapabilities({ config, pipelineTag, tags: [], chatTemplate: template })
    expect(caps(templates.LLAMA_3_TEMPLATE)).toEqual(['text', 'tools'])
    expect(caps(templates.QWEN_3_TEMPLATE)).toEqual(['text', 'tools', 'reasoning'])
    expect(caps(templates.QWEN_2_5_TEMPLATE)).toEqual(['text', 'tools'])
    expect(caps(templates.MISTRAL_V3_TEMPLATE)).toEqual(['text', 'tools'])
    expect(caps(templates.DEEPSEEK_R1_TEMPLATE)).toEqual(['text', 'tools', 'reasoning'])
    expect(caps(templates.GPT_OSS_TEMPLATE)).toEqual(['text', 'tools', 'reasoning'])
    expect(caps(templates.PHI_3_5_TEMPLATE)).toEqual(['text'])
    expect(caps(templates.GEMMA_3_TEMPLATE, gemma3_12b.config, 'image-text-to-text')).toEqual(['text', 'vision'])
    expect(caps(templates.QWEN_2_VL_TEMPLATE, { vision_config: {} }, null)).toEqual(['text', 'vision'])
    expect(deriveCapabilities({ config: {}, pipelineTag: 'feature-extraction', tags: [], chatTemplate: null })).toEqual([])
    expect(deriveCapabilities({ config: {}, pipelineTag: null, tags: [], chatTemplate: '', addedTokens: ['<think>'] })).toEqual(['text', 'reasoning'])
  })

  test('without config.json or template, values come from the name and are flagged', () => {
    const facts = deriveFacts({ id: 'mlx-community/QwQ-32B-4bit', tags: ['mlx'], pipelineTag: 'text-generation', config: null, chatTemplate: null })
    expect(facts).toMatchObject({ family: 'qwen', bits: 4, architecture: null, guessedFields: ['family', 'bits', 'capabilities'] })
    expect(facts.capabilities).toContain('reasoning')
    const known = deriveFacts({ id: qwen3_8b.id, tags: [], pipelineTag: 'text-generation', config: qwen3_8b.config, chatTemplate: templates.QWEN_3_TEMPLATE, safetensors: qwen3_8b.safetensors })
    expect(known.guessedFields).toEqual([])
    expect(known.contextLength).toBe(40960)
  })

  test('parameters undo the hub\'s packed-U32 count', () => {
    // 4-bit: each U32 holds 8 weights; BF16 holds a scale and a bias per 64 weights plus the unquantized rest.
    const count = parameterCount(lmstudioQwen3Moe.safetensors, { bits: 4, groupSize: 64, mode: null }) ?? 0
    expect(Math.abs(count - 30_532_122_624) / 30_532_122_624).toBeLessThan(0.001)
    expect(parameterCount({ parameters: { BF16: 1_235_814_400 } }, { bits: 16, groupSize: null, mode: null })).toBe(1_235_814_400)
    expect(parameterCount(null, null)).toBeNull()
  })

  test('weight files are the top-level safetensors', () => {
    expect(['model.safetensors', 'model-00001-of-00002.safetensors', 'original/model.safetensors', 'model.safetensors.index.json'].map(isWeightFile)).toEqual([true, true, false, false])
  })

  test('filters, and their query-string form', () => {
    const model = { family: 'qwen', bits: 4, capabilities: ['text', 'tools'], weightsBytes: 5e9, fit: { state: 'tight' } } as unknown as CatalogModel
    expect(matchesFilters(model, { arch: ['qwen', 'llama'], bits: [4], capability: ['tools'], minSize: 1e9, maxSize: 6e9, fits: true })).toBe(true)
    expect(matchesFilters(model, { capability: ['tools', 'vision'] })).toBe(false)
    expect(matchesFilters({ ...model, fit: null }, { fits: true })).toBe(false)
    expect(matchesFilters({ ...model, weightsBytes: null }, { maxSize: 1e12 })).toBe(false)
    expect(filtersToQuery({ arch: ['qwen'], bits: [4, 8], capability: ['vision'], minSize: 1, fits: true })).toEqual({ arch: 'qwen', bits: '4,8', capability: 'vision', minSize: '1', fits: 'true' })
  })
})

describe('engine advice', () => {
  const advise = (modelType: string | null, capabilities: ('text' | 'vision' | 'tools' | 'reasoning')[], chatTemplate: string | null = null) =>
    recommendEngine({ id: 'org/model', modelType, capabilities, chatTemplate, contextTokens: 4096 })

  test('family parsers win, template tags fall back to hermes, nothing to parse means mlx_lm.server', () => {
    expect(advise('qwen3_vl', ['text', 'vision', 'tools', 'reasoning'])).toMatchObject({ modelType: 'multimodal', toolCallParser: 'qwen3_vl', reasoningParser: 'qwen3_vl' })
    expect(advise('glm4_moe', ['text', 'tools', 'reasoning'])).toMatchObject({ toolCallParser: 'glm4_moe', reasoningParser: 'glm4_moe' })
    // A parser is only offered for what the model does.
    expect(advise('qwen3', ['text', 'tools'])).toMatchObject({ toolCallParser: 'qwen3', reasoningParser: null })
    expect(advise('qwen2', ['text', 'tools'], '<tool_call>')).toMatchObject({ engine: 'mlx-openai-server', toolCallParser: 'hermes' })
    const plain = advise('mistral', ['text', 'tools'], '[AVAILABLE_TOOLS]')
    expect(plain).toMatchObject({ engine: 'mlx_lm.server', modelType: null })
    expect(plain.reason).toContain('no parser')
  })
})

describe('cache and concurrency', () => {
  test('entries expire after the TTL, loads are shared, failures are not kept', async () => {
    let now = 0
    const cache = new TtlCache<number>(1000, 10, () => now)
    let loads = 0
    const load = () => Promise.resolve(++loads)
    expect(await Promise.all([cache.getOrLoad('a', load), cache.getOrLoad('a', load)])).toEqual([1, 1])
    now = 999
    expect(await cache.getOrLoad('a', load)).toBe(1)
    now = 1000
    expect(await cache.getOrLoad('a', load)).toBe(2)
    const failing = cache.getOrLoad('b', () => Promise.reject(new Error('no')))
    expect(await failing.catch((e: unknown) => (e as Error).message)).toBe('no')
    expect(await cache.getOrLoad('b', load)).toBe(3)
  })

  test('the oldest entries go first beyond the size limit', () => {
    const cache = new TtlCache<string>(1000, 2)
    cache.set('a', 'A')
    cache.set('b', 'B')
    cache.set('c', 'C')
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C'])
  })

  test('mapLimited keeps order and never runs more than the limit', async () => {
    let running = 0
    let peak = 0
    const out = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running += 1
      peak = Math.max(peak, running)
      await Bun.sleep(n)
      running -= 1
      return n * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30, 0])
    expect(peak).toBe(2)
    expect(await mapLimited([1, 2, 3], 3, (n) => (n === 2 ? Promise.reject(new Error('two')) : Promise.resolve(n))).catch((e: unknown) => (e as Error).message)).toBe('two')
  })
})

describe('hub adapter helpers', () => {
  test('the cursor comes out of the Link header; Retry-After in seconds, as a date, or from RateLimit', () => {
    expect(cursorFromLink('<https://huggingface.co/api/models?filter=mlx&cursor=eyJhIjoxfQ%3D%3D>; rel="next"')).toBe('eyJhIjoxfQ==')
    expect(cursorFromLink(null)).toBeNull()
    expect(cursorFromLink('<https://huggingface.co/x>; rel="prev"')).toBeNull()
    expect(retryAfterSeconds(new Headers({ 'retry-after': '12' }))).toBe(12)
    expect(retryAfterSeconds(new Headers({ 'retry-after': new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString() }), Date.UTC(2030, 0, 1))).toBe(60)
    expect(retryAfterSeconds(new Headers({ ratelimit: '"api";r=0;t=33' }))).toBe(33)
    expect(retryAfterSeconds(new Headers())).toBe(60)
  })

  test('repo files: templates in their three homes, added tokens, front matter', () => {
    expect(templateValue([{ name: 'default', template: 'A' }, { name: 'tool_use', template: 'B {% if tools %}' }])).toBe('A\nB {% if tools %}')
    expect(chatTemplateOf('chat_template.json', JSON.stringify({ chat_template: 'T' }))).toBe('T')
    expect(chatTemplateOf('chat_template.jinja', 'J')).toBe('J')
    expect(chatTemplateOf('chat_template.json', 'not json')).toBeNull()
    expect(tokenizerFacts(JSON.stringify({ chat_template: 'X', added_tokens_decoder: { '1': { content: '<think>' } } }))).toEqual({ chatTemplate: 'X', addedTokens: ['<think>'] })
    expect(stripFrontMatter('---\nlicense: mit\n---\n\n# Card\n')).toBe('# Card\n')
    expect(stripFrontMatter('# No front matter\n')).toBe('# No front matter\n')
  })
})

/** A hub in memory: pages of repos, counting every call. */
function fakeHub(pages: HubRepo[][]): CatalogDeps['hub'] & { calls: string[] } {
  const calls: string[] = []
  return {
    endpoint: 'https://hub.example',
    hasToken: false,
    calls,
    listModels: (query) => {
      calls.push(`list:${query.cursor ?? 'start'}`)
      const index = query.cursor === undefined ? 0 : Number(query.cursor)
      return Promise.resolve({ repos: pages[index] ?? [], nextCursor: index + 1 < pages.length ? String(index + 1) : null })
    },
    modelInfo: (id) => Promise.reject(new HubFailure('not-found', `no ${id}`)),
    listFiles: (id) => {
      calls.push(`files:${id}`)
      return Promise.resolve([{ path: 'model.safetensors', size: id.endsWith('big') ? 9e11 : 1e9, oid: 'a'.repeat(40), lfs: { oid: 'b'.repeat(64), size: id.endsWith('big') ? 9e11 : 1e9 } }])
    },
    readText: (id, _revision, path) => {
      calls.push(`read:${id}:${path}`)
      return Promise.resolve(path === 'config.json' ? JSON.stringify(llama32_3b.config) : null)
    },
  }
}

const repo = (id: string): HubRepo => ({
  id,
  sha: `${id}-sha`,
  downloads: 1,
  likes: 1,
  lastModified: null,
  gated: false,
  pipelineTag: 'text-generation',
  tags: ['mlx'],
  libraryName: 'mlx',
  config: null,
  safetensors: null,
  cardData: null,
  createdAt: null,
})

describe('catalog service with a fake hub', () => {
  const machine = () => ({ platform: 'linux', arch: 'x64', totalBytes: 64e9, availableBytes: 32e9, runningServersBytes: 0 })

  test('answers from the cache until the TTL passes, then asks again', async () => {
    let now = 0
    const hub = fakeHub([[repo('a/one'), repo('a/two')]])
    const service = new CatalogService({ hub, machine, now: () => now, cacheTtlMs: 60_000 })
    await service.search({})
    const first = hub.calls.length
    await service.search({})
    expect(hub.calls.length).toBe(first)
    now = 60_000
    await service.search({})
    // The listing is asked again; the files of an unchanged commit are still known.
    expect(hub.calls.slice(first)).toEqual(['list:start'])
  })

  test('a narrow filter reads on through pages, but no further than maxHubPagesPerSearch', async () => {
    const pages = Array.from({ length: 6 }, (_, i) => [repo(`p/${i}-small`), repo(`p/${i}-big`)])
    const hub = fakeHub(pages)
    const service = new CatalogService({ hub, machine, pageSize: 2, maxHubPagesPerSearch: 3 })
    const page = await service.search({ fits: true })
    expect(page.models.map((m) => m.id)).toEqual(['p/0-small', 'p/1-small'])
    expect(page.scanned).toBe(4)
    expect(page.nextCursor).toBe('2')
    const narrow = await service.search({ maxSize: 1 })
    expect(narrow.models).toEqual([])
    expect(narrow.scanned).toBe(6)
    expect(narrow.nextCursor).toBe('3')
  })

  test('repos without the mlx tag are dropped even if a hub lists them', async () => {
    const hub = fakeHub([[repo('a/mlx'), { ...repo('b/other'), tags: ['gguf'] }]])
    const page = await new CatalogService({ hub, machine }).search({})
    expect(page.models.map((m) => m.id)).toEqual(['a/mlx'])
  })
})

describe('machine memory', () => {
  test('running servers count while they hold memory: starting, ready, stopping', () => {
    expect(
      runningServersBytes([
        { state: 'ready', rssBytes: 5e9 },
        { state: 'starting', rssBytes: 1e9 },
        { state: 'stopping', rssBytes: null },
        { state: 'stopped', rssBytes: 7e9 },
        { state: 'failed', rssBytes: 2e9 },
      ]),
    ).toBe(6e9)
    const read = machineMemory(() => ({ totalBytes: 64e9, usedBytes: 20e9 }), () => 6e9, 'darwin', 'arm64')
    expect(read()).toEqual({ platform: 'darwin', arch: 'arm64', totalBytes: 64e9, availableBytes: 44e9, runningServersBytes: 6e9 })
  })
})
