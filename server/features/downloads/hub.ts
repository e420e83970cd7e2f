import { listFiles, modelInfo } from '@huggingface/hub'
import { DownloadFailure, hubStatusFailure, networkFailure } from './failures'

/** One file of a repo at a commit, as the tree lists it. */
export interface HubFileEntry {
  path: string
  size: number
  /** Git blob oid: of the file itself, or of its LFS pointer. */
  oid: string
  lfs: { oid: string; size: number } | null
}

export type FileResponse =
  | { status: 200 | 206; start: number; body: ReadableStream<Uint8Array> }
  /** The range starts at or past the end: the file is already whole (or the partial file is too long). */
  | { status: 416 }

/** What the download manager needs from the hub; the real one speaks HTTP, tests may fake it. */
export interface HubClient {
  readonly hasToken: boolean
  resolveCommit(modelId: string, revision: string, signal: AbortSignal): Promise<string>
  listFiles(modelId: string, commit: string, signal: AbortSignal): Promise<HubFileEntry[]>
  openFile(modelId: string, commit: string, path: string, offset: number, signal: AbortSignal): Promise<FileResponse>
}

export interface HubClientOptions {
  endpoint: string
  /** The HF token for the hub (the manager's HF_TOKEN), asked for on every request. */
  token: () => string | null
  fetch?: typeof fetch
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 5

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')
}

/** Network-level failures (resets, refused connections, DNS) become retryable; aborts pass through. */
function asFailure(error: unknown): unknown {
  if (error instanceof DownloadFailure || isAbort(error)) return error
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  if (typeof status === 'number') return error
  const code = (error as { code?: unknown } | null)?.code
  return networkFailure(typeof code === 'string' && code !== '' ? code : error instanceof Error ? error.message : String(error))
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/')

export function createHubClient(options: HubClientOptions): HubClient {
  const endpoint = options.endpoint.replace(/\/+$/, '')
  const origin = new URL(endpoint).origin
  const baseFetch = options.fetch ?? fetch

  /** @huggingface/hub insists tokens start with hf_; others still go out, added by our fetch. */
  const credentials = () => {
    const token = options.token()
    return token !== null && token.startsWith('hf_') ? { accessToken: token } : {}
  }

  /** A fetch for @huggingface/hub calls: our signal, our token for the hub's own origin only, the last error code kept. */
  function libraryFetch(signal: AbortSignal, seen: { errorCode: string | null }): typeof fetch {
    const wrapped = async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      const headers = new Headers(init?.headers)
      const token = options.token()
      if (url.origin !== origin) headers.delete('authorization')
      else if (token !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`)
      const response = await baseFetch(url, { ...init, headers, signal })
      seen.errorCode = response.ok ? null : response.headers.get('x-error-code')
      return response
    }
    return wrapped as typeof fetch
  }

  function libraryFailure(error: unknown, modelId: string, seen: { errorCode: string | null }): unknown {
    const failure = asFailure(error)
    const status = (failure as { statusCode?: unknown } | null)?.statusCode
    if (typeof status !== 'number') return failure
    if (status === 404 && seen.errorCode === 'RevisionNotFound') {
      return new DownloadFailure('revision-not-found', `${modelId} has no such revision on the hub. Check the branch, tag or commit.`)
    }
    // The hub answers an unknown repo with 401 RepoNotFound when no token is sent (a private one looks the same).
    if (status === 401 && seen.errorCode === 'RepoNotFound' && options.token() === null) {
      return new DownloadFailure('model-not-found', `The hub has no model ${modelId}, or it is private and needs a HuggingFace token (HF_TOKEN). Check the name.`)
    }
    return hubStatusFailure(status, modelId, options.token() !== null, null)
  }

  return {
    get hasToken() {
      return options.token() !== null
    },

    async resolveCommit(modelId, revision, signal) {
      const seen = { errorCode: null as string | null }
      try {
        const info = await modelInfo({
          name: modelId,
          revision,
          additionalFields: ['sha'],
          hubUrl: endpoint,
          fetch: libraryFetch(signal, seen),
          ...credentials(),
        })
        const sha = (info as { sha?: unknown }).sha
        if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
          throw new DownloadFailure('hub-error', `The hub did not name a commit for ${modelId}@${revision}.`, true)
        }
        return sha
      } catch (error) {
        throw libraryFailure(error, modelId, seen)
      }
    },

    async listFiles(modelId, commit, signal) {
      const seen = { errorCode: null as string | null }
      const out: HubFileEntry[] = []
      try {
        for await (const entry of listFiles({
          repo: { type: 'model', name: modelId },
          revision: commit,
          recursive: true,
          hubUrl: endpoint,
          fetch: libraryFetch(signal, seen),
          ...credentials(),
        })) {
          if (entry.type !== 'file') continue
          out.push({
            path: entry.path,
            size: entry.size,
            oid: entry.oid ?? '',
            lfs: entry.lfs === undefined ? null : { oid: entry.lfs.oid, size: entry.lfs.size },
          })
        }
      } catch (error) {
        throw libraryFailure(error, modelId, seen)
      }
      return out
    },

    async openFile(modelId, commit, path, offset, signal) {
      let url = new URL(`${endpoint}/${modelId}/resolve/${commit}/${encodePath(path)}`)
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        const headers: Record<string, string> = { 'accept-encoding': 'identity' }
        if (offset > 0) headers.range = `bytes=${offset}-`
        const token = options.token()
        // The token is for the hub only: a CDN on another host never sees it.
        if (token !== null && url.origin === origin) headers.authorization = `Bearer ${token}`
        let response: Response
        try {
          response = await baseFetch(url, { headers, redirect: 'manual', signal })
        } catch (error) {
          throw asFailure(error)
        }
        if (REDIRECTS.has(response.status)) {
          const location = response.headers.get('location')
          await response.body?.cancel().catch(() => undefined)
          if (location === null) throw new DownloadFailure('hub-error', `The hub redirected ${path} without saying where.`, true)
          url = new URL(location, url)
          continue
        }
        if (response.status === 416) {
          await response.body?.cancel().catch(() => undefined)
          return { status: 416 }
        }
        if (response.status === 200 || response.status === 206) {
          if (response.body === null) throw networkFailure('empty body')
          let start = 0
          if (response.status === 206) {
            const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(response.headers.get('content-range') ?? '')
            if (match?.[1] === undefined) {
              await response.body.cancel().catch(() => undefined)
              throw new DownloadFailure('hub-error', `The hub sent part of ${path} without saying which part.`, true)
            }
            start = Number(match[1])
          }
          return { status: response.status, start, body: response.body }
        }
        await response.body?.cancel().catch(() => undefined)
        throw hubStatusFailure(response.status, modelId, token !== null, response.headers.get('retry-after'))
      }
      throw new DownloadFailure('hub-error', `The hub redirected ${path} more than ${MAX_REDIRECTS} times.`, true)
    },
  }
}
