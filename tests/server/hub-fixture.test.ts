import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { downloadFile, listFiles, listModels, modelInfo } from '@huggingface/hub'
import { DEFAULT_REPOS } from '../fixtures/hub/repos'
import { FIXTURE_TOKEN, startHubFixture, type HubFixture } from '../fixtures/hub/server'

/** The local hub speaks the real hub's protocol: checked with raw HTTP and with @huggingface/hub itself. */

const MLX_COUNT = DEFAULT_REPOS.filter((repo) => repo.libraryName === 'mlx' || repo.tags.includes('mlx')).length
const LLAMA = 'mlx-community/Llama-3.2-3B-Instruct-4bit'
const GATED = 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit'

let hub: HubFixture
beforeAll(() => {
  hub = startHubFixture({ repos: DEFAULT_REPOS, treePageSize: 4 })
})
afterAll(() => hub.stop())

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

describe('GET /api/models', () => {
  test('pages with a Link header whose cursor walks every MLX repo once', async () => {
    const seen: string[] = []
    let url: string | null = `${hub.url}/api/models?filter=mlx&sort=downloads&limit=10`
    let pages = 0
    while (url !== null) {
      const response: Response = await fetch(url)
      expect(response.status).toBe(200)
      const body = (await response.json()) as { id: string; downloads: number }[]
      seen.push(...body.map((m) => m.id))
      const link = response.headers.get('link')
      if (link !== null) expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/models\?.*cursor=[^>]+>; rel="next"$/)
      url = link === null ? null : (/<([^>]+)>/.exec(link)?.[1] ?? null)
      pages += 1
    }
    expect(pages).toBe(Math.ceil(MLX_COUNT / 10))
    expect(new Set(seen).size).toBe(MLX_COUNT)
    expect(seen).not.toContain('Qwen/Qwen3-8B')
  })

  test('sorts descending by default and ascending with direction=1', async () => {
    const desc = (await (await fetch(`${hub.url}/api/models?filter=mlx&sort=likes&limit=5`)).json()) as { likes: number }[]
    expect(desc.map((m) => m.likes)).toEqual([...desc.map((m) => m.likes)].sort((a, b) => b - a))
    const asc = (await (await fetch(`${hub.url}/api/models?filter=mlx&sort=likes&direction=1&limit=5`)).json()) as { likes: number }[]
    expect(asc.map((m) => m.likes)).toEqual([...asc.map((m) => m.likes)].sort((a, b) => a - b))
  })

  test('search, author, and expand[] select repos and fields', async () => {
    const response = await fetch(`${hub.url}/api/models?search=qwen3%208b&author=mlx-community&expand[]=sha&expand[]=config`)
    const body = (await response.json()) as Record<string, unknown>[]
    expect(body.map((m) => m.id)).toContain('mlx-community/Qwen3-8B-4bit')
    for (const model of body) {
      expect(Object.keys(model).sort()).toEqual(['_id', 'config', 'id', 'sha'])
      expect(String(model.id).toLowerCase()).toContain('qwen3')
    }
    const bad = await fetch(`${hub.url}/api/models?expand=nonsense`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toContain('expand[0]')
  })

  test('@huggingface/hub lists through it, with the repo id as name', async () => {
    const names: string[] = []
    for await (const model of listModels({ search: { owner: 'lmstudio-community', tags: ['mlx'] }, hubUrl: hub.url, additionalFields: ['sha'] })) {
      names.push(model.name)
      expect(model.sha).toMatch(/^[0-9a-f]{40}$/)
    }
    expect(names.sort()).toEqual(['lmstudio-community/Qwen3-30B-A3B-MLX-4bit', 'lmstudio-community/Qwen3-4B-MLX-8bit', 'lmstudio-community/gemma-3-4b-it-MLX-4bit'])
  })
})

