// Runs every benchmark in bench/ one after another: `bun run bench`.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const skip = new Set(['run.ts', 'lib.ts', 'browser.ts', 'baseline-server.ts'])
const scripts = readdirSync(import.meta.dir).filter((f) => f.endsWith('.ts') && !skip.has(f) && !f.endsWith('.d.ts')).sort()
for (const script of scripts) {
  console.log(`\n== ${script} ==`)
  const child = Bun.spawn([process.execPath, join(import.meta.dir, script)], { stdout: 'inherit', stderr: 'inherit' })
  if ((await child.exited) !== 0) process.exitCode = 1
}
