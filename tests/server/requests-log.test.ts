import { describe, expect, test } from 'bun:test'
import { REQUEST_CSV_COLUMNS, type RequestLogPage, type RequestLogRow } from '../../shared/observability'
import { observedApp, request, type ObservedApp } from './usage-helpers'

const NOW = '2026-03-01T12:00:00.000Z'

/** 250 requests, one a second from 10:00:00, alternating admin (chat) and member (key); every 10th failed. */
function record250(o: ObservedApp) {
  for (let i = 0; i < 250; i++) {
    const member = i % 2 === 1
    o.app.metrics.record(
      request({
        profileId: i < 200 ? o.alpha.id : o.beta.id,
        startedAt: new Date(Date.parse('2026-03-01T10:00:00.000Z') + i * 1000).toISOString(),
        userId: member ? o.member.user.id : o.admin.id,
        keyId: member ? o.memberKey.id : null,
        endpoint: member ? 'chat/completions' : 'chat',
        status: i % 10 === 9 ? 429 : 200,
        errorCode: i % 10 === 9 ? 'daily-token-limit' : null,
        errorMessage: i % 10 === 9 ? 'Over the limit.' : null,
        completionTokens: i,
      }),
    )
  }
}

async function allPages(o: ObservedApp, token: string, query: string): Promise<RequestLogRow[]> {
  const rows: RequestLogRow[] = []
  let cursor: string | null = null
  do {
    const response: { status: number; body: RequestLogPage } = await o.app.json<RequestLogPage>('GET', `/api/requests?${query}${cursor === null ? '' : `&cursor=${cursor}`}`, { token })
    expect(response.status).toBe(200)
    rows.push(...response.body.rows)
    cursor = response.body.nextCursor
  } while (cursor !== null)
  return rows
}

