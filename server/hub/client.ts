import { downloadFile, listFiles, listModels, modelInfo } from '@huggingface/hub'
import { HubFailure, failureOf } from './failure'
import { cursorFromLink, toFileEntry, toHubRepo, type HubFileEntry, type HubRepo } from './repo'

/**
 * The one HuggingFace Hub client, for the catalog and the downloads. Every request, whether
 * @huggingface/hub makes it or we do, goes through `request` below, so these are decided in one
 * place: the token (asked for on every request, so a token changed in Settings applies at once;
 * sent to the hub's own origin only, whatever its prefix), redirects (followed by hand, so a CDN
 * on another host never sees the token), the timeout, and what a failed answer means (HubFailure).
 */

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

export interface HubPage {
  repos: HubRepo[]
  nextCursor: string | null
}

export type FileResponse =
  | { status: 200 | 206; start: number; body: ReadableStream<Uint8Array> }
  /** The range starts at or past the end: the file is already whole (or the partial file is too long). */
  | { status: 416 }

export interface HubClient {
  readonly endpoint: string
  /** Whether a token is sent now (it may change between two calls). */
  readonly hasToken: boolean
  listModels(query: HubListQuery): Promise<HubPage>
  modelInfo(id: string, options?: { revision?: string; signal?: AbortSignal }): Promise<HubRepo>
  listFiles(id: string, revision: string, signal?: AbortSignal): Promise<HubFileEntry[]>
  /** A text file at a revision; null when the repo has no such file. At most `maxBytes` are read. */
  readText(id: string, revision: string, path: string, maxBytes?: number): Promise<string | null>
  /** A file from `offset` on (to `end`, inclusive, when given), streamed; the caller reads or cancels the body. */
  openFile(id: string, revision: string, path: string, offset: number, signal: AbortSignal, end?: number): Promise<FileResponse>
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface HubClientOptions {
  endpoint: string
  /** The token to send, asked for on every request; null sends none. */
  token: () => string | null
  fetch?: Fetch
  /** How long a call without a signal of its own waits for an answer (catalog calls). */
  timeoutMs?: number
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 5
const DEFAULT_MAX_TEXT_BYTES = 1024 * 1024

interface RequestOptions {
  /** The caller's signal: its abort passes through as it is. Without one, the client's timeout applies. */
  signal?: AbortSignal
  /** Answers passed back as they are instead of failing (416 for ranges, 404 EntryNotFound for optional files). */
  pass?: (response: Response) => boolean
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')
}

function networkDetail(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'it did not answer in time'
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code !== '') return code
  const text = error instanceof Error ? error.message : String(error)
  return text === '' ? 'the connection failed' : text
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/')

export function createHubClient(options: HubClientOptions): HubClient {
  const endpoint = options.endpoint.replace(/\/+$/, '')
  const origin = new URL(endpoint).origin
  const baseFetch: Fetch = options.fetch ?? ((input, init) => fetch(input, init))
  const timeoutMs = options.timeoutMs ?? 15_000

  /** One hub request: the token on the hub's origin only, redirects by hand, failures as HubFailure. */
  async function request(input: string | URL | Request, init: RequestInit = {}, opts: RequestOptions = {}): Promise<Response> {
    let url = new URL(input instanceof Request ? input.url : String(input))
    const headers = new Headers(input instanceof Request ? input.headers : undefined)
    new Headers(init.headers).forEach((value, name) => headers.set(name, value))
    const signal = opts.signal ?? AbortSignal.timeout(timeoutMs)
    const token = options.token()
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sendToken = token !== null && url.origin === origin
      if (sendToken) headers.set('authorization', `Bearer ${token}`)
      else headers.delete('authorization')
      let response: Response
      try {
        response = await baseFetch(url, { ...init, headers, redirect: 'manual', signal })
      } catch (error) {
        if (opts.signal?.aborted === true && isAbort(error)) throw error
        throw new HubFailure('unreachable', networkDetail(error), null, null, sendToken)
      }
      if (REDIRECTS.has(response.status)) {
        const location = response.headers.get('location')
        await response.body?.cancel().catch(() => undefined)
        if (location === null) throw new HubFailure('bad-response', `the hub redirected ${url.pathname} without saying where`, null, response.status, sendToken)
        url = new URL(location, url)
        continue
      }
      if (response.ok || opts.pass?.(response) === true) return response
      throw await failureOf(response, sendToken)
    }
    throw new HubFailure('bad-response', `the hub redirected ${url.pathname} more than ${MAX_REDIRECTS} times`, null, null, token !== null)
  }

  /** The fetch handed to @huggingface/hub: every call it makes goes through `request`. */
  function libraryFetch(opts: RequestOptions & { onResponse?: (response: Response) => Response } = {}): typeof fetch {
    const wrapped: Fetch = async (input, init) => {
      const response = await request(input, init, opts)
      return opts.onResponse?.(response) ?? response
    }
    return wrapped as typeof fetch
  }

  /** Anything the hub library throws that is not a HubFailure (or the caller's abort) means an answer it could not read. */
  async function guard<T>(what: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof HubFailure) throw error
      if (signal?.aborted === true) throw error
      throw new HubFailure('bad-response', `${what}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  // The token never goes to @huggingface/hub itself (it refuses tokens not starting hf_); `request` adds it.
  const library = { hubUrl: endpoint }

  return {
    endpoint,
    get hasToken() {
      return options.token() !== null
    },

    listModels: (query) =>
      guard('model listing', undefined, async () => {
        let link: string | null = null
        let first = true
        const fetchPage = libraryFetch({
          // Keep the Link header for our cursor and hide it from the library, so it never walks on to the next page.
          onResponse: (response) => {
            link = response.headers.get('link')
            const headers = new Headers(response.headers)
            headers.delete('link')
            return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
          },
        })
        const withCursor: typeof fetch = ((input: string | URL | Request, init?: RequestInit) => {
          const url = new URL(input instanceof Request ? input.url : String(input))
          if (first && query.cursor !== undefined) url.searchParams.set('cursor', query.cursor)
          first = false
          return fetchPage(url, init)
        }) as typeof fetch
        const repos: HubRepo[] = []
        for await (const entry of listModels({
          search: { query: query.search, owner: query.author, tags: query.tags },
          sort: query.sort,
          limit: query.limit,
          additionalFields: ['tags', 'config', 'sha', 'safetensors', 'library_name', 'author'],
          ...library,
          fetch: withCursor,
        })) {
          repos.push(toHubRepo(entry, entry.name))
        }
        return { repos, nextCursor: cursorFromLink(link) }
      }),

    modelInfo: (id, { revision, signal } = {}) =>
      guard('model info', signal, async () => {
        const info = await modelInfo({
          name: id,
          ...(revision === undefined ? {} : { revision }),
          additionalFields: ['tags', 'config', 'sha', 'safetensors', 'library_name', 'author', 'cardData', 'createdAt'],
          ...library,
          fetch: libraryFetch({ signal }),
        })
        return toHubRepo(info, info.name)
      }),

    listFiles: (id, revision, signal) =>
      guard('file listing', signal, async () => {
        const files: HubFileEntry[] = []
        for await (const entry of listFiles({ repo: { type: 'model', name: id }, revision, recursive: true, ...library, fetch: libraryFetch({ signal }) })) {
          const file = toFileEntry(entry)
          if (file !== null) files.push(file)
        }
        return files
      }),

    readText: (id, revision, path, maxBytes = DEFAULT_MAX_TEXT_BYTES) =>
      guard(path, undefined, async () => {
        // A file the repo does not have stays a 404, so downloadFile answers null.
        const missing = (response: Response) => response.status === 404 && response.headers.get('x-error-code') === 'EntryNotFound'
        const blob = await downloadFile({ repo: id, path, revision, ...library, fetch: libraryFetch({ pass: missing }), xet: false })
        if (blob === null) return null
        return (blob.size > maxBytes ? blob.slice(0, maxBytes) : blob).text()
      }),

    async openFile(id, revision, path, offset, signal, end) {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' }
      if (end !== undefined) headers.range = `bytes=${offset}-${end}`
      else if (offset > 0) headers.range = `bytes=${offset}-`
      const response = await request(`${endpoint}/${id}/resolve/${revision}/${encodePath(path)}`, { headers }, { signal, pass: (r) => r.status === 416 })
      if (response.status === 416) {
        await response.body?.cancel().catch(() => undefined)
        return { status: 416 }
      }
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel().catch(() => undefined)
        throw new HubFailure('bad-response', `the hub answered ${response.status} for ${path}`, null, response.status)
      }
      if (response.body === null) throw new HubFailure('unreachable', 'empty body')
      let start = 0
      if (response.status === 206) {
        const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(response.headers.get('content-range') ?? '')
        if (match?.[1] === undefined) {
          await response.body.cancel().catch(() => undefined)
          throw new HubFailure('bad-response', `the hub sent part of ${path} without saying which part`, null, 206)
        }
        start = Number(match[1])
      }
      return { status: response.status, start, body: response.body }
    },
  }
}
