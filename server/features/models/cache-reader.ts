import { lstat, open, readdir, readlink, realpath, rm, unlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { isInside } from '../downloads/cache-layout'

export interface EntryStat {
  kind: 'file' | 'dir' | 'symlink' | 'other'
  size: number
  atimeMs: number
  mtimeMs: number
}

/** The file-system calls the library makes. None of them follows a symlink unless the target was checked first. */
export interface CacheReader {
  /** lstat: never follows a symlink. Null when missing. */
  stat(path: string): Promise<EntryStat | null>
  list(dir: string): Promise<string[]>
  /** Where a symlink points, as an absolute path, only when it stays inside `within` (checked before and after resolving). */
  linkTarget(link: string, within: string): Promise<string | null>
  /** The start of a small file, or null when it is larger than `limit`. */
  readSmall(path: string, limit: number): Promise<string | null>
  /** Removes a folder tree without following any symlink in it, or just the link when `path` is one. */
  remove(path: string): Promise<void>
}

const isMissing = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export const systemCacheReader: CacheReader = {
  async stat(path) {
    try {
      const stats = await lstat(path)
      const kind = stats.isSymbolicLink() ? 'symlink' : stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : 'other'
      return { kind, size: stats.size, atimeMs: stats.atimeMs, mtimeMs: stats.mtimeMs }
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  },
  async list(dir) {
    try {
      return await readdir(dir)
    } catch (error) {
      if (isMissing(error)) return []
      throw error
    }
  },
  async linkTarget(link, within) {
    let target: string
    try {
      target = resolve(dirname(link), await readlink(link))
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
    if (!isInside(within, target)) return null
    try {
      // The target itself (or a folder on the way) could be another symlink leading out.
      const [real, realWithin] = await Promise.all([realpath(target), realpath(within)])
      return isInside(realWithin, real) ? real : null
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  },
  async readSmall(path, limit) {
    const handle = await open(path, 'r')
    try {
      const stats = await handle.stat()
      if (!stats.isFile() || stats.size > limit) return null
      const buffer = Buffer.alloc(stats.size)
      await handle.read(buffer, 0, stats.size, 0)
      return buffer.toString('utf8')
    } finally {
      await handle.close()
    }
  },
  async remove(path) {
    const stats = await lstat(path)
    if (stats.isSymbolicLink()) await unlink(path)
    else await rm(path, { recursive: true, force: true })
  },
}