describe('GET /api/requests', () => {
  test('pages newest first without gaps or repeats; names of profile, user and key; no prompt or answer text', async () => {
    const o = await observedApp(NOW)
    record250(o)
    const first = await o.app.json<RequestLogPage>('GET', '/api/requests?limit=3', { token: o.adminToken })
    expect(first.body.rows.map((row) => row.completionTokens)).toEqual([249, 248, 247])
    expect(first.body.rows[0]).toEqual({
      id: 250,
      startedAt: '2026-03-01T10:04:09.000Z',
      profileId: o.beta.id,
      profileName: 'Beta',
      model: 'mlx-community/test',
      userId: o.member.user.id,
      userEmail: 'member@example.com',
      keyId: o.memberKey.id,
      keyName: 'laptop',
      endpoint: 'chat/completions',
      status: 429,
      timeToFirstTokenMs: 100,
      promptTokens: 10,
      cachedTokens: null,
      completionTokens: 249,
      tokensPerSecond: 50,
      totalMs: 500,
      errorCode: 'daily-token-limit',
      errorMessage: 'Over the limit.',
    })
    const rows = await allPages(o, o.adminToken, 'limit=37')
    expect(rows.map((row) => row.completionTokens)).toEqual(Array.from({ length: 250 }, (_, i) => 249 - i))
    // A page is the default 100 rows; 500 at most.
    expect((await o.app.json<RequestLogPage>('GET', '/api/requests', { token: o.adminToken })).body.rows).toHaveLength(100)
  })

  test('filters: time, profile, key, user and status, together with paging', async () => {
    const o = await observedApp(NOW)
    record250(o)
    const count = async (query: string) => (await allPages(o, o.adminToken, `limit=500&${query}`)).length
    expect(await count('from=2026-03-01T10:01:00Z&to=2026-03-01T10:02:00Z')).toBe(60)
    expect(await count(`profileId=${o.beta.id}`)).toBe(50)
    expect(await count(`keyId=${o.memberKey.id}`)).toBe(125)
    expect(await count(`userId=${o.admin.id}`)).toBe(125)
    expect(await count('status=error')).toBe(25)
    expect(await count('status=429')).toBe(25)
    expect(await count('status=ok')).toBe(225)
    const mixed = await allPages(o, o.adminToken, `limit=7&profileId=${o.alpha.id}&userId=${o.member.user.id}&status=error&from=2026-03-01T10:00:00Z`)
    expect(mixed.map((row) => row.completionTokens)).toEqual(Array.from({ length: 20 }, (_, i) => 199 - i * 10))
  })

  test('members see only their own requests, and may not ask for anyone else’s', async () => {
    const o = await observedApp(NOW)
    record250(o)
    const mine = await allPages(o, o.member.token, 'limit=500')
    expect(mine).toHaveLength(125)
    expect(new Set(mine.map((row) => row.userId))).toEqual(new Set([o.member.user.id]))
    expect(await allPages(o, o.other.token, 'limit=500')).toEqual([])
    const refused = await o.app.json<{ error: { code: string } }>('GET', `/api/requests?userId=${o.admin.id}`, { token: o.member.token })
    expect([refused.status, refused.body.error.code]).toEqual([403, 'own-requests-only'])
    const exported = await o.app.call('GET', '/api/requests?format=json', { token: o.other.token })
    expect(await exported.json()).toEqual([])
    expect((await o.app.call('GET', '/api/requests')).status).toBe(401)
  })

  test('bad parameters are 400 with a message saying what to send', async () => {
    const o = await observedApp(NOW)
    const cases: [string, string][] = [
      ['limit=0', 'invalid-limit'],
      ['limit=501', 'invalid-limit'],
      ['limit=ten', 'invalid-limit'],
      ['cursor=bm9wZQ', 'invalid-cursor'],
      ['status=maybe', 'invalid-status'],
      ['profileId=-1', 'invalid-id'],
      ['keyId=abc', 'invalid-id'],
      ['from=soon', 'invalid-time'],
      ['from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'invalid-range'],
      ['format=xml', 'invalid-format'],
      ['prompt=hello', 'unknown-parameter'],
    ]
    for (const [query, code] of cases) {
      const response = await o.app.json<{ error: { code: string; message: string } }>('GET', `/api/requests?${query}`, { token: o.adminToken })
      expect([query, response.status, response.body.error.code]).toEqual([query, 400, code])
      expect(response.body.error.message.length).toBeGreaterThan(20)
    }
  })
})

/** A small RFC 4180 reader: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      row.push(field)
      field = ''
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += char
  }
  return rows
}

describe('export', () => {
  test('CSV: an attachment with a header row, every matching row, fields quoted where they must be', async () => {
    const o = await observedApp(NOW)
    record250(o)
    o.app.metrics.record(
      request({ profileId: o.alpha.id, startedAt: '2026-03-01T11:00:00.000Z', status: 502, errorCode: 'engine-error', errorMessage: 'He said "no", then\nleft', completionTokens: 7 }),
    )
    o.app.metrics.record(request({ profileId: o.alpha.id, startedAt: '2026-03-01T11:00:01.000Z', status: 500, errorCode: 'engine-error', errorMessage: '=HYPERLINK("x")', completionTokens: 8 }))
    const response = await o.app.call('GET', `/api/requests?format=csv&profileId=${o.alpha.id}`, { token: o.adminToken })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="requests-2026-03-01.csv"')
    const text = await response.text()
    const rows = parseCsv(text)
    expect(rows[0]).toEqual([...REQUEST_CSV_COLUMNS])
    expect(rows).toHaveLength(1 + 202)
    expect(rows.every((row) => row.length === REQUEST_CSV_COLUMNS.length)).toBe(true)
    const column = (name: (typeof REQUEST_CSV_COLUMNS)[number]) => REQUEST_CSV_COLUMNS.indexOf(name)
    // Newest first; a formula is written as text, a quote doubled, a line break kept inside quotes.
    expect(rows[1]?.[column('errorMessage')]).toBe(`'=HYPERLINK("x")`)
    expect(rows[2]?.[column('errorMessage')]).toBe('He said "no", then\nleft')
    expect(text).toContain('"He said ""no"", then\nleft"')
    // Null is an empty field; numbers are plain.
    expect(rows[3]?.[column('keyName')]).toBe('laptop')
    expect(rows[4]?.[column('keyId')]).toBe('')
    expect(rows[4]?.[column('completionTokens')]).toBe('198')
  })

  test('JSON: the same rows as the pages, in one array, past the export’s own page size', async () => {
    const o = await observedApp(NOW)
    for (let i = 0; i < 2100; i++) {
      o.app.metrics.record(request({ profileId: o.alpha.id, startedAt: new Date(Date.parse('2026-03-01T08:00:00.000Z') + i * 1000).toISOString(), completionTokens: i }))
    }
    const response = await o.app.call('GET', '/api/requests?format=json&from=2026-03-01T08:00:00Z', { token: o.adminToken })
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="requests-2026-03-01.json"')
    const rows = (await response.json()) as RequestLogRow[]
    expect(rows).toHaveLength(2100)
    expect(rows[0]?.completionTokens).toBe(2099)
    expect(rows.at(-1)?.completionTokens).toBe(0)
    expect(rows[5]).toEqual((await o.app.json<RequestLogPage>('GET', '/api/requests?limit=6', { token: o.adminToken })).body.rows[5])
  })
})
