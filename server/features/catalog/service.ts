import {
  ARCH_FAMILIES,
  CAPABILITIES,
  CATALOG_PAGE_SIZE,
  QUANT_BITS,
  deriveFacts,
  hasFilters,
  isWeightFile,
  matchesFilters,
  type CatalogFilters,
  type CatalogModel,
  type CatalogPage,
  type CatalogSort,
  type CatalogSystem,
  type ModelDetails,
} from '../../../shared/catalog'
import {
  DEFAULT_FIT_CONTEXT,
  effectiveContext,
  estimateFit,
  memoryBudget,
  pickMeasurement,
  withMeasurement,
  type MachineMemory,
  type MemoryBudget,
  type MemoryMeasurement,
} from '../../../shared/memory-fit'
import { isValidModelId } from '../../../shared/model-id'
import { badRequest, type AppError } from '../../http/errors'
import { TtlCache } from './cache'
import { recommendEngine } from './engine'
import type { HubClient, HubSort } from '../../hub/client'
import { explainHubFailure } from '../../hub/errors'
import { HubFailure } from '../../hub/failure'
import type { HubFileEntry as HubFile, HubRepo } from '../../hub/repo'
import { mapLimited } from './limit'
import type { ModelQuery, SearchQuery } from './model'
import { chatTemplateOf, hubChatTemplate, hubModelType, parseJson, stripFrontMatter, tokenizerFacts } from './repo-files'

export interface CatalogDeps {
  hub: Pick<HubClient, 'endpoint' | 'hasToken' | 'listModels' | 'modelInfo' | 'listFiles' | 'readText'>
  /** This machine's memory right now, including what running model servers hold. */
  machine: () => MachineMemory
  /** Peaks measured while a model ran here; they replace the estimate where they apply. */
  measurements?: (modelId: string) => MemoryMeasurement[]
  now?: () => number
  /** Hub results per search page. */
  pageSize?: number
  /** How long a search answer or a model page is reused. */
  cacheTtlMs?: number
  /** How long what was read from a repo at one commit is reused. */
  factsTtlMs?: number
  /** Repos whose files are read at the same time while filling a page. */
  concurrency?: number
  /** With filters on, hub pages read at most to fill one page of matches. */
  maxHubPagesPerSearch?: number
}

interface Search {
  q: string | null
  author: string | null
  sort: CatalogSort
  cursor: string | null
  filters: CatalogFilters
  context: number
}

/**
 * What is read from a repo's files at one commit; null where the hub would not give it. Kept small
 * (the weight total, not the file list) because thousands of these may be cached.
 */
interface RepoFacts {
  weightsBytes: number | null
  config: unknown
  chatTemplate: string | null
  addedTokens: string[]
}

interface LoadedModel {
  repo: HubRepo
  files: HubFile[]
  facts: RepoFacts
  readme: string | null
}

const HUB_SORT: Record<CatalogSort, HubSort> = {
  downloads: 'downloads',
  likes: 'likes',
  updated: 'lastModified',
  trending: 'trendingScore',
}

const TEMPLATE_FILES = ['chat_template.jinja', 'chat_template.json']
/** Model cards are a few KB; a runaway one is cut here rather than held in memory whole. */
const README_MAX_BYTES = 512 * 1024

/** Sum of the weight files; null when there are none (old `weights.npz` repos, GGUF), so no fit is claimed. */
function weightsBytes(files: HubFile[]): number | null {
  const weights = files.filter((file) => isWeightFile(file.path))
  return weights.length === 0 ? null : weights.reduce((sum, file) => sum + file.size, 0)
}

/** Comma-separated values, each once, in the order of `allowed` (so equal filters share a cache entry). */
function parseList<T extends string | number>(raw: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (raw === undefined) return undefined
  const given = new Set(raw.split(','))
  return allowed.filter((value) => given.has(String(value)))
}

/** Filters, search and browsing of MLX models on the hub, with the memory fit for this machine. */
export class CatalogService {
  private readonly now: () => number
  private readonly pageSize: number
  private readonly concurrency: number
  private readonly maxPages: number
  private readonly answers: TtlCache<CatalogPage>
  private readonly pages: TtlCache<{ repos: HubRepo[]; nextCursor: string | null }>
  private readonly facts: TtlCache<RepoFacts>
  private readonly models: TtlCache<LoadedModel>

