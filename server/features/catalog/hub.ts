import { downloadFile, listFiles, listModels, modelInfo } from '@huggingface/hub'
import type { Gated } from '../../../shared/catalog'

/**
 * The HuggingFace Hub behind one small interface, so the catalog service can be tested with a
 * fake. Every call goes through @huggingface/hub with our own fetch, which turns the hub's
 * failures into HubFailure with what the service needs to explain them (status, retry time,
 * X-Error-Code), and which owns pagination so one search page is one hub page.
 */

export type HubFailureKind = 'rate-limited' | 'unreachable' | 'not-found' | 'gated' | 'token-rejected' | 'rejected' | 'bad-response'

export class HubFailure extends Error {
  constructor(
    readonly kind: HubFailureKind,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message)
    this.name = 'HubFailure'
  }
}

export type HubSort = 'downloads' | 'likes' | 'lastModified' | 'trendingScore'

export interface HubListQuery {
  search?: string
  author?: string
  sort: HubSort
  tags: string[]
  limit: number
  /** The hub's own cursor, taken from its `Link: <…&cursor=…>; rel="next"` header. */
  cursor?: string
}

/** What listing and model info both tell about a repo. */
export interface HubRepo {
  id: string
  sha: string | null
  downloads: number
  likes: number
  lastModified: string | null
  gated: Gated
  pipelineTag: string | null
  tags: string[]
  libraryName: string | null
  /** The hub's trimmed config: `model_type`, `architectures`, `tokenizer_config.chat_template`. */
  config: Record<string, unknown> | null
  safetensors: { parameters: Record<string, number>; total: number } | null
  cardData: Record<string, unknown> | null
  createdAt: string | null
}

export interface HubPage {
  repos: HubRepo[]
  nextCursor: string | null
}

export interface HubFile {
  path: string
  size: number
  lfs: boolean
}

export interface HubClient {
  readonly endpoint: string
  /** True when HF_TOKEN is set but not sent (the hub client only accepts tokens starting `hf_`). */
  readonly tokenIgnored: boolean
  readonly tokenSent: boolean
  listModels(query: HubListQuery): Promise<HubPage>
  modelInfo(id: string): Promise<HubRepo>
  listFiles(id: string, revision: string): Promise<HubFile[]>
  /** A text file at a revision; null when the repo has no such file. At most `maxBytes` are read. */
  readText(id: string, revision: string, path: string, maxBytes?: number): Promise<string | null>
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface HubClientOptions {
  endpoint: string
  token: string | null
  fetch?: Fetch
  timeoutMs?: number
}

const DEFAULT_MAX_TEXT_BYTES = 1024 * 1024

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Retry-After in seconds or as an HTTP date; else the `t=` of the newer RateLimit header; else a minute. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number {
  const raw = headers.get('retry-after')?.trim()
  if (raw !== undefined && raw !== '') {
    if (/^\d+$/.test(raw)) return Math.max(1, Number(raw))
    const at = Date.parse(raw)
    if (!Number.isNaN(at)) return Math.max(1, Math.ceil((at - now) / 1000))
  }
  const t = /\bt=(\d+)/.exec(headers.get('ratelimit') ?? '')?.[1]
  return t === undefined ? 60 : Math.max(1, Number(t))
}

async function hubMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  try {
    const body: unknown = JSON.parse(text)
    if (isObject(body) && typeof body.error === 'string') return body.error
  } catch {
    // not JSON: fall through to the status line
  }
  return `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`
}

async function failureFrom(response: Response): Promise<HubFailure> {
  const code = response.headers.get('x-error-code')
  const message = await hubMessage(response)
  if (response.status === 429) return new HubFailure('rate-limited', message, retryAfterSeconds(response.headers))
  if (response.status >= 500) return new HubFailure('unreachable', `the hub answered ${message}`)
  if (code === 'GatedRepo') return new HubFailure('gated', message)
  if (code === 'RepoNotFound' || code === 'RevisionNotFound' || code === 'EntryNotFound' || response.status === 404) {
    return new HubFailure('not-found', message)
  }
  if (response.status === 401 || response.status === 403) return new HubFailure('token-rejected', message)
  return new HubFailure('rejected', message)
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'it did not answer in time'
  const text = error instanceof Error ? error.message : String(error)
  return text === '' ? 'the connection failed' : text
}

