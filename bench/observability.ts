// Request history figures, each beside a baseline measured in the same run:
// - recording a request: the time `record()` adds to a request (the batch write happens later, off
//   its path), target under 0.1 ms; baselines: no recording at all, and the former synchronous
//   insert per request, on a database file as the manager keeps it; the batch writes' cost per
//   request is printed too;
// - `/metrics` with 1,000,000 requests recorded, target under 10 ms; baseline: re-reading and
//   grouping the whole table, as it was served before;
// - a request-log page (100 rows) anywhere in 1,000,000 rows, alone or filtered, target under 50 ms;
//   baseline: the same page by LIMIT/OFFSET;
// - database sizes: 1,000,000 raw requests, the same rolled up per minute and per hour, and the
//   server samples of 10 servers over the default 90 days.
// Run: `bun bench/observability.ts` (about a minute).
import type { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { openDatabase } from '../server/db/database'
import { createMetricsRepository, type ChatRequestRecord } from '../server/features/metrics/repository'
import { createRetention } from '../server/features/usage/retention'
import { DEFAULT_RETENTION } from '../server/features/usage/retention'
import { benchApp, fmt, median, percentile, row, tempHome } from './lib'

const ROWS = 1_000_000
const PROFILES = 10
const USERS = 10
const KEYS = 50
const NOW = Date.parse('2026-03-01T12:00:00.000Z')
const WEEK_MS = 7 * 86_400_000
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' }


function record(i: number, startedAt: string): ChatRequestRecord {
  const keyId = i % 3 === 0 ? null : 1 + (i % KEYS)
  // One in 50 failed at the engine, one in 1,000 refused over a key's daily limit.
  const refused = i % 1000 === 7
  const failed = i % 50 === 0 || refused
  return {
    profileId: 1 + (i % PROFILES),
    model: `mlx-community/model-${i % PROFILES}`,
    startedAt,
    userId: 1 + (i % USERS),
    keyId,
    endpoint: keyId === null ? 'chat' : 'chat/completions',
    status: refused ? 429 : failed ? 502 : 200,
    timeToFirstTokenMs: 50 + (i % 700),
    promptTokens: 100 + (i % 900),
    cachedTokens: i % 4 === 0 ? 64 : null,
    completionTokens: 50 + (i % 400),
    tokensPerSecond: failed ? null : 20 + (i % 80),
    totalMs: 1000 + (i % 5000),
    errorCode: refused ? 'daily-token-limit' : failed ? 'engine-error' : null,
    errorMessage: failed ? 'The engine answered 500.' : null,
  }
}

/** `count` requests spread evenly over the week before NOW, oldest first, in one transaction. */
function seed(db: Database, count: number): void {
  const repo = createMetricsRepository(db)
  const batch: ChatRequestRecord[] = []
  for (let i = 0; i < count; i++) {
    batch.push(record(i, new Date(NOW - WEEK_MS + Math.floor((i * WEEK_MS) / count)).toISOString()))
    if (batch.length === 50_000) repo.addMany(batch.splice(0))
  }
  repo.addMany(batch)
}

const sizeOf = (db: Database) => {
  db.exec('VACUUM')
  const pages = db.query<{ page_count: number }, []>('PRAGMA page_count').get()?.page_count ?? 0
  const size = db.query<{ page_size: number }, []>('PRAGMA page_size').get()?.page_size ?? 0
  return pages * size
}

function time(run: () => unknown, runs: number): number[] {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    run()
    times.push(performance.now() - started)
  }
  return times
}

async function timeAsync(run: () => Promise<unknown>, runs: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await run()
    times.push(performance.now() - started)
  }
  return times
}

