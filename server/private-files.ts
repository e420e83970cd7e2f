import { chmodSync, closeSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/**
 * MLX_MANAGER_HOME holds the accounts database, the signing secret, logs with prompts in them:
 * folders 0700 and files 0600, set explicitly since the process umask may be looser.
 */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Folders under the home not walked at start: managed engine environments hold thousands of package files, shut in by the home's own 0700. */
const NOT_WALKED = new Set(['engines'])

/** Makes `dir` (and missing parents) owner-only. */
export function ensurePrivateDir(dir: string): void {
  if (mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE }) !== undefined) chmodSync(dir, PRIVATE_DIR_MODE)
}

/** Opens (creating if needed) a file readable by its owner only, also when it existed with looser bits. */
export function openPrivateFile(path: string, flags: string): number {
  const fd = openSync(path, flags, PRIVATE_FILE_MODE)
  fchmodSync(fd, PRIVATE_FILE_MODE)
  return fd
}

/** Creates the file empty when missing, so what opens it next (SQLite) inherits owner-only bits. */
export function touchPrivateFile(path: string): void {
  closeSync(openPrivateFile(path, 'a'))
}

export function writePrivateFile(path: string, data: string): void {
  writeFileSync(path, data, { mode: PRIVATE_FILE_MODE })
  chmodSync(path, PRIVATE_FILE_MODE)
}

/**
 * Takes group and other bits off the home and what is in it (never following links; engine
 * environments only at their top), and returns what was loosened, relative to the home ('.' for itself).
 */
export function tightenPrivateTree(home: string): string[] {
  ensurePrivateDir(home)
  const tightened: string[] = []
  const visit = (path: string, walk: boolean) => {
    let stat
    try {
      stat = lstatSync(path)
    } catch {
      return // gone in the meantime
    }
    if (stat.isSymbolicLink() || !(stat.isDirectory() || stat.isFile())) return
    if ((stat.mode & 0o077) !== 0) {
      // Owner bits stay as they are, so an executable keeps running.
      chmodSync(path, stat.mode & 0o700)
      tightened.push(relative(home, path) || '.')
    }
    if (stat.isDirectory() && walk) {
      for (const name of readdirSync(path)) visit(join(path, name), !(path === home && NOT_WALKED.has(name)))
    }
  }
  visit(home, true)
  return tightened
}

/** One line for the start log naming what `tightenPrivateTree` changed. */
export function tightenedNotice(home: string, tightened: string[]): string | null {
  if (tightened.length === 0) return null
  const shown = tightened.slice(0, 8).join(', ')
  const more = tightened.length > 8 ? ` and ${tightened.length - 8} more` : ''
  return `Made private (owner only) in ${home}: ${shown}${more}; they were readable by other users.`
}