export function createHubClient(options: HubClientOptions): HubClient {
  const endpoint = options.endpoint.replace(/\/+$/, '')
  const baseFetch: Fetch = options.fetch ?? ((input, init) => fetch(input, init))
  const timeoutMs = options.timeoutMs ?? 15_000
  const accessToken = options.token !== null && options.token.startsWith('hf_') ? options.token : undefined

  /**
   * One fetch per hub call. Failures become HubFailure before the hub client sees them (it keeps
   * no headers, and Retry-After matters); a missing file stays a 404 so downloadFile returns null.
   */
  function hubFetch(hooks: { rewrite?: (url: URL) => void; onResponse?: (response: Response) => Response } = {}): typeof fetch {
    const wrapped: Fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      hooks.rewrite?.(url)
      let response: Response
      try {
        response = await baseFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
      } catch (error) {
        throw new HubFailure('unreachable', describeNetworkError(error))
      }
      if (response.status === 404 && response.headers.get('x-error-code') === 'EntryNotFound') return response
      if (!response.ok) throw await failureFrom(response)
      return hooks.onResponse?.(response) ?? response
    }
    return wrapped as typeof fetch
  }

  /** Anything the hub client throws that is not already a HubFailure means the answer was not what it expects. */
  async function guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof HubFailure) throw error
      throw new HubFailure('bad-response', `${what}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  return {
    endpoint,
    tokenIgnored: options.token !== null && accessToken === undefined,
    tokenSent: accessToken !== undefined,

    listModels: (query) =>
      guard('model listing', async () => {
        let link: string | null = null
        let first = true
        const fetchPage = hubFetch({
          rewrite: (url) => {
            if (first && query.cursor !== undefined) url.searchParams.set('cursor', query.cursor)
            first = false
          },
          // Keep the Link header for our cursor and hide it from the client, so it never walks on to the next page.
          onResponse: (response) => {
            link = response.headers.get('link')
            const headers = new Headers(response.headers)
            headers.delete('link')
            return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
          },
        })
        const repos: HubRepo[] = []
        for await (const entry of listModels({
          search: { query: query.search, owner: query.author, tags: query.tags },
          sort: query.sort,
          limit: query.limit,
          additionalFields: ['tags', 'config', 'sha', 'safetensors', 'library_name', 'author'],
          hubUrl: endpoint,
          accessToken,
          fetch: fetchPage,
        })) {
          repos.push(toHubRepo(entry, entry.name))
        }
        return { repos, nextCursor: cursorFromLink(link) }
      }),

    modelInfo: (id) =>
      guard('model info', async () => {
        const info = await modelInfo({
          name: id,
          additionalFields: ['tags', 'config', 'sha', 'safetensors', 'library_name', 'author', 'cardData', 'createdAt'],
          hubUrl: endpoint,
          accessToken,
          fetch: hubFetch(),
        })
        return toHubRepo(info, info.name)
      }),

    listFiles: (id, revision) =>
      guard('file listing', async () => {
        const files: HubFile[] = []
        for await (const entry of listFiles({ repo: id, revision, recursive: true, hubUrl: endpoint, accessToken, fetch: hubFetch() })) {
          if (!isObject(entry) || typeof entry.path !== 'string' || typeof entry.type !== 'string') {
            throw new HubFailure('bad-response', 'file listing: an entry has no path')
          }
          if (entry.type !== 'file') continue
          const size = entry.lfs?.size ?? entry.size
          if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) throw new HubFailure('bad-response', `file listing: ${entry.path} has no size`)
          files.push({ path: entry.path, size, lfs: entry.lfs !== undefined })
        }
        return files
      }),

    readText: (id, revision, path, maxBytes = DEFAULT_MAX_TEXT_BYTES) =>
      guard(path, async () => {
        const blob = await downloadFile({ repo: id, path, revision, hubUrl: endpoint, accessToken, fetch: hubFetch(), xet: false })
        if (blob === null) return null
        return (blob.size > maxBytes ? blob.slice(0, maxBytes) : blob).text()
      }),
  }
}

/** The `cursor` parameter of the next-page URL in a Link header (the hub's cursor, passed through as is). */
export function cursorFromLink(link: string | null): string | null {
  if (link === null) return null
  const next = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1]
  if (next === undefined) return null
  try {
    return new URL(next).searchParams.get('cursor')
  } catch {
    return null
  }
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : null)
const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0)

function safetensorsOf(value: unknown): HubRepo['safetensors'] {
  if (!isObject(value) || !isObject(value.parameters)) return null
  const parameters: Record<string, number> = {}
  for (const [dtype, n] of Object.entries(value.parameters)) if (typeof n === 'number') parameters[dtype] = n
  return { parameters, total: count(value.total) }
}

function dateString(value: unknown): string | null {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null
  return date === null || Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** Checks the shape of a listing entry or model info; a wrong shape is the hub's fault, not a crash. */
function toHubRepo(entry: object, name: unknown): HubRepo {
  const raw = entry as Record<string, unknown>
  if (typeof name !== 'string' || !name.includes('/')) throw new HubFailure('bad-response', 'a model has no id')
  if (raw.tags !== undefined && !Array.isArray(raw.tags)) throw new HubFailure('bad-response', `${name} has malformed tags`)
  const gated = raw.gated === 'auto' || raw.gated === 'manual' ? raw.gated : false
  return {
    id: name,
    sha: optionalString(raw.sha),
    downloads: count(raw.downloads),
    likes: count(raw.likes),
    lastModified: dateString(raw.updatedAt ?? raw.lastModified),
    gated,
    pipelineTag: optionalString(raw.task ?? raw.pipeline_tag),
    tags: Array.isArray(raw.tags) ? raw.tags.filter((tag): tag is string => typeof tag === 'string') : [],
    libraryName: optionalString(raw.library_name),
    config: isObject(raw.config) ? raw.config : null,
    safetensors: safetensorsOf(raw.safetensors),
    cardData: isObject(raw.cardData) ? raw.cardData : null,
    createdAt: dateString(raw.createdAt),
  }
}
