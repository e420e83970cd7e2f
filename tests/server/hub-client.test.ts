import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { loadConfig } from '../../server/config'
import { fromHubFailure, DownloadFailure } from '../../server/features/downloads/failures'
import { createHubClient } from '../../server/hub/client'
import { HubFailure } from '../../server/hub/failure'
import type { Download } from '../../shared/downloads'
import type { ErrorEnvelope } from '../../shared/errors'
import { FAST } from '../fixtures/faults/harness'
import { DEFAULT_REPOS } from '../fixtures/hub/repos'
import { startHubFixture, type HubFixture } from '../fixtures/hub/server'
import { ADMIN, createTestApp, NO_SAVED_TOKEN, tempDir } from './helpers'

/**
 * The catalog and the downloads share one hub client: the same token (whatever its prefix, read
 * on every request so Settings can change it), and the same reading of a 429's Retry-After.
 */

const GATED = 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit'
const PLAIN = 'mlx-community/Llama-3.2-1B-Instruct-bf16'
/** Organisation and fine-grained tokens need not start with hf_; the hub takes them all the same. */
const ODD_TOKEN = 'org-token-7f3a9c2e1b5d'
const NEXT_TOKEN = 'hf_second_token_after_a_change'

const hubs: HubFixture[] = []
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.stop()
})

async function managerWithHub(token: string | null, downloads: Partial<typeof FAST> & { maxAttempts?: number } = {}) {
  const hub = startHubFixture({ repos: DEFAULT_REPOS, sizes: 'content', generatedBytes: 2048, tokens: [ODD_TOKEN, NEXT_TOKEN] })
  hubs.push(hub)
  const home = tempDir('mlx-manager-hub-client-')
  const config = loadConfig({
    MLX_MANAGER_HOME: home,
    HF_HUB_CACHE: join(home, 'hub'),
    MLX_MANAGER_WEB_DIST: join(home, 'dist'),
    HF_ENDPOINT: hub.url,
    ...NO_SAVED_TOKEN,
    ...(token === null ? {} : { HF_TOKEN: token }),
  })
  const app = createTestApp({ config, downloads: { ...FAST, ...downloads } })
  const admin = (await app.signUp(ADMIN)).token ?? ''
  const download = async (modelId: string) => {
    const started = await app.json<Download>('POST', '/api/downloads', { token: admin, body: { modelId } })
    expect(started.status).toBe(202)
    const deadline = Date.now() + 10_000
    for (;;) {
      const current = await app.downloads.get(started.body.id)
      if (current.status === 'completed' || current.status === 'failed' || current.status === 'cancelled') return current
      if (Date.now() > deadline) throw new Error(`download of ${modelId} did not settle: ${current.status}`)
      await Bun.sleep(5)
    }
  }
  const tokensSeen = (match: (path: string) => boolean) => [...new Set(hub.requests.filter((r) => match(r.path)).map((r) => r.authorization))]
  return { hub, app, admin, download, tokensSeen }
}

describe('one token for the catalog and the downloads', () => {
  test('a token that does not start with hf_ is sent by both, and a new one from Settings by both at once', async () => {
    const m = await managerWithHub(ODD_TOKEN)
    const page = await m.app.json('GET', `/api/catalog/models/${GATED}`, { token: m.admin })
    expect(page.status).toBe(200)
    const done = await m.download(GATED)
    expect(done.status).toBe('completed')
    const catalogPaths = (path: string) => path.startsWith('/api/models/')
    const filePaths = (path: string) => path.includes('/resolve/')
    expect(m.hub.requests.some((r) => catalogPaths(r.path))).toBe(true)
    expect(m.hub.requests.some((r) => filePaths(r.path))).toBe(true)
    expect(m.tokensSeen(() => true)).toEqual([`Bearer ${ODD_TOKEN}`])

    const changed = await m.app.json('PUT', '/api/settings/hf-token', { token: m.admin, body: { token: NEXT_TOKEN } })
    expect(changed.status).toBe(200)
    m.hub.clearRequests()
    expect((await m.app.json('GET', `/api/catalog/models/${PLAIN}`, { token: m.admin })).status).toBe(200)
    expect((await m.download(PLAIN)).status).toBe('completed')
    expect(m.hub.requests.some((r) => filePaths(r.path))).toBe(true)
    expect(m.tokensSeen(() => true)).toEqual([`Bearer ${NEXT_TOKEN}`])
  })

  test('with the token removed in Settings (and none in the environment) neither sends one, nor is a gated page kept from before', async () => {
    const m = await managerWithHub(null)
    await m.app.json('PUT', '/api/settings/hf-token', { token: m.admin, body: { token: ODD_TOKEN } })
    expect((await m.app.json('GET', `/api/catalog/models/${GATED}`, { token: m.admin })).status).toBe(200)
    expect((await m.app.json('DELETE', '/api/settings/hf-token', { token: m.admin })).status).toBe(200)
    m.hub.clearRequests()
    const gated = await m.app.json<ErrorEnvelope>('GET', `/api/catalog/models/${GATED}`, { token: m.admin })
    expect(gated.status).toBe(403)
    expect(gated.body.error.code).toBe('model-gated')
    expect(gated.body.error.message).toContain('Settings')
    const failed = await m.download(GATED)
    expect(failed.error?.code).toBe('hf-token-required')
    expect(m.tokensSeen(() => true)).toEqual([null])
  })
})