  constructor(private readonly deps: CatalogDeps) {
    this.now = deps.now ?? Date.now
    this.pageSize = deps.pageSize ?? CATALOG_PAGE_SIZE
    this.concurrency = deps.concurrency ?? 8
    this.maxPages = deps.maxHubPagesPerSearch ?? 5
    const ttl = deps.cacheTtlMs ?? 5 * 60_000
    this.answers = new TtlCache(ttl, 500, this.now)
    this.pages = new TtlCache(ttl, 500, this.now)
    // Model pages hold a README (up to README_MAX_BYTES) each, so fewer are kept.
    this.models = new TtlCache(ttl, 50, this.now)
    // Keyed by commit, so what it holds cannot go stale; the TTL only bounds memory.
    this.facts = new TtlCache(deps.factsTtlMs ?? 30 * 60_000, 2000, this.now)
  }

  /** Forgets what the hub answered: with another token (or none) it may show other models. */
  forgetAnswers(): void {
    this.answers.clear()
    this.pages.clear()
    this.models.clear()
  }

  system(): CatalogSystem {
    return { ...this.budget(), defaultContext: DEFAULT_FIT_CONTEXT }
  }

  /** One page of MLX models. The same query within the cache time is answered without asking the hub. */
  async search(query: SearchQuery): Promise<CatalogPage> {
    const search = this.normalize(query)
    const page = await this.explainFailures(null, () => this.answers.getOrLoad(JSON.stringify(search), () => this.runSearch(search)))
    // Applied after the cache: a peak measured a minute ago shows at once.
    return { ...page, models: page.models.map((model) => this.measured(model)) }
  }

  async model(id: string, query: ModelQuery): Promise<ModelDetails> {
    if (!isValidModelId(id)) {
      throw badRequest('invalid-model-id', `"${id}" is not a model id. Model ids look like mlx-community/Qwen3-8B-4bit.`)
    }
    const loaded = await this.explainFailures(id, () => this.models.getOrLoad(id, () => this.loadModel(id)))
    return this.measured(this.details(loaded, query.context ?? DEFAULT_FIT_CONTEXT, this.budget()))
  }

  /** The model with its measured peaks, and its fit on the peak that applies at its context. */
  private measured<T extends CatalogModel>(model: T): T {
    const measurements = this.deps.measurements?.(model.id) ?? []
    if (measurements.length === 0) return model
    const fit = model.fit === null ? null : withMeasurement(model.fit, pickMeasurement(measurements, model.fit.contextTokens))
    return { ...model, fit, measurements }
  }

  private budget(): MemoryBudget {
    return memoryBudget(this.deps.machine())
  }

  private normalize(query: SearchQuery): Search {
    const q = query.q?.trim() ?? ''
    const filters: CatalogFilters = {
      arch: parseList(query.arch, ARCH_FAMILIES),
      bits: parseList(query.bits, QUANT_BITS),
      capability: parseList(query.capability, CAPABILITIES),
      minSize: query.minSize,
      maxSize: query.maxSize,
      fits: query.fits === true ? true : undefined,
    }
    if (filters.minSize !== undefined && filters.maxSize !== undefined && filters.minSize > filters.maxSize) {
      throw badRequest('invalid-size-range', `minSize (${filters.minSize}) is larger than maxSize (${filters.maxSize}).`)
    }
    return {
      q: q === '' ? null : q,
      author: query.author ?? null,
      sort: query.sort ?? 'downloads',
      cursor: query.cursor ?? null,
      filters,
      context: query.context ?? DEFAULT_FIT_CONTEXT,
    }
  }

