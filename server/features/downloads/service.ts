import { join } from 'node:path'
import { ACTIVE_DOWNLOAD_STATUSES, type Download, type DownloadFile, type DownloadProgress, type DownloadStatus } from '../../../shared/downloads'
import { isValidModelId } from '../../../shared/model-id'
import { badRequest, conflict, notFound } from '../../http/errors'
import type { EventBus } from '../events/bus'
import { ConnectionBudget } from './budget'
import { isSafeRevision, RepoPaths } from './cache-layout'
import type { DownloadDisk } from './disk'
import { DownloadFailure } from './failures'
import type { DownloadHub } from './hub'
import { DownloadJob } from './job'
import type { NewDownload } from './model'
import { DEFAULT_DOWNLOAD_OPTIONS, type DownloadOptions } from './options'
import { partialBytes } from './ranges'
import type { DownloadRepository, StoredDownload, StoredFile } from './repository'

export interface DownloadServiceDeps {
  repo: DownloadRepository
  hub: DownloadHub
  disk: DownloadDisk
  bus: EventBus
  cacheDir: string
  options?: Partial<DownloadOptions>
  now?: () => Date
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  random?: () => number
  logger?: Pick<Console, 'error'>
}

type StopReason = 'pause' | 'cancel' | 'shutdown'

interface Running {
  job: DownloadJob
  controller: AbortController
  done: Promise<void>
  lastSent: string
}

/** Sleeps, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** How long the hub may take to say whether a repo exists before a download is queued anyway. */
const HUB_CHECK_TIMEOUT_MS = 10_000

const notActive = (download: StoredDownload, action: string) =>
  conflict('download-not-active', `This download is ${download.status}; only an unfinished download can be ${action}.`)

/**
 * The download manager: a queue persisted in SQLite, M models at once, live progress on the
 * event bus, pause / resume / cancel, and a clean stop that keeps partial files for next time.
 */
export class DownloadService {
  readonly options: DownloadOptions
  /** Connections open at once over every download (a large file takes several). */
  private readonly budget: ConnectionBudget
  private readonly running = new Map<number, Running>()
  private readonly stopReasons = new Map<number, StopReason>()
  private ticker: ReturnType<typeof setInterval> | null = null
  private stopping = false
  private readonly now: () => Date
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>

  constructor(private readonly deps: DownloadServiceDeps) {
    this.options = { ...DEFAULT_DOWNLOAD_OPTIONS, ...deps.options }
    this.budget = new ConnectionBudget(this.options.connections)
    this.now = deps.now ?? (() => new Date())
    this.sleep = deps.sleep ?? abortableSleep
  }

  /** Puts back in the queue whatever a crash or kill left downloading, and starts the queue. */
  start(): void {
    this.stopping = false
    this.deps.repo.requeueInterrupted(this.stamp())
    this.schedule()
  }

  /** Stops every transfer, keeping partial files; they are queued again and resume on the next start. */
  async stop(): Promise<void> {
    this.stopping = true
    const running = [...this.running.entries()]
    for (const [id, entry] of running) this.abort(id, entry, 'shutdown')
    await Promise.all(running.map(([, entry]) => entry.done))
    this.stopTicker()
  }

  list(): Promise<Download[]> {
    return Promise.all(this.deps.repo.list().map((download) => this.present(download)))
  }

  get(id: number): Promise<Download> {
    return this.present(this.find(id))
  }

  /** The active download for a model, when one is queued, running or paused. */
  activeFor(modelId: string): StoredDownload | null {
    return this.deps.repo.activeForModel(modelId)
  }

  latestFor(modelId: string): StoredDownload | null {
    return this.deps.repo.latestForModel(modelId)
  }

