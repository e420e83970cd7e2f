import {
  appendFileSync,
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  watch,
} from 'node:fs'
import { join } from 'node:path'
import { ensurePrivateDir, openPrivateFile, PRIVATE_FILE_MODE } from '../../private-files'

/** The log files of model servers, one per profile under MLX_MANAGER_HOME/logs, behind a seam for tests. */
export interface LogFiles {
  path(profileId: number): string
  /** Moves the previous run's log aside (keeping `keep` old ones) and opens a fresh file for appending. */
  openForRun(profileId: number): number
  close(fd: number): void
  append(path: string, text: string): void
  size(path: string): number
  read(path: string, from: number, maxBytes: number): Buffer
  /** Size-based rotation while the engine keeps its file open: copy aside, then truncate in place. */
  copyTruncate(path: string): void
  /** Calls `onChange` when the file is written; returns a function that stops watching. */
  watch(path: string, onChange: () => void): () => void
  remove(profileId: number): void
}

export function createLogFiles(dir: string, keep = 3): LogFiles {
  const path = (profileId: number) => join(dir, `profile-${profileId}.log`)
  const shift = (file: string) => {
    for (let n = keep - 1; n >= 1; n--) {
      if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`)
    }
  }
  return {
    path,
    openForRun(profileId) {
      ensurePrivateDir(dir)
      const file = path(profileId)
      if (existsSync(file) && statSync(file).size > 0) {
        shift(file)
        renameSync(file, `${file}.1`)
      }
      // O_APPEND: the engine's writes and the manager's notes never overwrite each other, and a
      // copy-truncate rotation makes the engine continue at the start of the emptied file.
      return openPrivateFile(file, 'a')
    },
    close(fd) {
      closeSync(fd)
    },
    append(file, text) {
      ensurePrivateDir(dir)
      appendFileSync(file, text, { mode: PRIVATE_FILE_MODE })
    },
    size(file) {
      try {
        return statSync(file).size
      } catch {
        return 0
      }
    },
    read(file, from, maxBytes) {
      let fd: number | null = null
      try {
        fd = openSync(file, 'r')
        const buffer = Buffer.alloc(maxBytes)
        const read = readSync(fd, buffer, 0, maxBytes, from)
        return buffer.subarray(0, read)
      } catch {
        return Buffer.alloc(0)
      } finally {
        if (fd !== null) closeSync(fd)
      }
    },
    copyTruncate(file) {
      shift(file)
      copyFileSync(file, `${file}.1`)
      chmodSync(`${file}.1`, PRIVATE_FILE_MODE)
      truncateSync(file, 0)
    },
    watch(file, onChange) {
      try {
        const watcher = watch(file, { persistent: false }, () => onChange())
        watcher.on('error', () => undefined)
        return () => watcher.close()
      } catch {
        return () => undefined
      }
    },
    remove(profileId) {
      const file = path(profileId)
      for (const candidate of [file, ...Array.from({ length: keep }, (_, n) => `${file}.${n + 1}`)]) rmSync(candidate, { force: true })
    },
  }
}