describe('a 429 read the same way by both', () => {
  test('the catalog answers 429 with the hub\'s Retry-After, and a download waits that long (here: gives up saying so)', async () => {
    const m = await managerWithHub(null, { maxAttempts: 1 })
    m.hub.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 23 }])
    const limited = await m.app.json<ErrorEnvelope>('GET', '/api/catalog/search?q=qwen', { token: m.admin })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('23')
    expect(limited.body.error.message).toContain('23 s')

    // Only the files are limited, so the download is queued and then meets the limit.
    m.hub.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 23, match: '/resolve/' }])
    const failed = await m.download(PLAIN)
    expect(failed.status).toBe('failed')
    expect(failed.error?.code).toBe('hub-error')
    expect(failed.error?.message).toContain('23 s')
  })

  test('the failure a download retries on carries the hub\'s wait, from Retry-After or the RateLimit header', async () => {
    const answers = [
      new Response('{"error":"slow down"}', { status: 429, headers: { 'retry-after': '41' } }),
      new Response('{"error":"slow down"}', { status: 429, headers: { ratelimit: '"api";r=0;t=9' } }),
    ]
    const hub = createHubClient({ endpoint: 'http://hub.test', token: () => null, fetch: () => Promise.resolve(answers.shift() ?? new Response(null, { status: 500 })) })
    for (const seconds of [41, 9]) {
      const error = await hub.openFile('o/n', 'main', 'config.json', 0, new AbortController().signal).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(HubFailure)
      const failure = fromHubFailure(error, 'o/n')
      expect(failure).toBeInstanceOf(DownloadFailure)
      expect(failure).toMatchObject({ retryable: true, retryAfterSeconds: seconds })
    }
  })
})

describe('the shared client', () => {
  test('asks for the token on every request, sends it to the hub only, and follows redirects itself', async () => {
    const seen: { url: string; authorization: string | null }[] = []
    let token: string | null = 'first-token'
    const fetch = (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      seen.push({ url, authorization: new Headers(init?.headers).get('authorization') })
      expect(init?.redirect).toBe('manual')
      if (url.includes('/resolve/')) return Promise.resolve(new Response(null, { status: 302, headers: { location: 'http://cdn.test/blob' } }))
      return Promise.resolve(new Response('data', { status: 200 }))
    }
    const hub = createHubClient({ endpoint: 'http://hub.test/', token: () => token, fetch })
    expect(hub.hasToken).toBe(true)
    const file = await hub.openFile('o/n', 'main', 'model.safetensors', 0, new AbortController().signal)
    expect(file.status).toBe(200)
    token = null
    expect(hub.hasToken).toBe(false)
    await hub.openFile('o/n', 'main', 'model.safetensors', 0, new AbortController().signal)
    expect(seen).toEqual([
      { url: 'http://hub.test/o/n/resolve/main/model.safetensors', authorization: 'Bearer first-token' },
      { url: 'http://cdn.test/blob', authorization: null },
      { url: 'http://hub.test/o/n/resolve/main/model.safetensors', authorization: null },
      { url: 'http://cdn.test/blob', authorization: null },
    ])
  })

  test.each([
    [401, null, false, 'token-required'],
    [401, null, true, 'token-rejected'],
    [403, 'GatedRepo', true, 'gated'],
    [404, 'RepoNotFound', false, 'not-found'],
    [401, 'RepoNotFound', false, 'not-found'],
    [404, 'RevisionNotFound', false, 'revision-not-found'],
    [503, null, false, 'server-error'],
    [400, null, false, 'rejected'],
  ] as const)('HTTP %i with X-Error-Code %p (token sent: %p) is %s', async (status, code, withToken, kind) => {
    const headers: Record<string, string> = code === null ? {} : { 'x-error-code': code }
    const hub = createHubClient({ endpoint: 'http://hub.test', token: () => (withToken ? 'tok' : null), fetch: () => Promise.resolve(new Response('{}', { status, headers })) })
    const error = await hub.modelInfo('o/n').catch((e: unknown) => e)
    expect(error).toMatchObject({ kind, status, tokenSent: withToken })
  })
})