  async create(input: NewDownload, userId: number | null): Promise<Download> {
    const modelId = input.modelId.trim()
    if (!isValidModelId(modelId)) {
      throw badRequest('invalid-model-id', 'A model id is org/name, such as mlx-community/Qwen3-4B-4bit.')
    }
    const revision = input.revision?.trim() || 'main'
    if (!isSafeRevision(revision)) throw badRequest('invalid-revision', 'A revision is a branch, tag or commit, such as main.')
    const existing = this.deps.repo.activeForModel(modelId)
    // Asking again for a model already in the queue joins it (and wakes it when paused).
    if (existing !== null) return existing.status === 'paused' ? this.resume(existing.id) : this.present(existing)
    await this.refuseUnknown(modelId, revision)
    const download = this.deps.repo.insert({ modelId, revision, requestedBy: userId, now: this.stamp() })
    await this.announce(download.id)
    this.schedule()
    return this.present(this.find(download.id))
  }

  /**
   * Asks the hub whether the repo (at that revision) exists before queueing it, so a mistyped id is
   * refused with the hub's answer instead of appearing as a download that fails a moment later.
   * Anything short of a definite "no such repo" (offline, rate-limited, gated, slow) queues as before:
   * the download itself retries or says why.
   */
  private async refuseUnknown(modelId: string, revision: string): Promise<void> {
    try {
      await this.deps.hub.resolveCommit(modelId, revision, AbortSignal.timeout(HUB_CHECK_TIMEOUT_MS))
    } catch (error) {
      if (error instanceof DownloadFailure && (error.code === 'model-not-found' || error.code === 'revision-not-found')) {
        throw notFound(error.code, error.message)
      }
    }
  }

  /** Removes a finished, failed or cancelled download from the list; a failed one's partial files go with it. */
  async clear(id: number): Promise<void> {
    const download = this.find(id)
    if (ACTIVE_DOWNLOAD_STATUSES.includes(download.status)) {
      throw conflict('download-active', `This download is ${download.status}; cancel it before clearing it from the list.`)
    }
    if (download.status === 'failed') await this.removePartials(download)
    this.deps.repo.remove(id)
    this.deps.bus.publish({ type: 'downloads.removed', data: { ids: [id] } })
  }

  /** Removes every completed and cancelled download from the list (failed ones stay: they may hold partial files). */
  clearFinished(): number[] {
    const ids = this.deps.repo.list().filter((d) => d.status === 'completed' || d.status === 'cancelled').map((d) => d.id)
    for (const id of ids) this.deps.repo.remove(id)
    if (ids.length > 0) this.deps.bus.publish({ type: 'downloads.removed', data: { ids } })
    return ids
  }

  async pause(id: number): Promise<Download> {
    const download = this.find(id)
    if (download.status === 'paused') return this.present(download)
    if (download.status !== 'queued' && download.status !== 'downloading') throw notActive(download, 'paused')
    this.deps.repo.setStatus(id, 'paused', this.stamp())
    const entry = this.running.get(id)
    if (entry !== undefined) {
      this.abort(id, entry, 'pause')
      await entry.done
    }
    await this.announce(id)
    return this.present(this.find(id))
  }

  /** Resumes a paused download, or retries a failed one from where its files stopped. */
  async resume(id: number): Promise<Download> {
    const download = this.find(id)
    if (download.status === 'queued' || download.status === 'downloading') return this.present(download)
    if (download.status !== 'paused' && download.status !== 'failed') throw notActive(download, 'resumed')
    const other = this.deps.repo.activeForModel(download.modelId)
    if (other !== null && other.id !== id) {
      throw conflict('download-exists', `${download.modelId} is already being downloaded (download ${other.id}).`)
    }
    this.deps.repo.setStatus(id, 'queued', this.stamp())
    await this.announce(id)
    this.schedule()
    return this.present(this.find(id))
  }

  /** Stops a download for good and removes its partial files (and the model folder when this download created it). */
  async cancel(id: number): Promise<Download> {
    const download = this.find(id)
    if (download.status === 'cancelled') return this.present(download)
    if (download.status === 'completed') {
      throw conflict('download-completed', 'This download has finished; delete the model from the library instead.')
    }
    this.deps.repo.setStatus(id, 'cancelled', this.stamp())
    const entry = this.running.get(id)
    if (entry !== undefined) {
      this.abort(id, entry, 'cancel')
      await entry.done
    }
    await this.removePartials(download)
    await this.announce(id)
    return this.present(this.find(id))
  }

