import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, type AppDeps } from '../../server/app'
import { loadConfig } from '../../server/config'
import { openDatabase } from '../../server/db/database'
import type { PasswordHasher } from '../../server/features/auth/passwords'
import type { PublicUser } from '../../shared/users'

/** Argon2id is slow on purpose; route tests only need hashing to be a one-way function of the password. */
export const fastHasher: PasswordHasher = {
  hash: (password) => Promise.resolve(`test:${Bun.hash(password).toString(16)}:${password.length}`),
  verify: (password, hash) => Promise.resolve(hash === `test:${Bun.hash(password).toString(16)}:${password.length}`),
}

export const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' }

export interface CallOptions {
  body?: unknown
  rawBody?: string
  token?: string
  cookie?: string
  headers?: Record<string, string>
  signal?: AbortSignal
}

/** Tests never use the token a developer signed in with (`hf auth login`): they name a token file that is not there. */
export const NO_SAVED_TOKEN = { HF_TOKEN_PATH: join(tmpdir(), 'mlx-manager-tests-no-hf-token') }

export function tempDir(prefix = 'mlx-manager-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** An app on an in-memory database with its own data dir, and helpers to call it in-process. */
export function createTestApp(overrides: Partial<AppDeps> = {}) {
  const home = tempDir()
  const config = loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), ...NO_SAVED_TOKEN })
  const db = openDatabase(':memory:')
  const created = createApp({
    config,
    db,
    secret: 'test-secret-that-is-long-enough-for-hs256-signing',
    hasher: fastHasher,
    readMemory: () => ({ totalBytes: 32 * 2 ** 30, usedBytes: 12 * 2 ** 30 }),
    logger: { error: () => undefined },
    ...overrides,
  })

  async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers }
    let body: string | undefined
    if (options.rawBody !== undefined) body = options.rawBody
    else if (options.body !== undefined) body = JSON.stringify(options.body)
    if (body !== undefined) {
      headers['content-type'] ??= 'application/json'
      // A real socket always carries the length; in-process requests must say it themselves.
      headers['content-length'] = String(Buffer.byteLength(body))
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    if (options.cookie !== undefined) headers.cookie = options.cookie
    return created.app.handle(new Request(`http://localhost${path}`, { method, headers, body, signal: options.signal }))
  }

  async function json<T = unknown>(method: string, path: string, options: CallOptions = {}) {
    const response = await call(method, path, options)
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: (text === '' ? null : JSON.parse(text)) as T }
  }

  /** Registers and, when the account is approved, signs in; returns the bearer token. */
  async function signUp(credentials: { email: string; password: string }): Promise<{ user: PublicUser; token: string | null }> {
    const registered = await json<PublicUser>('POST', '/api/auth/register', { body: credentials })
    if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`)
    if (registered.body.status !== 'approved') return { user: registered.body, token: null }
    return { user: registered.body, token: await signIn(credentials) }
  }

  async function signIn(credentials: { email: string; password: string }): Promise<string> {
    const response = await json<{ token: string }>('POST', '/api/auth/login', { body: credentials })
    if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`)
    return response.body.token
  }

  /** An admin plus one pending user, the usual starting point for admin tests. */
  async function withAdminAndPending() {
    const admin = await signUp(ADMIN)
    const pending = await signUp({ email: 'pat@example.com', password: 'pending-password' })
    return { adminToken: admin.token ?? '', admin: admin.user, pending: pending.user }
  }

  return { ...created, config, db, home, call, json, signUp, signIn, withAdminAndPending }
}

export type TestApp = ReturnType<typeof createTestApp>

/** In-process responses may stream strings; sockets stream bytes. */
export function chunkText(value: unknown, decoder = new TextDecoder()): string {
  return typeof value === 'string' ? value : decoder.decode(value as Uint8Array, { stream: true })
}

export interface SseEvent {
  event: string
  data: unknown
}

/** Reads named SSE events (skipping pings) from a streaming response, a few at a time. */
export function sseReader(response: Response) {
  const reader = response.body?.getReader()
  if (reader === undefined) throw new Error('The response has no body to stream.')
  const decoder = new TextDecoder()
  let buffer = ''
  let ended = false
  const ready: SseEvent[] = []

  function takeFrames(): void {
    let end
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: ?(.*)$/m.exec(frame)?.[1] ?? 'message'
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.replace(/^data: ?/, ''))
        .join('\n')
      if (event !== 'ping') ready.push({ event, data: data === '' ? null : JSON.parse(data) })
    }
  }

  /** Reads one more chunk; false when the deadline passed first. */
  async function pump(deadline: number): Promise<boolean> {
    const remaining = deadline - Date.now()
    if (remaining <= 0) return false
    let timer: ReturnType<typeof setTimeout> | undefined
    const chunk = await Promise.race([
      reader!.read(),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), remaining))),
    ])
    clearTimeout(timer)
    if (chunk === null) return false
    if (chunk.done) ended = true
    else buffer += chunkText(chunk.value, decoder)
    takeFrames()
    return true
  }

  return {
    /** The next `count` events; fails after `timeoutMs` or when the stream ends first. */
    async next(count: number, timeoutMs = 3000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs
      while (ready.length < count && !ended && (await pump(deadline)));
      if (ready.length < count) throw new Error(`Expected ${count} events, got ${JSON.stringify(ready)}${ended ? ' before the stream ended' : ''}`)
      return ready.splice(0, count)
    },
    /** Everything until the server ends the stream. */
    async rest(timeoutMs = 3000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs
      while (!ended && (await pump(deadline)));
      if (!ended) throw new Error(`The stream did not end; so far ${JSON.stringify(ready)}`)
      return ready.splice(0)
    },
    get ended() {
      return ended
    },
  }
}
