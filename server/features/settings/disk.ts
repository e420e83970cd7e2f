import { statfs } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Free and total bytes of the disk a folder is on; a folder not made yet is measured at its nearest existing parent. */
export async function diskSpace(path: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const stats = await statfs(dir)
      return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT' || dirname(dir) === dir) return null
    }
  }
}
