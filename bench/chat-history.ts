// Chat history in a real browser: Chromium's own IndexedDB, the chat repository bundled for the
// browser. Seeds one conversation of 10,000 messages and 1,000 conversations of about 20 messages
// (through the JSON import, the product's own bulk path, one file each: that is timed too), then times:
// - opening the long conversation (getConversation + loadMessages of the last 60 + countMessages),
//   target under 1 s; baseline: the same three reads with raw IndexedDB calls (no Dexie), and for
//   scale, reading the whole conversation as opening it without a window would;
// - searchConversations over all of it for several queries, target under 100 ms; baseline: one raw
//   `getAllKeys` on the word index for the query's first word (the primitive the search is built on),
//   and once, for scale, a plain scan of every message for the word. Also printed, without targets:
//   the sidebar list (baseline: a raw getAll of the conversations) and saveMessage.
// Run: `bun bench/chat-history.ts` (well under a minute).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CHROMIUM, runInChromium } from './browser'
import { fmt, median, ROOT, row } from './lib'

const RUNS = 15
const OPEN_TARGET_MS = 1000
const SEARCH_TARGET_MS = 100
const QUERIES = {
  'common word ("the")': 'the',
  'rare word (1 conversation)': 'quetzalcoatl',
  'two words ("server error")': 'server error',
  'prefix ("mem")': 'mem',
  'two-letter word ("if", whole word)': 'if',
  'no match ("zzyzx")': 'zzyzx',
}

interface Timing {
  times: number[]
  baseline: number[]
}
interface BrowserResult {
  seedMs: { long: number; many: number }
  messages: number
  open: Timing & { cold: number; unwindowed: number }
  search: Record<string, Timing & { hits: number }>
  scanMs: number
  listMs: number[]
  listBaselineMs: number[]
  saveLongMs: number[]
  saveShortMs: number[]
}

