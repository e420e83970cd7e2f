import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { ErrorEnvelope } from '../../shared/errors'
import { freePort } from '../fixtures/hub/ports'
import { catalogTestApp } from '../fixtures/hub/with-app'

/** Every way the catalog can fail answers with the envelope, a fitting status and a sentence to act on. */

type TestCatalog = Awaited<ReturnType<typeof catalogTestApp>>

let catalog: TestCatalog
beforeAll(async () => {
  catalog = await catalogTestApp()
})
afterAll(() => catalog.stop())

async function failure(path: string, target: TestCatalog = catalog) {
  const response = await target.get<ErrorEnvelope>(path)
  return { status: response.status, code: response.body.error.code, message: response.body.error.message, headers: response.headers }
}

describe('the hub failing', () => {
  test('429 becomes hub-rate-limited with the hub\'s Retry-After, and is not cached', async () => {
    catalog.hub.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 17, match: '/api/models?' }])
    const limited = await failure('/api/catalog/search?q=mistral')
    expect(limited).toMatchObject({ status: 429, code: 'hub-rate-limited' })
    expect(limited.message).toContain('try again in 17 s')
    expect(limited.headers.get('retry-after')).toBe('17')
    catalog.hub.setFaults([])
    expect((await catalog.get('/api/catalog/search?q=mistral')).status).toBe(200)
  })

  test('a rate limit while reading a result\'s files fails the search instead of filling it with guesses', async () => {
    catalog.hub.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 5, match: '/resolve/' }])
    try {
      expect(await failure('/api/catalog/search?q=phi')).toMatchObject({ status: 429, code: 'hub-rate-limited' })
    } finally {
      catalog.hub.setFaults([])
    }
  })

  test('an outage (5xx) becomes hub-unreachable naming HF_ENDPOINT', async () => {
    catalog.hub.setFaults([{ kind: 'outage', status: 503 }])
    try {
      const down = await failure('/api/catalog/search?q=llama')
      expect(down).toMatchObject({ status: 502, code: 'hub-unreachable' })
      expect(down.message).toContain('HF_ENDPOINT')
      expect(down.message).toContain(catalog.hub.url)
      expect(await failure('/api/catalog/models/mlx-community/Qwen3-8B-4bit')).toMatchObject({ status: 502, code: 'hub-unreachable' })
    } finally {
      catalog.hub.setFaults([])
    }
  })

  test('nothing listening at HF_ENDPOINT becomes hub-unreachable', async () => {
    const port = await freePort()
    const nowhere = await catalogTestApp({ env: { HF_ENDPOINT: `http://127.0.0.1:${port}` } })
    try {
      const down = await failure('/api/catalog/search', nowhere)
      expect(down).toMatchObject({ status: 502, code: 'hub-unreachable' })
      expect(down.message).toContain(`http://127.0.0.1:${port} (HF_ENDPOINT)`)
    } finally {
      await nowhere.stop()
    }
  })

  test('malformed JSON, or JSON of the wrong shape, becomes hub-bad-response', async () => {
    catalog.hub.setFaults([{ kind: 'malformed', match: '/api/models?' }])
    try {
      expect(await failure('/api/catalog/search?q=gemma-2')).toMatchObject({ status: 502, code: 'hub-bad-response' })
      catalog.hub.setFaults([{ kind: 'malformed', match: '/api/models?', body: '{"models": "not a list"}' }])
      expect(await failure('/api/catalog/search?q=gemma-2')).toMatchObject({ status: 502, code: 'hub-bad-response' })
      catalog.hub.setFaults([{ kind: 'malformed', match: '/api/models?', body: '[{"id": 42, "tags": "mlx"}]' }])
      expect(await failure('/api/catalog/search?q=gemma-2')).toMatchObject({ status: 502, code: 'hub-bad-response' })
      catalog.hub.setFaults([{ kind: 'malformed', match: '/revision/' }])
      expect(await failure('/api/catalog/models/mlx-community/gemma-2-9b-it-4bit')).toMatchObject({ status: 502, code: 'hub-bad-response' })
      catalog.hub.setFaults([{ kind: 'malformed', match: '/tree/', body: '[{"type": "file", "path": "model.safetensors"}]' }])
      expect(await failure('/api/catalog/models/mlx-community/gemma-2-2b-it-4bit')).toMatchObject({ status: 502, code: 'hub-bad-response' })
    } finally {
      catalog.hub.setFaults([])
    }
  })

  test('a cursor the hub refuses becomes hub-rejected-query', async () => {
    const refused = await failure('/api/catalog/search?cursor=bm90LWEtY3Vyc29y')
    expect(refused).toMatchObject({ status: 400, code: 'hub-rejected-query' })
    expect(refused.message).toContain('first page')
  })
})

