import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ensurePrivateDir } from './private-files'

/**
 * The JWT signing secret: made on first start, kept in the data dir readable by its owner only,
 * so sessions survive restarts without anyone having to configure a secret.
 */
export function loadOrCreateSecret(home: string): string {
  ensurePrivateDir(home)
  const path = join(home, 'secret')
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' })
  }
  // An older copy may have been written with looser bits; tighten them every start.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  const secret = readFileSync(path, 'utf8').trim()
  if (secret.length < 32) throw new Error(`The secret in ${path} is too short; delete the file and restart to make a new one.`)
  return secret
}