describe('model info', () => {
  test('has the fields the catalog reads, at HEAD, main and the commit', async () => {
    const info = (await (await fetch(`${hub.url}/api/models/${LLAMA}`)).json()) as Record<string, unknown>
    for (const field of ['sha', 'tags', 'pipeline_tag', 'cardData', 'gated', 'downloads', 'likes', 'lastModified', 'siblings', 'safetensors', 'config']) {
      expect(info).toHaveProperty(field)
    }
    expect(info.config).toMatchObject({ model_type: 'llama', tokenizer_config: { eos_token: '<|eot_id|>' } })
    const sha = String(info.sha)
    for (const revision of ['HEAD', 'main', sha, sha.slice(0, 7)]) {
      expect((await fetch(`${hub.url}/api/models/${LLAMA}/revision/${revision}`)).status).toBe(200)
    }
    const missingRevision = await fetch(`${hub.url}/api/models/${LLAMA}/revision/0000000`)
    expect(missingRevision.status).toBe(404)
    expect(missingRevision.headers.get('x-error-code')).toBe('RevisionNotFound')
    const viaClient = await modelInfo({ name: LLAMA, hubUrl: hub.url, additionalFields: ['safetensors'] })
    expect(viaClient.name).toBe(LLAMA)
    expect(viaClient.safetensors?.total).toBeGreaterThan(0)
  })

  test('an unknown repo is a 404 "Repository not found"', async () => {
    const response = await fetch(`${hub.url}/api/models/mlx-community/does-not-exist`)
    expect(response.status).toBe(404)
    expect(response.headers.get('x-error-code')).toBe('RepoNotFound')
    expect(await response.json()).toEqual({ error: 'Repository not found' })
  })
})

describe('tree', () => {
  test('lists sizes, git oids and LFS sha256 for weights, paginated with Link', async () => {
    const first = await fetch(`${hub.url}/api/models/${LLAMA}/tree/main`)
    expect(first.headers.get('link')).toContain('cursor=')
    const files = []
    for await (const entry of listFiles({ repo: LLAMA, hubUrl: hub.url })) files.push(entry)
    expect(files.length).toBe(8)
    const weights = files.find((f) => f.path === 'model.safetensors')
    expect(weights).toMatchObject({ type: 'file', size: 1_807_970_112, lfs: { size: 1_807_970_112 } })
    expect(weights?.oid).toMatch(/^[0-9a-f]{40}$/)
    expect(weights?.lfs?.oid).toMatch(/^[0-9a-f]{64}$/)
    expect(files.find((f) => f.path === 'config.json')?.lfs).toBeUndefined()
  })

  test('recursive lists folders and their files; a folder path lists inside it', async () => {
    const repo = 'mlx-community/gpt-oss-20b-MXFP4-Q8'
    const top = []
    for await (const entry of listFiles({ repo, hubUrl: hub.url })) top.push(entry.path)
    expect(top).toContain('original')
    expect(top).not.toContain('original/config.json')
    const all = []
    for await (const entry of listFiles({ repo, hubUrl: hub.url, recursive: true })) all.push(entry.path)
    expect(all).toContain('original/model.safetensors')
    const inside = (await (await fetch(`${hub.url}/api/models/${repo}/tree/main/original`)).json()) as { path: string }[]
    expect(inside.map((e) => e.path).sort()).toEqual(['original/config.json', 'original/dtypes.json', 'original/model.safetensors'])
  })
})

