import type { RepoPaths } from './cache-layout'
import type { DownloadDisk } from './disk'

/**
 * Which bytes of a partial file fetched over several connections are on disk. The file is cut into
 * ranges of `rangeBytes`; each is written in order from its start, so one number per range says
 * how much of it is there. The record lives next to the partial file (`{blob}.incomplete.ranges`)
 * rather than in the database: it goes wherever the file goes (a copied or cleaned cache, a second
 * manager on the same cache), cancel and clear remove it with it, and it is written after the data
 * is synced, so it never claims bytes the disk does not hold. Whatever it gets wrong, the sha256
 * over the whole file before the rename catches.
 */
export interface RangeRecord {
  size: number
  rangeBytes: number
  /** Bytes on disk from the start of each range. */
  done: number[]
}

export function rangeCount(size: number, rangeBytes: number): number {
  return Math.max(1, Math.ceil(size / rangeBytes))
}

export function rangeLength(record: Pick<RangeRecord, 'size' | 'rangeBytes'>, index: number): number {
  return Math.max(0, Math.min(record.rangeBytes, record.size - index * record.rangeBytes))
}

/** A fresh record; a partial file from one stream (no record) counts as that many bytes from the start. */
export function newRecord(size: number, rangeBytes: number, prefix: number): RangeRecord {
  const done = Array.from({ length: rangeCount(size, rangeBytes) }, (_, index) => Math.max(0, Math.min(rangeBytes, size - index * rangeBytes, prefix - index * rangeBytes)))
  return { size, rangeBytes, done }
}

export const bytesDone = (record: RangeRecord) => record.done.reduce((sum, bytes) => sum + bytes, 0)

/** Bytes from the file's first that are all on disk: how far its checksum may read. */
export function contiguousPrefix(record: RangeRecord): number {
  let bytes = 0
  for (const [index, done] of record.done.entries()) {
    bytes += done
    if (done < rangeLength(record, index)) break
  }
  return bytes
}

/** The record for a file of `size` bytes, or null when there is none or it does not describe this file. */
export function parseRecord(text: string, size: number): RangeRecord | null {
  try {
    const value = JSON.parse(text) as Partial<RangeRecord>
    if (value.size !== size || !Number.isSafeInteger(value.rangeBytes) || (value.rangeBytes ?? 0) <= 0 || !Array.isArray(value.done)) return null
    const record = { size, rangeBytes: value.rangeBytes ?? 0, done: value.done }
    if (record.done.length !== rangeCount(size, record.rangeBytes)) return null
    if (!record.done.every((bytes, index) => Number.isSafeInteger(bytes) && bytes >= 0 && bytes <= rangeLength(record, index))) return null
    return record
  } catch {
    return null
  }
}

export async function readRecord(disk: DownloadDisk, path: string, size: number): Promise<RangeRecord | null> {
  const text = await disk.readText(path).catch(() => null)
  return text === null ? null : parseRecord(text, size)
}

/** The furthest byte a record says was written: the partial file must reach it, or the record is not its own. */
export function recordExtent(record: RangeRecord): number {
  let extent = 0
  for (const [index, done] of record.done.entries()) if (done > 0) extent = index * record.rangeBytes + done
  return extent
}

/** What is on disk of a file not yet whole: its record's count, or the partial file's length. */
export async function partialBytes(disk: DownloadDisk, paths: RepoPaths, file: { blobId: string; size: number }): Promise<number> {
  const record = await readRecord(disk, paths.ranges(file.blobId), file.size)
  if (record !== null) return bytesDone(record)
  return Math.min(file.size, (await disk.size(paths.incomplete(file.blobId))) ?? 0)
}