// 1. Recording: what record() costs the request, on a database file (WAL, as the manager opens it).
{
  const home = tempHome()
  const app = benchApp({ serving: {}, db: openDatabase(join(home, 'manager.db')) }, home)
  const syncRepo = createMetricsRepository(openDatabase(join(tempHome(), 'sync.db')))
  const N = 20_000
  const records = Array.from({ length: N }, (_, i) => record(i, new Date(NOW - 60_000 + i).toISOString()))
  const nothing: ChatRequestRecord[] = []
  app.metrics.record(records[0]!) // loads the (empty) summaries once
  app.metrics.flush()
  const per = (times: number[]) => times.reduce((sum, ms) => sum + ms, 0) / N
  const baseline = per(time(() => records.forEach((r) => nothing.push(r)), 1))
  const recorded = per(time(() => records.forEach((r) => app.metrics.record(r)), 1))
  // The same requests again, with the batch writes they cause counted in.
  const withWrites = per(
    time(() => {
      for (let i = 0; i < N; i++) {
        app.metrics.record(records[i]!)
        if (i % 50 === 49) app.metrics.flush()
      }
      app.metrics.flush()
    }, 1),
  )
  const synchronous = per(time(() => records.slice(0, 2000).forEach((r) => syncRepo.add(r)), 1)) * (N / 2000)
  const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`
  // Baseline: handing the record to nothing (no recording); the ratio is against the former insert per request.
  row('record(): on the request path', us(recorded), us(baseline), fmt.ratio(recorded / synchronous), '< 0.1 ms', recorded < 0.1)
  row('record() + its batch write', us(withWrites), us(synchronous), fmt.ratio(withWrites / synchronous), 'baseline: insert each', withWrites < synchronous)
}

// 2 and 3 share one database of 1,000,000 requests.
const home = tempHome()
const db = openDatabase(join(home, 'manager.db'))
const app = benchApp({ serving: {}, db, now: () => new Date(NOW) }, home)
const call = async (path: string, token: string) => {
  const response = await app.app.handle(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}` } }))
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`)
  return response.text()
}
const signIn = async () => {
  const body = JSON.stringify(ADMIN)
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) }
  await app.app.handle(new Request('http://localhost/api/auth/register', { method: 'POST', headers, body }))
  const login = await app.app.handle(new Request('http://localhost/api/auth/login', { method: 'POST', headers, body }))
  return ((await login.json()) as { token: string }).token
}
const token = await signIn()
let started = performance.now()
seed(db, ROWS)
console.log(`      seeded ${ROWS.toLocaleString('en')} requests in ${fmt.ms(performance.now() - started)}`)

// 2. /metrics
{
  started = performance.now()
  app.metrics.warm()
  console.log(`      at start, the stored requests are summed once: ${fmt.ms(performance.now() - started)}`)
  const scrapes = await timeAsync(() => call('/metrics', token), 50)
  // The former way: every request read back and grouped per profile on each scrape.
  const repo = createMetricsRepository(db)
  const reread = time(() => {
    const groups = new Map<number, ChatRequestRecord[]>()
    for (const one of repo.list()) groups.set(one.profileId, [...(groups.get(one.profileId) ?? []), one].slice(-1))
    return groups
  }, 2)
  const value = median(scrapes)
  row('/metrics, 1M requests (p50)', fmt.ms(value), fmt.ms(median(reread)), fmt.ratio(value / median(reread)), '< 10 ms', value < 10)
  row('/metrics, 1M requests (p99)', fmt.ms(percentile([...scrapes].sort((a, b) => a - b), 99)), fmt.ms(median(reread)), '', '', true)
  // Recording goes on while scraping: counters move in memory.
  app.metrics.record(record(ROWS, new Date(NOW).toISOString()))
  app.metrics.flush()
}

// 3. Request log pages
{
  const deep = db.query<{ started_at: string; id: number }, []>(`SELECT started_at, id FROM chat_requests ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ${ROWS / 2}`).get()
  const cursor = Buffer.from(`${deep?.started_at}|${deep?.id}`).toString('base64url')
  const offset = db.query(
    `SELECT r.*, p.name, u.email, k.name FROM chat_requests r LEFT JOIN profiles p ON p.id = r.profile_id LEFT JOIN users u ON u.id = r.user_id
     LEFT JOIN api_keys k ON k.id = r.key_id ORDER BY r.started_at DESC, r.id DESC LIMIT 101 OFFSET ${ROWS / 2}`,
  )
  const baseline = median(time(() => offset.all(), 5))
  const pages: [string, string][] = [
    ['first page', '/api/requests?limit=100'],
    ['page at row 500,000 (cursor)', `/api/requests?limit=100&cursor=${cursor}`],
    ['by user, deep', `/api/requests?limit=100&userId=3&cursor=${cursor}`],
    ['by key, deep', `/api/requests?limit=100&keyId=7&cursor=${cursor}`],
    ['by profile, deep', `/api/requests?limit=100&profileId=4&cursor=${cursor}`],
    ['errors only, deep', `/api/requests?limit=100&status=error&cursor=${cursor}`],
    ['status 429 (1 in 1,000), deep', `/api/requests?limit=100&status=429&cursor=${cursor}`],
    ['by user, errors only, deep', `/api/requests?limit=100&userId=8&status=error&cursor=${cursor}`],
    ['one hour, deep in the week', '/api/requests?limit=100&from=2026-02-25T10:00:00Z&to=2026-02-25T11:00:00Z'],
    ['500 rows', `/api/requests?limit=500&cursor=${cursor}`],
  ]
  for (const [name, path] of pages) {
    const value = median(await timeAsync(() => call(path, token), 20))
    row(`log: ${name}`, fmt.ms(value), fmt.ms(baseline), fmt.ratio(value / baseline), '< 50 ms', value < 50)
  }
  const usage = median(await timeAsync(() => call('/api/usage?from=2026-02-22T12:00:00Z&to=2026-03-01T12:00:00Z&bucket=day&groupBy=key', token), 3))
  row('usage: 7 days of raw rows by key', fmt.ms(usage), '', '', '(no target)', true)
}

// 4. Sizes
{
  const raw = sizeOf(db)
  const retention = createRetention(db)
  const policy = { ...DEFAULT_RETENTION, retentionDays: 90 }
  // A week later every request is a minute rollup; a month later, an hour rollup.
  retention.run(policy, NOW + WEEK_MS + 86_400_000)
  const minutes = sizeOf(db)
  retention.run(policy, NOW + 32 * 86_400_000)
  const hours = sizeOf(db)
  const samples = openDatabase(join(tempHome(), 'samples.db'))
  const insert = samples.query('INSERT INTO server_stats VALUES (?, ?, ?, 5, 12.5, 40, 8000000000, 8100000000)')
  samples.transaction(() => {
    for (let server = 1; server <= 10; server++) {
      for (let t = NOW - 86_400_000; t < NOW; t += 10_000) insert.run(server, 10, new Date(t).toISOString())
      for (let t = NOW - 7 * 86_400_000; t < NOW - 86_400_000; t += 60_000) insert.run(server, 60, new Date(t).toISOString())
      for (let t = NOW - 90 * 86_400_000; t < NOW - 7 * 86_400_000; t += 3_600_000) insert.run(server, 3600, new Date(t).toISOString())
    }
  })()
  const empty = sizeOf(openDatabase(join(tempHome(), 'empty.db')))
  console.log(`      sizes: 1M raw requests ${fmt.mb(raw)} (${((raw - empty) / ROWS).toFixed(0)} B each with indexes)`)
  console.log(`             the same week per minute ${fmt.mb(minutes)}, per hour ${fmt.mb(hours)} (${PROFILES} profiles × ${KEYS} keys × ${USERS} users)`)
  console.log(`             samples of 10 servers, 90 days (1 day at 10 s, 6 at 1 min, 83 at 1 h): ${fmt.mb(sizeOf(samples) - empty)}`)
}
process.exit(0)
