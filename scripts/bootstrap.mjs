// Installs the project's dependencies with the pinned Bun when they are missing or out of date.
// Runs on plain Node so that `npm start` and `npm test` work on a machine with only Node and npm.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const bunVersion = pkg.devDependencies.bun
const stampPath = join(root, 'node_modules', '.mlx-manager-install')
const bunBin = join(root, 'node_modules', '.bin', 'bun')

const fingerprint = createHash('sha256')
  .update(readFileSync(join(root, 'package.json')))
  .update(readFileSync(join(root, 'bun.lockb')))
  .digest('hex')

const upToDate = existsSync(bunBin) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === fingerprint
if (!upToDate) {
  console.log(`Installing dependencies with bun ${bunVersion}…`)
  try {
    execFileSync('npx', ['--yes', '--allow-scripts=bun', `bun@${bunVersion}`, 'install', '--frozen-lockfile'], {
      cwd: root,
      stdio: 'inherit',
    })
  } catch {
    console.error('Installing dependencies failed (see above). Check the network connection to the npm registry and try again.')
    process.exit(1)
  }
  writeFileSync(stampPath, fingerprint)
}
