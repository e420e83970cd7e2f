import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'
// Imported for its settings and for the Node 20 gap it fills in the runner's process.
import webConfig from '../../tests/web/vitest.config'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
// Stryker's sandbox lives in .stryker-tmp/ and finds packages in the checkout's node_modules above
// it; Vite serves files outside its root only from folders it is allowed to read.
const packages = dirname(dirname(createRequire(import.meta.url).resolve('vitest/package.json')))

// Test files to leave out of a run (comma-separated), for when a test fails for reasons outside
// the mutated scope: Stryker stops when any test fails before it starts mutating.
const skipped = (process.env.MUTATE_SKIP_TESTS ?? '').split(',').filter((file) => file !== '')
const exclude = [...configDefaults.exclude, ...skipped]
// Only these test files (comma-separated), for a quick run of one scope against its own tests:
// each mutant reruns the files that cover it, and a mounted view costs seconds to load.
const only = (process.env.MUTATE_TESTS ?? '').split(',').filter((file) => file !== '')
const within = (folder: string, files: string[]) => (only.length === 0 ? files : only.filter((file) => file.startsWith(folder)))

/**
 * The server tests that start no app and touch no database, process or file: they exercise pure
 * modules, so Vitest can run them under Node for mutation testing. `bun test` stays their runner
 * everywhere else (`npm test`).
 */
export const PURE_SERVER_TESTS = [
  'tests/server/access-events.test.ts',
  'tests/server/cache.test.ts',
  'tests/server/catalog-units.test.ts',
  'tests/server/chat-think.test.ts',
  'tests/server/gateway-anthropic-translate.test.ts',
  'tests/server/memory-fit.test.ts',
  'tests/server/profiles-validation.test.ts',
  'tests/server/servers-units.test.ts',
  'tests/server/units.test.ts',
]

// Instrumented code records coverage per test and the machine is shared, so the mounted views run
// several times slower than in `npm test`; a generous limit keeps a slow run from failing a test.
const testTimeout = 30_000
// Stryker switches mutants at run time, not by changing files, so the modules a test file loaded can
// serve the next one: without that (isolate) every mutant paid for loading Vue, naive-ui and the
// simulated DOM once per covering test file, seconds each.
const isolate = process.env.MUTATE_ISOLATE === 'true'
const webSetup = [here('./reuse-modules.ts'), ...[webConfig.test?.setupFiles ?? []].flat()]
const web = defineConfig({
  ...webConfig,
  server: { ...webConfig.server, fs: { allow: [here('../..'), packages] } },
  test: {
    ...webConfig.test,
    name: 'web',
    include: within('tests/web/', webConfig.test?.include ?? []),
    exclude,
    testTimeout,
    isolate,
    setupFiles: isolate ? webConfig.test?.setupFiles : webSetup,
  },
})
const server = defineConfig({
  root: here('../..'),
  resolve: { alias: { 'bun:test': here('./bun-test.ts') } },
  test: {
    name: 'server',
    environment: 'node',
    include: within('tests/server/', PURE_SERVER_TESTS),
    exclude,
    setupFiles: [here('./bun-globals.ts')],
    restoreMocks: true,
  },
})

/** Which tests can reach each scope's code (MUTATE_SCOPE, set by scripts/mutation/run.mjs). */
const PROJECTS: Record<string, { test?: { include?: string[] } }[]> = { shared: [web, server], stores: [web], web: [web], server: [server] }

/**
 * The tests mutation testing runs (scripts/mutation/stryker.config.mjs): the web suite as it is,
 * and the pure server tests in plain Node. Stryker records which tests cover each mutant in one
 * first run, then runs only those for that mutant.
 */
const projects = (PROJECTS[process.env.MUTATE_SCOPE ?? 'shared'] ?? [web, server]).filter(
  (project: { test?: { include?: string[] } }) => (project.test?.include ?? []).length > 0,
)

export default defineConfig({ test: { projects } })