describe('resolve', () => {
  test('serves files with ETag, X-Repo-Commit, linked headers and byte ranges', async () => {
    const info = (await (await fetch(`${hub.url}/api/models/${LLAMA}`)).json()) as { sha: string }
    const url = `${hub.url}/${LLAMA}/resolve/main/model.safetensors`
    const whole = await fetch(url)
    const bytes = new Uint8Array(await whole.arrayBuffer())
    expect(whole.status).toBe(200)
    expect(whole.headers.get('etag')).toBe(`"${sha256(bytes)}"`)
    expect(whole.headers.get('x-linked-etag')).toBe(`"${sha256(bytes)}"`)
    expect(whole.headers.get('x-linked-size')).toBe(String(bytes.length))
    expect(whole.headers.get('x-repo-commit')).toBe(info.sha)
    expect(whole.headers.get('accept-ranges')).toBe('bytes')
    expect(whole.headers.get('content-type')).not.toContain('xet')
    // A real safetensors header: 8-byte little-endian length, then JSON.
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    expect(JSON.parse(new TextDecoder().decode(bytes.slice(8, 8 + headerLength)))).toHaveProperty('__metadata__')

    const part = await fetch(url, { headers: { range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`)
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(100, 200))
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } })
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.slice(-10))
    expect((await fetch(url, { headers: { range: `bytes=${bytes.length}-` } })).status).toBe(416)
    expect((await fetch(url, { headers: { 'if-none-match': `"${sha256(bytes)}"` } })).status).toBe(304)

    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(bytes.length))
  })

  test('a plain git file has its git blob oid as ETag and no linked headers', async () => {
    const response = await fetch(`${hub.url}/${LLAMA}/resolve/main/config.json`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
    expect(response.headers.get('etag')).toBe(`"${oid}"`)
    expect(response.headers.get('x-linked-etag')).toBeNull()
    expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({ model_type: 'llama', quantization: { bits: 4, group_size: 64 } })
  })

  test('@huggingface/hub downloads through it; a missing file is null', async () => {
    const blob = await downloadFile({ repo: LLAMA, path: 'config.json', hubUrl: hub.url })
    expect(JSON.parse((await blob?.text()) ?? '')).toHaveProperty('num_hidden_layers', 28)
    expect(await downloadFile({ repo: LLAMA, path: 'nope.json', hubUrl: hub.url })).toBeNull()
  })

  test('a gated repo is 401 without a valid token and opens with one; a wrong token is refused everywhere', async () => {
    const url = `${hub.url}/${GATED}/resolve/main/config.json`
    const anonymous = await fetch(url)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('x-error-code')).toBe('GatedRepo')
    expect(((await anonymous.json()) as { error: string }).error).toContain('restricted')
    expect((await fetch(url, { headers: { authorization: `Bearer ${FIXTURE_TOKEN}` } })).status).toBe(200)
    expect((await fetch(`${hub.url}/api/models?filter=mlx`, { headers: { authorization: 'Bearer hf_wrong' } })).status).toBe(401)
    // Metadata stays public, as on the real hub.
    expect((await fetch(`${hub.url}/api/models/${GATED}`)).status).toBe(200)
  })
})

describe('fault modes and size modes', () => {
  test('429 with Retry-After, outages, malformed JSON, each limited by match and times', async () => {
    const local = startHubFixture({
      repos: DEFAULT_REPOS,
      faults: [
        { kind: 'rate-limit', retryAfterSeconds: 42, match: '/api/models?', times: 1 },
        { kind: 'outage', status: 502, match: '/tree/', times: 1 },
        { kind: 'malformed', match: '/revision/', times: 1 },
      ],
    })
    try {
      const limited = await fetch(`${local.url}/api/models?filter=mlx`)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBe('42')
      expect((await fetch(`${local.url}/api/models?filter=mlx`)).status).toBe(200)
      expect((await fetch(`${local.url}/api/models/${LLAMA}/tree/main`)).status).toBe(502)
      const malformed = await fetch(`${local.url}/api/models/${LLAMA}/revision/main`)
      expect(malformed.status).toBe(200)
      const parsed = await malformed.json().then(
        () => 'parsed',
        () => 'refused',
      )
      expect(parsed).toBe('refused')
      local.setFaults([{ kind: 'outage' }])
      expect((await fetch(`${local.url}/${LLAMA}/resolve/main/config.json`)).status).toBe(503)
      expect(local.requests.map((r) => r.status)).toEqual([429, 200, 502, 200, 503])
    } finally {
      await local.stop()
    }
  })

  test('content mode: listed size, served bytes and LFS sha256 agree (what downloads check)', async () => {
    const local = startHubFixture({ repos: DEFAULT_REPOS, sizes: 'content', generatedBytes: 10_000 })
    try {
      const tree = (await (await fetch(`${local.url}/api/models/${LLAMA}/tree/main`)).json()) as { path: string; size: number; lfs?: { oid: string; size: number } }[]
      const entry = tree.find((e) => e.path === 'model.safetensors')
      const bytes = new Uint8Array(await (await fetch(`${local.url}/${LLAMA}/resolve/main/model.safetensors`)).arrayBuffer())
      expect(entry?.size).toBe(10_000)
      expect(entry?.lfs?.size).toBe(bytes.length)
      expect(entry?.lfs?.oid).toBe(sha256(bytes))
    } finally {
      await local.stop()
    }
  })
})