/** The page: generates realistic chats from a seeded random source, imports them, and times the repository. */
const ENTRY = (web: string) => `
import { ManagerDatabase } from ${JSON.stringify(join(web, 'db', 'database.ts'))}
import { countMessages, getConversation, listConversations, loadMessages, allMessages, saveMessage, searchConversations } from ${JSON.stringify(join(web, 'features', 'chat', 'repository.ts'))}
import { importJson } from ${JSON.stringify(join(web, 'features', 'chat', 'transfer.ts'))}

const NAME = 'chat-history-bench'
let seed = 42
const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
const COMMON = 'the a to of and is in it you that for on with this be are as can not use your if or will by from an at have but function return value model memory token server file error code data time when what which how run list type string number first one new set also more need then make only other should would like into each so just memorize member'.split(' ')
const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'te', 'su', 'no', 'vi', 'de', 'pa', 'xo', 'qui', 'bre', 'tal', 'zen', 'gor', 'fi', 'lu', 'sam', 'dor']
const VOCAB = [...COMMON]
while (VOCAB.length < 8000) { let w = ''; const n = 2 + Math.floor(rand() * 3); for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)]; VOCAB.push(w) }
// Log-uniform ranks: roughly Zipf, "the" about 7% of words as in English prose.
const word = () => VOCAB[Math.floor(VOCAB.length ** rand()) - 1]
function prose(words) {
  let out = ''
  for (let i = 0; i < words; i++) {
    const w = word()
    out += i === 0 || out.endsWith('. ') ? w[0].toUpperCase() + w.slice(1) : w
    out += rand() < 0.08 ? (rand() < 0.2 ? '.\\n\\n' : '. ') : ' '
  }
  return out.trim() + '.'
}
const metrics = { timeToFirstTokenMs: 210, promptTokens: 500, completionTokens: 320, generationTokensPerSecond: 41.5, promptTokensPerSecond: 900, totalMs: 7900 }
function message(seq, createdAt) {
  const user = seq % 2 === 0
  // Questions of 10-60 words, answers of 60-350: a few hundred to a couple of thousand characters.
  return { id: crypto.randomUUID(), seq, role: user ? 'user' : 'assistant', content: prose(Math.floor(user ? 10 + rand() * 50 : 60 + rand() * 290)), reasoning: null, reasoningMs: null, attachments: [], metrics: user ? null : metrics, error: null, status: 'complete', createdAt, profileName: user ? null : 'bench' }
}
function conversation(count, endsAt) {
  const messages = Array.from({ length: count }, (_, seq) => message(seq, new Date(endsAt - (count - seq) * 60000).toISOString()))
  const at = (i) => messages[i]?.createdAt ?? new Date(endsAt).toISOString()
  return { id: crypto.randomUUID(), title: prose(3 + Math.floor(rand() * 4)).slice(0, -1), createdAt: at(0), updatedAt: at(count - 1), pinned: 0, profileId: 1, profileName: 'bench', model: 'mlx-community/bench-4bit', parameters: { systemPrompt: null, temperature: null, topP: null, maxTokens: null }, messageCount: count, messages }
}
const doc = (conversations) => JSON.stringify({ format: 'mlx-manager-chats', version: 1, exportedAt: new Date().toISOString(), conversations })
const stats = async (runs, fn) => { const times = []; for (let i = 0; i < runs; i++) { const t = performance.now(); await fn(); times.push(performance.now() - t) } return times }

function rawDb() {
  return new Promise((resolve, reject) => { const r = indexedDB.open(NAME); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error) })
}
const done = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error) })

window.runBench = async ({ runs, queries }) => {
  await new Promise((resolve) => { const r = indexedDB.deleteDatabase(NAME); r.onsuccess = r.onerror = resolve })
  let db = new ManagerDatabase(NAME)
  const now = Date.now()
  const many = Array.from({ length: 1000 }, (_, i) => conversation(16 + Math.floor(rand() * 9), now - 3600000 - i * 17 * 3600000))
  const planted = many[777].messages[13]
  planted.content += ' The quetzalcoatl feathered serpent.'
  const long = conversation(10000, now)
  let t = performance.now()
  await importJson(db, doc([long]))
  const seedLong = performance.now() - t
  t = performance.now()
  await importJson(db, doc(many))
  const seedMany = performance.now() - t
  const messages = await db.messages.count()

  // Opening the long conversation, as the chat store does: first from a freshly opened database.
  const open = async () => {
    const c = await getConversation(db, long.id)
    const w = await loadMessages(db, long.id, { limit: 60 })
    const n = await countMessages(db, long.id)
    if (c === null || w.length !== 60 || w[59].seq !== 9999 || n !== 10000) throw new Error('open read the wrong window')
  }
  db.close()
  db = new ManagerDatabase(NAME)
  t = performance.now()
  await open()
  const cold = performance.now() - t
  const openTimes = await stats(runs, open)
  const raw = await rawDb()
  const rawOpen = async () => {
    const tx = raw.transaction(['conversations', 'messages'], 'readonly')
    const c = await done(tx.objectStore('conversations').get(long.id))
    const index = tx.objectStore('messages').index('[conversationId+seq]')
    const range = IDBKeyRange.bound([long.id, -Infinity], [long.id, []])
    const rows = []
    await new Promise((resolve, reject) => {
      const cursor = index.openCursor(range, 'prev')
      cursor.onsuccess = () => { const at = cursor.result; if (at && rows.length < 60) { rows.push(at.value); at.continue() } else resolve() }
      cursor.onerror = () => reject(cursor.error)
    })
    const n = await done(index.count(range))
    if (!c || rows.length !== 60 || n !== 10000) throw new Error('raw open read the wrong window')
  }
  const openBaseline = await stats(runs, rawOpen)
  const [unwindowed] = await stats(1, () => allMessages(db, long.id))

  const search = {}
  for (const [label, query] of Object.entries(queries)) {
    let hits = 0
    // No warm-up: the worst figure includes the first search of each kind.
    const times = await stats(runs, async () => { hits = (await searchConversations(db, query)).length })
    const first = query.split(' ')[0]
    const baseline = await stats(runs, () => done(raw.transaction('conversationTerms').objectStore('conversationTerms').index('terms').getAllKeys(first.length < 3 ? IDBKeyRange.only(first) : IDBKeyRange.bound(first, first + '\\uffff'))))
    search[label] = { times, baseline, hits }
  }
  // For scale: searching without the word index, a scan of every message.
  const [scanMs] = await stats(1, async () => {
    const found = new Set()
    await db.messages.each((m) => { if (m.content.toLowerCase().includes('quetzalcoatl')) found.add(m.conversationId) })
    if (found.size !== 1) throw new Error('the scan missed the planted word')
  })

  const listMs = await stats(5, () => listConversations(db))
  const listBaselineMs = await stats(5, () => done(raw.transaction('conversations').objectStore('conversations').getAll()))
  let seq = 10000
  const saveLongMs = await stats(5, () => saveMessage(db, { ...message(seq, new Date().toISOString()), conversationId: long.id, seq: seq++ }))
  let shortSeq = 100
  const saveShortMs = await stats(5, () => saveMessage(db, { ...message(shortSeq, new Date().toISOString()), conversationId: many[5].id, seq: shortSeq++ }))
  raw.close()
  db.close()
  return { seedMs: { long: seedLong, many: seedMany }, messages, open: { times: openTimes, baseline: openBaseline, cold, unwindowed }, search, scanMs, listMs, listBaselineMs, saveLongMs, saveShortMs }
}
`