  private async removePartials(download: StoredDownload): Promise<void> {
    const paths = new RepoPaths(this.deps.cacheDir, download.modelId)
    if (this.deps.repo.activeForModel(download.modelId) !== null) return
    if (download.createdRepo) {
      await this.deps.disk.removeTree(paths.root)
      this.deps.bus.publish({ type: 'models.changed', data: { modelId: download.modelId, reason: 'deleted' } })
      return
    }
    // The model was there before: keep its finished files, drop every partial one (only a resume could use them).
    for (const name of await this.deps.disk.list(paths.blobsDir)) {
      // The partial file, its ranges record, and a record a crash left half-written.
      if (name.includes('.incomplete')) await this.deps.disk.remove(join(paths.blobsDir, name))
    }
  }

  private find(id: number): StoredDownload {
    const download = this.deps.repo.find(id)
    if (download === null) throw notFound('download-not-found', `There is no download ${id}. The list may be out of date; reload it.`)
    return download
  }

  private schedule(): void {
    if (this.stopping) return
    for (const download of this.deps.repo.queued()) {
      if (this.running.size >= this.options.modelConcurrency) break
      if (!this.running.has(download.id)) this.launch(download)
    }
  }

  private launch(download: StoredDownload): void {
    const controller = new AbortController()
    const job = new DownloadJob(
      {
        hub: this.deps.hub,
        disk: this.deps.disk,
        repo: this.deps.repo,
        options: this.options,
        cacheDir: this.deps.cacheDir,
        sleep: this.sleep,
        random: this.deps.random,
        budget: this.budget,
      },
      download,
      controller.signal,
    )
    this.deps.repo.setStatus(download.id, 'downloading', this.stamp())
    const done = job
      .run()
      .then(
        () => this.finish(download, 'completed', null),
        (error: unknown) => this.settle(download, error),
      )
      .catch((error: unknown) => this.deps.logger?.error(error))
      .finally(() => {
        this.running.delete(download.id)
        this.stopReasons.delete(download.id)
        if (this.running.size === 0) this.stopTicker()
        this.schedule()
      })
    this.running.set(download.id, { job, controller, done, lastSent: '' })
    this.startTicker()
    void this.announce(download.id).catch((error: unknown) => this.deps.logger?.error(error))
  }

  private abort(id: number, entry: Running, reason: StopReason): void {
    this.stopReasons.set(id, reason)
    entry.controller.abort(new DOMException(`download ${reason}`, 'AbortError'))
  }

  private async settle(download: StoredDownload, error: unknown): Promise<void> {
    const reason = this.stopReasons.get(download.id)
    if (reason === 'pause' || reason === 'cancel') return // the caller has set the status and will announce it
    if (reason === 'shutdown') return this.finish(download, 'queued', null)
    if (error instanceof DownloadFailure) return this.finish(download, 'failed', error)
    this.deps.logger?.error(error)
    const message = error instanceof Error ? error.message : String(error)
    return this.finish(download, 'failed', new DownloadFailure('internal-error', `The download stopped unexpectedly (${message}). Resume to try again; the log has details.`))
  }

  private async finish(download: StoredDownload, status: DownloadStatus, failure: DownloadFailure | null): Promise<void> {
    this.deps.repo.setStatus(download.id, status, this.stamp(), failure?.toError() ?? null)
    this.publishProgress(download.id, true)
    await this.announce(download.id)
    if (status === 'completed') this.deps.bus.publish({ type: 'models.changed', data: { modelId: download.modelId, reason: 'downloaded' } })
  }

  private async announce(id: number): Promise<void> {
    const download = this.deps.repo.find(id)
    if (download !== null) this.deps.bus.publish({ type: 'downloads.state', data: await this.present(download) })
  }

  private startTicker(): void {
    this.ticker ??= setInterval(() => {
      for (const id of this.running.keys()) this.publishProgress(id, false)
    }, this.options.progressIntervalMs)
  }

