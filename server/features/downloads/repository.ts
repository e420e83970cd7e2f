import type { Database } from 'bun:sqlite'
import type { DownloadError, DownloadStatus } from '../../../shared/downloads'
import type { PlannedFile } from './transfer'

interface DownloadRow {
  id: number
  model_id: string
  revision: string
  commit_sha: string | null
  status: DownloadStatus
  error_code: string | null
  error_message: string | null
  created_repo: number
  created_at: string
  updated_at: string
  completed_at: string | null
}

interface FileRow {
  path: string
  size: number
  blob_id: string
  lfs: number
  done: number
}

export interface StoredDownload {
  id: number
  modelId: string
  revision: string
  commit: string | null
  status: DownloadStatus
  error: DownloadError | null
  createdRepo: boolean
  createdAt: string
  updatedAt: string
  completedAt: string | null
}

export interface StoredFile extends PlannedFile {
  done: boolean
}

function toDownload(row: DownloadRow): StoredDownload {
  return {
    id: row.id,
    modelId: row.model_id,
    revision: row.revision,
    commit: row.commit_sha,
    status: row.status,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    createdRepo: row.created_repo === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  }
}

/** The download queue in SQLite: it survives restarts and crashes; the bytes themselves live in the cache. */
export function createDownloadRepository(db: Database) {
  const byId = db.query<DownloadRow, [number]>('SELECT * FROM downloads WHERE id = ?')
  const filesOf = db.query<FileRow, [number]>('SELECT path, size, blob_id, lfs, done FROM download_files WHERE download_id = ? ORDER BY path')
  return {
    insert(input: { modelId: string; revision: string; requestedBy: number | null; now: string }): StoredDownload {
      const row = db
        .query<DownloadRow, [string, string, number | null, string, string]>(
          "INSERT INTO downloads (model_id, revision, status, requested_by, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?) RETURNING *",
        )
        .get(input.modelId, input.revision, input.requestedBy, input.now, input.now)
      if (row === null) throw new Error('Inserting a download returned no row.')
      return toDownload(row)
    },
    find(id: number): StoredDownload | null {
      const row = byId.get(id)
      return row === null ? null : toDownload(row)
    },
    /** Newest first, as a list of recent activity reads. */
    list(): StoredDownload[] {
      return db.query<DownloadRow, []>('SELECT * FROM downloads ORDER BY id DESC').all().map(toDownload)
    },
    activeForModel(modelId: string): StoredDownload | null {
      const row = db
        .query<DownloadRow, [string]>(
          "SELECT * FROM downloads WHERE model_id = ? AND status IN ('queued', 'downloading', 'paused') ORDER BY id LIMIT 1",
        )
        .get(modelId)
      return row === null ? null : toDownload(row)
    },
    latestForModel(modelId: string): StoredDownload | null {
      const row = db.query<DownloadRow, [string]>('SELECT * FROM downloads WHERE model_id = ? ORDER BY id DESC LIMIT 1').get(modelId)
      return row === null ? null : toDownload(row)
    },
    /** Oldest queued first: the queue is first come, first served. */
    queued(): StoredDownload[] {
      return db.query<DownloadRow, []>("SELECT * FROM downloads WHERE status = 'queued' ORDER BY id").all().map(toDownload)
    },
    setStatus(id: number, status: DownloadStatus, now: string, error: DownloadError | null = null): void {
      db.query(
        'UPDATE downloads SET status = ?, error_code = ?, error_message = ?, updated_at = ?, completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE id = ?',
      ).run(status, error?.code ?? null, error?.message ?? null, now, status === 'completed' ? 1 : 0, now, id)
    },
    /** Pins the commit and the file list; runs once per download, before any byte is written. */
    setPlan(id: number, commit: string, files: PlannedFile[]): void {
      db.transaction(() => {
        db.query('UPDATE downloads SET commit_sha = ? WHERE id = ?').run(commit, id)
        db.query('DELETE FROM download_files WHERE download_id = ?').run(id)
        const insert = db.query('INSERT INTO download_files (download_id, path, size, blob_id, lfs) VALUES (?, ?, ?, ?, ?)')
        for (const file of files) insert.run(id, file.path, file.size, file.blobId, file.lfs ? 1 : 0)
      })()
    },
    files(id: number): StoredFile[] {
      return filesOf.all(id).map((row) => ({ path: row.path, size: row.size, blobId: row.blob_id, lfs: row.lfs === 1, done: row.done === 1 }))
    },
    markFileDone(id: number, path: string): void {
      db.query('UPDATE download_files SET done = 1 WHERE download_id = ? AND path = ?').run(id, path)
    },
    /** Its files' rows go with it (ON DELETE CASCADE). */
    remove(id: number): void {
      db.query('DELETE FROM downloads WHERE id = ?').run(id)
    },
    markCreatedRepo(id: number): void {
      db.query('UPDATE downloads SET created_repo = 1 WHERE id = ?').run(id)
    },
    /** After a crash or a kill, what was downloading goes back to the queue. */
    requeueInterrupted(now: string): number {
      return db.query("UPDATE downloads SET status = 'queued', updated_at = ? WHERE status = 'downloading'").run(now).changes
    },
  }
}

export type DownloadRepository = ReturnType<typeof createDownloadRepository>
