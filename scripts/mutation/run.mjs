// `npm run mutate [scope…]`: mutation testing with StrykerJS, one scope after the other (all four
// when none is named): shared, stores, web, server (see stryker.config.mjs). Reports land in
// reports/mutation/<scope>/; a re-run only tests mutants whose code or covering tests changed.
//
// `--mutate <glob>` narrows a run to some files, e.g. while adding tests for one store; such a run
// keeps its own incremental file and report (reports/mutation/<scope>/narrowed/) so it does not
// shrink the scope's full ones; MUTATE_OUT names another folder for it, so two narrowed runs of one
// scope keep apart. MUTATE_SKIP_TESTS leaves test files out (scripts/mutation/vitest.config.ts).
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const SCOPES = ['shared', 'stores', 'web', 'server']
const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
process.chdir(root)

const args = process.argv.slice(2)
const narrowAt = args.indexOf('--mutate')
const narrow = narrowAt === -1 ? undefined : args[narrowAt + 1]
const scopes = (narrowAt === -1 ? args : args.slice(0, narrowAt)).filter((arg) => arg !== '--')
const unknown = scopes.filter((scope) => !SCOPES.includes(scope))
if (unknown.length > 0 || (narrowAt !== -1 && narrow === undefined)) {
  console.error(`Usage: npm run mutate -- [${SCOPES.join('|')}…] [--mutate <glob>]`)
  process.exit(2)
}

// Stryker 10 is the first release that reads Vitest 5's test names. Its command line refuses Node
// below 22 although it uses nothing newer than Node 20 has, so this runs it through its own class;
// the package's export map offers only the entry that loads the command line, hence the file path.
const { Stryker } = await import(pathToFileURL(join(root, 'node_modules/@stryker-mutator/core/dist/src/stryker.js')).href)

let failed = false
for (const scope of scopes.length > 0 ? scopes : SCOPES) {
  console.log(`\n== mutation testing: ${scope}${narrow === undefined ? '' : ` (${narrow})`}`)
  process.env.MUTATE_SCOPE = scope
  // The web test config imports nothing the native config loader lacks but an extensionless path.
  process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true'
  const options = { configFile: 'scripts/mutation/stryker.config.mjs' }
  if (narrow !== undefined) {
    const out = process.env.MUTATE_OUT ?? `reports/mutation/${scope}/narrowed`
    Object.assign(options, {
      mutate: [narrow],
      incrementalFile: `${out}/incremental.json`,
      htmlReporter: { fileName: `${out}/index.html` },
      jsonReporter: { fileName: `${out}/mutation.json` },
    })
  }
  try {
    await new Stryker(options).runMutationTest()
  } catch (error) {
    console.error(`Mutation testing of ${scope} failed: ${error instanceof Error ? error.message : String(error)}`)
    failed = true
  }
}
process.exit(failed ? 1 : 0)
