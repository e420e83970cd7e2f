/**
 * `bun scripts/record-catalog-fixtures.ts`: records the answers of the manager's catalog routes that
 * the web tests replay (tests/web/catalog-responses.ts). The manager runs in-process against the
 * hub stand-in (tests/fixtures/hub), so nothing reaches the internet and the same repos give the
 * same answers; run it again after a change to the catalog's answers or to the stand-in's repos.
 *
 * The file is TypeScript typed with the shared types the catalog service answers with, so the
 * typecheck fails when the recordings and the server's responses part ways.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { CatalogPage, CatalogSystem, ModelDetails } from '../shared/catalog'
import { catalogTestApp } from '../tests/fixtures/hub/with-app'

const OUTPUT = fileURLToPath(new URL('../tests/web/catalog-responses.ts', import.meta.url))

/** The machine the answers describe: 23.5 GB of memory, as on the machine they were first recorded on. */
const TOTAL_BYTES = 25_276_063_744
/** Where the answers say the hub is (a model page's link to it). */
const STAND_IN_URL = 'http://hub.stand-in'

interface Recording {
  name: string
  type: 'CatalogPage' | 'ModelDetails' | 'CatalogSystem'
  what: string
  /** The route, or one made from answers recorded before it (the second page follows the first's cursor). */
  path: string | ((recorded: Record<string, unknown>) => string)
  /**
   * Memory available when it was asked. Each answer has its own, as live answers do, so a test can
   * tell which answer's budget the screen shows (the list's, the model page's, this machine's now).
   */
  availableBytes: number
}

const RECORDINGS: Recording[] = [
  { name: 'page1', type: 'CatalogPage', what: 'the first page of the default search (most downloaded)', path: '/api/catalog/search', availableBytes: 20_946_427_904 },
  {
    name: 'page2',
    type: 'CatalogPage',
    what: 'the page after it, from its cursor',
    path: (recorded) => `/api/catalog/search?cursor=${encodeURIComponent((recorded.page1 as CatalogPage).nextCursor ?? '')}`,
    availableBytes: 18_190_307_328,
  },
  { name: 'emptyFiltered', type: 'CatalogPage', what: 'a filtered search that matched nothing', path: '/api/catalog/search?capability=vision&bits=2', availableBytes: 18_243_948_544 },
  { name: 'trending', type: 'CatalogPage', what: 'the first page of the trending list', path: '/api/catalog/search?sort=trending', availableBytes: 18_554_290_176 },
  { name: 'qwen3Details', type: 'ModelDetails', what: 'a text model’s page', path: '/api/catalog/models/mlx-community/Qwen3-8B-4bit', availableBytes: 18_322_751_488 },
  { name: 'gemma3Details', type: 'ModelDetails', what: 'a vision model’s page (sliding-window layers)', path: '/api/catalog/models/mlx-community/gemma-3-12b-it-4bit', availableBytes: 18_395_586_560 },
  {
    name: 'unsafeCardDetails',
    type: 'ModelDetails',
    what: 'a page whose card carries script, an event handler and a javascript: link',
    path: '/api/catalog/models/mlx-community/Qwen2.5-7B-Instruct-4bit',
    availableBytes: 19_545_194_496,
  },
  { name: 'system', type: 'CatalogSystem', what: 'this machine’s memory budget', path: '/api/catalog/system', availableBytes: 18_467_917_824 },
]

// The same object is read for every answer, so changing it between calls changes what the catalog sees.
const memory = { totalBytes: TOTAL_BYTES, usedBytes: 0 }
const catalog = await catalogTestApp({ memory })
const recorded: Record<string, CatalogPage | ModelDetails | CatalogSystem> = {}
const hubUrl = catalog.hub.url
try {
  for (const recording of RECORDINGS) {
    memory.usedBytes = TOTAL_BYTES - recording.availableBytes
    const path = typeof recording.path === 'string' ? recording.path : recording.path(recorded)
    const answer = await catalog.get<CatalogPage | ModelDetails | CatalogSystem>(path)
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    recorded[recording.name] = answer.body
  }
} finally {
  await catalog.stop()
}

// The stand-in listens on a free port each run; one fixed address keeps a second recording identical.
const body = JSON.stringify(recorded, null, 1).replaceAll(hubUrl, STAND_IN_URL)
const sentence = (what: string) => `${what.charAt(0).toUpperCase()}${what.slice(1)}.`
const fields = RECORDINGS.map((recording) => `  /** ${sentence(recording.what)} */\n  ${recording.name}: ${recording.type}`).join('\n')
const source = `// Written by scripts/record-catalog-fixtures.ts from the manager's catalog routes against the hub
// stand-in (tests/fixtures/hub). Do not edit: run \`bun scripts/record-catalog-fixtures.ts\` again.
import type { CatalogPage, CatalogSystem, ModelDetails } from '../../shared/catalog'

export interface RecordedCatalog {
${fields}
}

export const recorded: RecordedCatalog = ${body}
`
writeFileSync(OUTPUT, source)
console.log(`Recorded ${RECORDINGS.length} answers into ${OUTPUT}.`)
