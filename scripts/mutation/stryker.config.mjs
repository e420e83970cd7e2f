// @ts-check
/**
 * Mutation testing with StrykerJS: `npm run mutate [scope…]` (scripts/mutation/run.mjs) runs this
 * once per scope with MUTATE_SCOPE set. Each scope keeps its own incremental file and report under
 * reports/mutation/<scope>/, so a re-run only tests the mutants whose code or tests changed.
 */

/** What each scope mutates. Every scope is tested by scripts/mutation/vitest.config.ts. */
const SCOPES = {
  // Types and constants shared by server and web; index.ts only re-exports.
  shared: ['shared/**/*.ts', '!shared/index.ts'],
  // The Pinia stores, tested against a stubbed fetch and EventSource.
  stores: ['web/src/features/*/store*.ts', 'web/src/features/*/*-store.ts'],
  // Web modules that are plain functions of their input: formatting, grouping, queries, forms.
  web: [
    'web/src/features/auth/validation.ts',
    'web/src/features/*/format.ts',
    'web/src/features/catalog/{fit,groups,query}.ts',
    'web/src/features/chat/{groups,search,title}.ts',
    'web/src/features/connect/choices.ts',
    'web/src/features/dashboard/{chart-format,stat-series}.ts',
    'web/src/features/profiles/form.ts',
    'web/src/features/requests/query.ts',
    'web/src/features/servers/{exposure,freshness,log-lines}.ts',
    'web/src/features/usage/{ranges,series}.ts',
    'web/src/features/users/{actions,order}.ts',
  ],
  // Server modules with no Bun API, database, process or file, covered by the pure server tests
  // listed in scripts/mutation/vitest.config.ts (the rest of the server is tested through its HTTP
  // app under Bun, which no Stryker runner drives).
  server: [
    'server/features/access/events.ts',
    'server/features/auth/throttle.ts',
    'server/features/catalog/{cache,engine,limit,repo-files}.ts',
    'server/features/chat/think.ts',
    'server/features/downloads/{cache-layout,failures,options,plan,speed}.ts',
    'server/features/gateway/anthropic/{request,response,stream}.ts',
    'server/features/profiles/{port-registry,ports}.ts',
    'server/features/servers/{exit,restart-policy,run,sampling,status}.ts',
    'server/hub/{failure,repo}.ts',
  ],
}

const scope = process.env.MUTATE_SCOPE ?? 'shared'
const mutate = SCOPES[/** @type {keyof typeof SCOPES} */ (scope)]
if (mutate === undefined) throw new Error(`Unknown mutation scope "${scope}": use one of ${Object.keys(SCOPES).join(', ')}.`)
const out = `reports/mutation/${scope}`

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate,
  testRunner: 'vitest',
  // Vitest 5 finds no related test files inside Stryker's sandbox; per-test coverage below does
  // that job: each mutant runs only the tests that reached it in the first run.
  vitest: { configFile: 'scripts/mutation/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  // The machine is shared: one test process at a time.
  concurrency: 1,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  // The sandbox sits inside the checkout, so packages resolve from its node_modules by the usual
  // walk up; a symlink there would give Vite paths outside the sandbox's root that it cannot load.
  symlinkNodeModules: false,
  // The sandbox needs the sources and the unit tests, not builds, browsers' results or the e2e tier.
  ignorePatterns: ['dist', 'web/dist', 'test-results', 'playwright-report', 'coverage', 'bench', 'tests/e2e', 'tests/real', 'reports'],
  // A static mutant (a module-level constant) is only seen by re-importing everything, which costs
  // as much as a whole run for each; they are left out so a scope finishes in minutes.
  ignoreStatic: true,
  thresholds: { high: 80, low: 60, break: null },
}
