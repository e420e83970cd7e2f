// `npm run demo`: the whole product on any machine, against the local HuggingFace Hub and the
// stand-in engine from tests/fixtures, so every screen can be tried without Apple silicon or internet.
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_REPOS } from '../tests/fixtures/hub/repos'
import { FIXTURE_TOKEN, startHubFixture } from '../tests/fixtures/hub/server'

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