  /**
   * Reads hub pages and the files of each result. Without filters that is one hub page; with
   * filters it reads on until a page's worth match or `maxPages` were read, so a narrow filter
   * does not come back empty just because the first hub page had no match.
   */
  private async runSearch(search: Search): Promise<CatalogPage> {
    const budget = this.budget()
    const fetchedAt = new Date(this.now()).toISOString()
    const models: CatalogModel[] = []
    let cursor = search.cursor
    let scanned = 0
    let pagesRead = 0
    do {
      const page = await this.hubPage(search, cursor)
      pagesRead += 1
      scanned += page.repos.length
      // The hub filters on the tag already; this keeps a listing that ignored it from leaking other repos in.
      const mlx = page.repos.filter((repo) => repo.tags.includes('mlx'))
      const summaries = await mapLimited(mlx, this.concurrency, async (repo) => this.summary(repo, await this.repoFacts(repo), search.context, budget))
      models.push(...summaries.filter((model) => matchesFilters(model, search.filters)))
      cursor = page.nextCursor
    } while (hasFilters(search.filters) && models.length < this.pageSize && cursor !== null && pagesRead < this.maxPages)
    return { models, nextCursor: cursor, scanned, contextTokens: search.context, budget, fetchedAt }
  }

  private hubPage(search: Search, cursor: string | null) {
    const key = JSON.stringify([search.q, search.author, search.sort, cursor])
    return this.pages.getOrLoad(key, () =>
      this.deps.hub.listModels({
        search: search.q ?? undefined,
        author: search.author ?? undefined,
        sort: HUB_SORT[search.sort],
        tags: ['mlx'],
        limit: this.pageSize,
        cursor: cursor ?? undefined,
      }),
    )
  }

  /** config.json, the file list and the chat template of a search result, read once per commit. */
  private repoFacts(repo: HubRepo): Promise<RepoFacts> {
    const revision = repo.sha ?? 'main'
    return this.facts.getOrLoad(`${repo.id}@${revision}`, async () => {
      const [files, configText] = await Promise.all([
        this.unlessUnavailable(() => this.deps.hub.listFiles(repo.id, revision)),
        this.unlessUnavailable(() => this.deps.hub.readText(repo.id, revision, 'config.json')),
      ])
      let chatTemplate = hubChatTemplate(repo.config)
      const templateFile = files?.find((file) => TEMPLATE_FILES.includes(file.path))
      if (chatTemplate === null && templateFile !== undefined) {
        const text = await this.unlessUnavailable(() => this.deps.hub.readText(repo.id, revision, templateFile.path))
        chatTemplate = text === null ? null : chatTemplateOf(templateFile.path, text)
      }
      return { weightsBytes: files === null ? null : weightsBytes(files), config: configText === null ? null : parseJson(configText), chatTemplate, addedTokens: [] }
    })
  }

