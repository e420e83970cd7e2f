import { vi } from 'vitest'
import type { Download } from '../../shared/downloads'
import type { ApiKey } from '../../shared/keys'
import type { LocalModel } from '../../shared/local-models'
import { PROFILE_DEFAULTS, type EngineInfo, type Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import type { PublicUser } from '../../shared/users'

/** A response with the server's JSON shape. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** The error envelope every endpoint answers with. */
export function failure(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json({ error: { code, message } }, status, headers)
}

export interface Call {
  method: string
  path: string
  body: unknown
}

type Handler = (call: Call) => Response | Promise<Response>

/**
 * Replaces fetch with a tiny in-memory manager: routes are `"METHOD /path"` keys. Unknown routes
 * answer 404 with the envelope; `offline()` makes every call fail the way a dead network does.
 */
export function fakeServer(routes: Record<string, Handler> = {}) {
  const table = new Map(Object.entries(routes))
  const calls: Call[] = []
  let unreachable = false
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    await Promise.resolve()
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    const method = (init?.method ?? 'GET').toUpperCase()
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    const call = { method, path: url.pathname, body }
    calls.push(call)
    if (unreachable) throw new TypeError('Failed to fetch')
    const handler = table.get(`${method} ${url.pathname}`)
    return handler === undefined ? failure(404, 'not-found', 'There is nothing at this address.') : handler(call)
  })
  vi.stubGlobal('fetch', fetch)
  return {
    calls,
    fetch,
    on(route: string, handler: Handler) {
      table.set(route, handler)
    },
    offline() {
      unreachable = true
    },
    online() {
      unreachable = false
    },
    /** Calls other than the ones listed, e.g. to check that nothing was sent. */
    callsTo(route: string): Call[] {
      return calls.filter((call) => `${call.method} ${call.path}` === route)
    },
  }
}

let nextId = 1

export function makeUser(overrides: Partial<PublicUser> = {}): PublicUser {
  const id = overrides.id ?? nextId++
  return {
    id,
    email: `user${id}@example.com`,
    isAdmin: false,
    status: 'approved',
    createdAt: `2026-01-0${Math.min(9, id)}T10:00:00.000Z`,
    ...overrides,
  }
}

/** An API key as `GET /api/keys` lists it; by default user 1's (me@example.com), for every model, never used. */
export function makeApiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 1,
    userId: 1,
    ownerEmail: 'me@example.com',
    name: 'editor',
    prefix: 'mlxm_0123456789ab',
    profiles: null,
    dailyTokenLimit: null,
    createdAt: '2026-03-01T10:00:00.000Z',
    expiresAt: null,
    lastUsedAt: null,
    ...overrides,
  }
}

/** An engine as `GET /api/engines` lists it: not installed, serving text models, no parsers, unless told. */
export function makeEngineInfo(name: EngineInfo['name'], overrides: Partial<EngineInfo> = {}): EngineInfo {
  return {
    name,
    title: name,
    installed: false,
    path: null,
    version: null,
    installCommand: `pip install ${name}`,
    installHint: null,
    modelTypes: ['lm'],
    toolCallParsers: [],
    reasoningParsers: [],
    fields: [],
    reasoningField: null,
    ...overrides,
  }
}

/** A stand-in for the browser's EventSource that tests drive by hand. */
export class FakeEventSource extends EventTarget {
  static instances: FakeEventSource[] = []
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSED = 2

  readonly url: string
  readonly withCredentials: boolean
  readyState = FakeEventSource.CONNECTING

  constructor(url: string | URL, init?: EventSourceInit) {
    super()
    this.url = String(url)
    this.withCredentials = init?.withCredentials ?? false
    FakeEventSource.instances.push(this)
  }

  static latest(): FakeEventSource {
    const source = FakeEventSource.instances.at(-1)
    if (source === undefined) throw new Error('No EventSource was opened.')
    return source
  }

