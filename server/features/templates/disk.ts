import { chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

export interface StoredFile {
  name: string
  bytes: number
  modifiedAt: Date
}

/** The file calls the template store makes, behind one seam for tests. */
export interface TemplateDisk {
  /** Regular files in `dir` (symlinks and folders are not templates); none when it does not exist. */
  list(dir: string): StoredFile[]
  /** The regular file at `path`, or null. */
  stat(path: string): StoredFile | null
  /** Writes `content` to `dir/name` whole or not at all, the folder 0700 and the file 0600. */
  write(dir: string, name: string, content: string): void
  /** Removes the file; false when there was none. */
  remove(path: string): boolean
}

function fileAt(path: string, name: string): StoredFile | null {
  try {
    const stat = lstatSync(path)
    return stat.isFile() ? { name, bytes: stat.size, modifiedAt: stat.mtime } : null
  } catch {
    return null
  }
}

export const systemTemplateDisk: TemplateDisk = {
  list(dir) {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return []
    }
    return names.flatMap((name) => fileAt(join(dir, name), name) ?? [])
  },
  stat(path) {
    return fileAt(path, basename(path))
  },
  write(dir, name, content) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // It may have been made by hand, or before the manager kept its home private.
    chmodSync(dir, 0o700)
    // A leading dot: no template name starts with one, so a half-written file is never listed.
    const temporary = join(dir, `.${name}.${process.pid}.${crypto.randomUUID()}.tmp`)
    try {
      writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' })
      renameSync(temporary, join(dir, name))
    } finally {
      rmSync(temporary, { force: true })
    }
  },
  remove(path) {
    if (fileAt(path, '') === null) return false
    try {
      unlinkSync(path)
      return true
    } catch {
      return false
    }
  },
}
