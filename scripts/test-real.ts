/** `bun run test:real`: the real-engine tier when this machine can run it, else one line saying why not. */
import { MANAGED, detectPlatform, findPython } from '../server/features/engines/installer'
import { systemInstallerHost } from '../server/features/engines/installer-host'

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
const child = Bun.spawn([process.execPath, 'test', 'tests/real', ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit'] })
process.exit(await child.exited)