  open(): void {
    this.readyState = FakeEventSource.OPEN
    this.dispatchEvent(new Event('open'))
  }

  /** A named SSE event, as the manager sends it. */
  emit(type: string, data: unknown): void {
    this.dispatchEvent(new MessageEvent(type, { data: typeof data === 'string' ? data : JSON.stringify(data) }))
  }

  /** The connection dropped; the browser will retry by itself. */
  drop(): void {
    this.readyState = FakeEventSource.CONNECTING
    this.dispatchEvent(new Event('error'))
  }

  /** The manager refused the stream (401/403); the browser gives up. */
  refuse(): void {
    this.readyState = FakeEventSource.CLOSED
    this.dispatchEvent(new Event('error'))
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED
  }
}

export function useFakeEventSource(): void {
  vi.stubGlobal('EventSource', FakeEventSource)
}

/** A saved profile as the manager returns it. */
export function makeProfile(overrides: Partial<Profile> = {}): Profile {
  return {
    ...PROFILE_DEFAULTS,
    extraArgs: [],
    id: 1,
    name: 'Qwen3 4B',
    model: 'mlx-community/Qwen3-4B-4bit',
    port: 8000,
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:00.000Z',
    ...overrides,
  }
}

/** A server as `GET /api/servers` lists it: stopped on loopback unless the test says otherwise. */
export function makeServerStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    profileId: 1,
    name: 'Qwen3 4B',
    engine: 'mlx-openai-server',
    state: 'stopped',
    pid: null,
    host: '127.0.0.1',
    port: 8000,
    baseUrl: 'http://127.0.0.1:8000/v1',
    startedAt: null,
    readyAt: null,
    stoppedAt: null,
    exitCode: null,
    signal: null,
    failure: null,
    cpuPercent: null,
    rssBytes: null,
    command: null,
    adopted: false,
    restarts: 0,
    nextRestartAt: null,
    idleStopsAt: null,
    needsRestart: false,
    ...overrides,
  }
}

/** A model in the local library: a complete 4-bit Qwen3 unless the test says otherwise. */
export function makeLocalModel(overrides: Partial<LocalModel> = {}): LocalModel {
  return {
    id: 'mlx-community/Qwen3-4B-4bit',
    state: 'complete',
    revision: 'b'.repeat(40),
    revisions: ['b'.repeat(40)],
    sizeOnDiskBytes: 2.5 * 1024 ** 3,
    weightsBytes: 2.4 * 1024 ** 3,
    fileCount: 9,
    lastUsedAt: null,
    lastServedAt: null,
    modifiedAt: '2026-01-01T10:00:00.000Z',
    architecture: 'Qwen3ForCausalLM',
    modelType: 'qwen3',
    quantization: { bits: 4, groupSize: 64 },
    capabilities: ['tools', 'reasoning'],
    layers: 36,
    kvHeads: 8,
    headDim: 128,
    contextLength: 40960,
    downloadId: null,
    ...overrides,
  }
}

/** A download on its way: 1 of 4 MB of a 4-bit Qwen3 unless the test says otherwise. */
export function makeDownload(overrides: Partial<Download> = {}): Download {
  return {
    id: 1,
    modelId: 'mlx-community/Qwen3-4B-4bit',
    revision: 'main',
    commit: 'a'.repeat(40),
    status: 'downloading',
    bytesDone: 1024 * 1024,
    bytesTotal: 4 * 1024 * 1024,
    filesDone: 1,
    filesTotal: 3,
    speedBps: 512 * 1024,
    etaSeconds: 6,
    error: null,
    files: [
      { path: 'config.json', sizeBytes: 1000, bytesDone: 1000, status: 'done', speedBps: 0 },
      { path: 'model.safetensors', sizeBytes: 4 * 1024 * 1024 - 1000, bytesDone: 1024 * 1024 - 1000, status: 'downloading', speedBps: 512 * 1024 },
    ],
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:01.000Z',
    completedAt: null,
    ...overrides,
  }
}