describe('models the hub will not show', () => {
  test('an unknown model is model-not-found', async () => {
    const missing = await failure('/api/catalog/models/mlx-community/Nonexistent-7B-4bit')
    expect(missing).toMatchObject({ status: 404, code: 'model-not-found' })
    expect(missing.message).toContain('mlx-community/Nonexistent-7B-4bit')
  })

  test('a gated model without a token is model-gated, telling to set HF_TOKEN', async () => {
    const gated = await failure('/api/catalog/models/mlx-community/Meta-Llama-3.1-8B-Instruct-4bit')
    expect(gated).toMatchObject({ status: 403, code: 'model-gated' })
    expect(gated.message).toContain('HF_TOKEN')
    expect(gated.message).toContain(`${catalog.hub.url}/mlx-community/Meta-Llama-3.1-8B-Instruct-4bit`)
  })

  test('a token the hub refuses is hub-token-rejected, naming where tokens are set', async () => {
    const wrong = await catalogTestApp({ env: { HF_TOKEN: 'hf_not_a_real_token' } })
    try {
      const refused = await failure('/api/catalog/search', wrong)
      expect(refused).toMatchObject({ status: 403, code: 'hub-token-rejected' })
      expect(refused.message).toContain('Settings')
      expect(refused.message).toContain('HF_TOKEN')
    } finally {
      await wrong.stop()
    }
  })
})

describe('bad input', () => {
  test.each([
    ['sort=popular', 'sort'],
    ['bits=7', 'bits'],
    ['bits=4,', 'bits'],
    ['capability=flying', 'capability'],
    ['arch=llama,transformer', 'arch'],
    ['minSize=-1', 'minSize'],
    ['maxSize=lots', 'maxSize'],
    ['minSize=1.5', 'minSize'],
    ['context=10', 'context'],
    ['context=99999999', 'context'],
    ['fits=maybe', 'fits'],
    ['author=-bad', 'author'],
    ['cursor=%3Cscript%3E', 'cursor'],
    [`q=${'x'.repeat(201)}`, 'q'],
  ])('%s is a 400 naming the parameter', async (query, name) => {
    const bad = await failure(`/api/catalog/search?${query}`)
    expect(bad.status).toBe(400)
    expect(bad.code).toBe('invalid-input')
    expect(bad.message).toContain(name)
  })

  test('minSize above maxSize is invalid-size-range', async () => {
    expect(await failure('/api/catalog/search?minSize=10&maxSize=5')).toMatchObject({ status: 400, code: 'invalid-size-range' })
  })

  test.each(['-org/name', 'org/na%20me', 'org/name%2Fextra', 'o/' + 'n'.repeat(97)])('model id %s is invalid-model-id, never a hub request', async (id) => {
    catalog.hub.clearRequests()
    const bad = await failure(`/api/catalog/models/${id}`)
    expect(bad).toMatchObject({ status: 400, code: 'invalid-model-id' })
    expect(catalog.hub.requests).toEqual([])
  })

  test('a dot-dot segment never reaches the hub either (the URL resolves it away first)', async () => {
    catalog.hub.clearRequests()
    expect((await failure('/api/catalog/models/org/..')).status).toBe(404)
    expect(catalog.hub.requests).toEqual([])
  })

  test('a bad context on the model page is a 400', async () => {
    expect(await failure('/api/catalog/models/mlx-community/Qwen3-8B-4bit?context=abc')).toMatchObject({ status: 400, code: 'invalid-input' })
  })
})