function inChromium(): Promise<BrowserResult> {
  return runInChromium<{ runs: number; queries: typeof QUERIES }, BrowserResult>('chat-history', ENTRY(join(ROOT, 'web', 'src')), { runs: RUNS, queries: QUERIES })
}

const worst = (values: number[]) => Math.max(...values)

if (!existsSync(CHROMIUM)) {
  console.log(`No Chromium at ${CHROMIUM} (set CHROMIUM_PATH): the chat history benchmark needs a real browser.`)
  process.exit(1)
}
const started = performance.now()
const result = await inChromium()
let failed = false
const check = (name: string, value: number, baseline: number, target: number) => {
  const ok = value < target
  failed ||= !ok
  row(name, fmt.ms(value), fmt.ms(baseline), fmt.ratio(value / Math.max(0.01, baseline)), `< ${target} ms`, ok)
}

console.log(`Chat history in Chromium IndexedDB: ${result.messages.toLocaleString('en-US')} messages (1 conversation of 10,000, 1,000 of 16-24).`)
console.log(`  seeded through importJson, one file each: long conversation ${fmt.ms(result.seedMs.long)}, 1,000 conversations ${fmt.ms(result.seedMs.many)}\n`)
console.log('Opening the 10,000-message conversation (baseline: the same reads in raw IndexedDB, no Dexie)')
const open = result.open
check('open, first after opening the db', open.cold, median(open.baseline), OPEN_TARGET_MS)
check(`open, median of ${RUNS}`, median(open.times), median(open.baseline), OPEN_TARGET_MS)
check(`open, worst of ${RUNS}`, worst(open.times), worst(open.baseline), OPEN_TARGET_MS)
console.log(`      for scale: reading all 10,000 messages (opening without a window) ${fmt.ms(open.unwindowed)}`)

console.log(`\nSearching 1,001 conversations, 50 results max (baseline: one raw getAllKeys on the word index for the first word)`)
for (const [label, timing] of Object.entries(result.search)) {
  check(`${label}, median`, median(timing.times), median(timing.baseline), SEARCH_TARGET_MS)
  check(`${label}, worst`, worst(timing.times), worst(timing.baseline), SEARCH_TARGET_MS)
  console.log(`      ${timing.hits} results`)
}
console.log(`      for scale: scanning every message for one word, without the index: ${fmt.ms(result.scanMs)}`)

console.log('\nOther figures (no target)')
console.log(`  sidebar list of 1,001 conversations: median ${fmt.ms(median(result.listMs))} (raw getAll ${fmt.ms(median(result.listBaselineMs))}, ${fmt.ratio(median(result.listMs) / Math.max(0.01, median(result.listBaselineMs)))})`)
console.log(`  saveMessage into the 10,000-message conversation: median ${fmt.ms(median(result.saveLongMs))}, worst ${fmt.ms(worst(result.saveLongMs))}`)
console.log(`  saveMessage into a 20-message conversation: median ${fmt.ms(median(result.saveShortMs))}, worst ${fmt.ms(worst(result.saveShortMs))}`)
console.log(`\nTargets: open < ${OPEN_TARGET_MS} ms, search < ${SEARCH_TARGET_MS} ms (median and worst of ${RUNS}). Whole run ${((performance.now() - started) / 1000).toFixed(0)} s.`)
if (failed) process.exitCode = 1