  /**
   * A file of one search result that the hub will not give (gated, missing, unreadable) leaves
   * that result with guesses; a rate limit or an outage fails the whole search, which is the truth.
   */
  private async unlessUnavailable<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read()
    } catch (error) {
      if (error instanceof HubFailure && ['gated', 'not-found', 'token-required', 'token-rejected', 'bad-response'].includes(error.kind)) return null
      throw error
    }
  }

  private async loadModel(id: string): Promise<LoadedModel> {
    const repo = await this.deps.hub.modelInfo(id)
    // Everything below is read at the commit the info named, so the page describes one revision.
    const revision = repo.sha ?? 'main'
    const files = await this.deps.hub.listFiles(id, revision)
    const present = new Set(files.map((file) => file.path))
    const read = (path: string) => (present.has(path) ? this.deps.hub.readText(id, revision, path) : Promise.resolve(null))
    const [configText, tokenizerText, readme, ...templates] = await Promise.all([
      read('config.json'),
      read('tokenizer_config.json'),
      present.has('README.md') ? this.deps.hub.readText(id, revision, 'README.md', README_MAX_BYTES) : Promise.resolve(null),
      ...TEMPLATE_FILES.map(read),
    ])
    const tokenizer = tokenizerFacts(tokenizerText)
    const fromFile = TEMPLATE_FILES.map((path, i) => {
      const text = templates[i]
      return text === null || text === undefined ? null : chatTemplateOf(path, text)
    }).find((template) => template !== null)
    return {
      repo,
      files,
      facts: {
        weightsBytes: weightsBytes(files),
        config: configText === null ? null : parseJson(configText),
        // transformers' order: a template file wins over tokenizer_config.json.
        chatTemplate: fromFile ?? tokenizer.chatTemplate ?? hubChatTemplate(repo.config),
        addedTokens: tokenizer.addedTokens,
      },
      readme: readme === null ? null : stripFrontMatter(readme),
    }
  }

  private summary(repo: HubRepo, facts: RepoFacts, context: number, budget: MemoryBudget): CatalogModel {
    const derived = deriveFacts({
      id: repo.id,
      tags: repo.tags,
      pipelineTag: repo.pipelineTag,
      config: facts.config,
      hubModelType: hubModelType(repo.config),
      chatTemplate: facts.chatTemplate,
      addedTokens: facts.addedTokens,
      safetensors: repo.safetensors,
    })
    const weightsBytes = facts.weightsBytes
    const [author = '', name = ''] = repo.id.split('/')
    const license = typeof repo.cardData?.license === 'string' ? repo.cardData.license : (repo.tags.find((tag) => tag.startsWith('license:'))?.slice(8) ?? null)
    return {
      id: repo.id,
      author,
      name,
      sha: repo.sha,
      downloads: repo.downloads,
      likes: repo.likes,
      lastModified: repo.lastModified,
      gated: repo.gated,
      pipelineTag: repo.pipelineTag,
      tags: repo.tags,
      license,
      family: derived.family,
      modelType: derived.modelType,
      bits: derived.bits,
      groupSize: derived.groupSize,
      capabilities: derived.capabilities,
      parameters: derived.parameters,
      weightsBytes,
      contextLength: derived.contextLength,
      architecture: derived.architecture,
      fit: weightsBytes === null ? null : estimateFit({ weightsBytes, architecture: derived.architecture, contextTokens: context, budgetBytes: budget.budgetBytes }),
      guessed: derived.guessedFields.length > 0,
      guessedFields: derived.guessedFields,
    }
  }

  private details(loaded: LoadedModel, context: number, budget: MemoryBudget): ModelDetails {
    const { repo, facts, files } = loaded
    const summary = this.summary(repo, facts, context, budget)
    const derived = deriveFacts({ id: repo.id, tags: repo.tags, pipelineTag: repo.pipelineTag, config: facts.config, chatTemplate: facts.chatTemplate })
    const architecture = summary.architecture
    const baseModel = repo.cardData?.base_model
    return {
      ...summary,
      files: files.map((file) => ({ path: file.path, size: file.size, lfs: file.lfs !== null, weight: isWeightFile(file.path) })),
      downloadBytes: summary.weightsBytes ?? 0,
      repoBytes: files.reduce((sum, file) => sum + file.size, 0),
      quantization: derived.quantization,
      layers: architecture?.layers ?? null,
      attentionHeads: architecture?.attentionHeads ?? null,
      kvHeads: architecture?.kvHeads ?? null,
      headDim: architecture?.headDim ?? null,
      hiddenSize: architecture?.hiddenSize ?? null,
      slidingWindow: architecture?.slidingWindow ?? null,
      baseModel: typeof baseModel === 'string' ? baseModel : Array.isArray(baseModel) && typeof baseModel[0] === 'string' ? baseModel[0] : null,
      libraryName: repo.libraryName,
      createdAt: repo.createdAt,
      readme: loaded.readme,
      hubUrl: `${this.deps.hub.endpoint}/${repo.id}`,
      engine: recommendEngine({
        id: repo.id,
        modelType: summary.modelType,
        capabilities: summary.capabilities,
        chatTemplate: facts.chatTemplate,
        contextTokens: summary.fit?.contextTokens ?? effectiveContext(context, architecture),
      }),
    }
  }

  /** Hub failures become the error envelope, each with a sentence that says what to do. */
  private async explainFailures<T>(id: string | null, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof HubFailure) throw this.explain(error, id)
      throw error
    }
  }

  private explain(failure: HubFailure, id: string | null): AppError {
    return explainHubFailure(failure, { endpoint: this.deps.hub.endpoint, model: id })
  }
}