  private stopTicker(): void {
    if (this.ticker !== null) clearInterval(this.ticker)
    this.ticker = null
  }

  /** Pushes progress when something changed since the last push (including the speed falling to 0). */
  private publishProgress(id: number, force: boolean): void {
    const entry = this.running.get(id)
    if (entry === undefined || entry.job.plan.length === 0) return
    const progress = this.progressOf(entry.job.download, entry.job.plan, entry.job)
    const key = `${progress.bytesDone}:${progress.speedBps}:${progress.filesDone}:${progress.files.map((f) => `${f.status}/${f.connections ?? 0}`).join()}`
    if (!force && key === entry.lastSent) return
    entry.lastSent = key
    this.deps.bus.publish({ type: 'downloads.progress', data: progress })
  }

  /** Progress events carry only the files moving now; the totals count every file. */
  private progressOf(download: StoredDownload, plan: StoredFile[], job: DownloadJob): DownloadProgress {
    const files = liveFiles(plan, job)
    return summarize(download, files, files.filter((file) => file.status === 'downloading' || file.status === 'verifying'))
  }

  /** The API shape: live numbers while running, what is on disk otherwise. */
  private async present(download: StoredDownload): Promise<Download> {
    const plan = this.deps.repo.files(download.id)
    const entry = this.running.get(download.id)
    let files: DownloadFile[]
    if (entry !== undefined && entry.job.plan.length > 0) {
      files = liveFiles(entry.job.plan, entry.job)
    } else {
      const paths = new RepoPaths(this.deps.cacheDir, download.modelId)
      files = await Promise.all(
        plan.map(async (file): Promise<DownloadFile> => {
          const onDisk = file.done ? file.size : await partialBytes(this.deps.disk, paths, file)
          return { path: file.path, sizeBytes: file.size, bytesDone: Math.min(onDisk, file.size), status: file.done ? 'done' : 'pending', speedBps: 0 }
        }),
      )
    }
    const summary = summarize(download, files, files)
    const stored = this.deps.repo.find(download.id) ?? download
    return {
      id: stored.id,
      modelId: stored.modelId,
      revision: stored.revision,
      commit: stored.commit,
      status: stored.status,
      bytesDone: summary.bytesDone,
      bytesTotal: summary.bytesTotal,
      filesDone: summary.filesDone,
      filesTotal: summary.filesTotal,
      speedBps: stored.status === 'downloading' ? summary.speedBps : 0,
      etaSeconds: stored.status === 'downloading' ? summary.etaSeconds : null,
      error: stored.error,
      files,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      completedAt: stored.completedAt,
    }
  }

  private stamp(): string {
    return this.now().toISOString()
  }
}

/** Every file of a running download with its live numbers. */
function liveFiles(plan: StoredFile[], job: DownloadJob): DownloadFile[] {
  return plan.map((file): DownloadFile => {
    const live = job.live.get(file.path)
    return {
      path: file.path,
      sizeBytes: file.size,
      bytesDone: file.done ? file.size : (live?.bytesDone ?? 0),
      status: file.done ? 'done' : (live?.status ?? 'pending'),
      speedBps: file.done || live === undefined ? 0 : live.meter.bytesPerSecond(),
      connections: file.done || live === undefined ? 0 : live.connections,
    }
  })
}

function summarize(download: StoredDownload, all: DownloadFile[], shown: DownloadFile[]): DownloadProgress {
  const bytesTotal = all.reduce((sum, file) => sum + file.sizeBytes, 0)
  const bytesDone = all.reduce((sum, file) => sum + file.bytesDone, 0)
  const speedBps = all.reduce((sum, file) => sum + file.speedBps, 0)
  return {
    id: download.id,
    modelId: download.modelId,
    bytesDone,
    bytesTotal,
    filesDone: all.filter((file) => file.status === 'done').length,
    filesTotal: all.length,
    speedBps,
    etaSeconds: speedBps > 0 ? Math.ceil((bytesTotal - bytesDone) / speedBps) : null,
    files: shown,
  }
}
