import { dirname, join } from 'node:path'
import { formatBytes } from '../../../shared/units'
import type { ConnectionBudget } from './budget'
import { isCommitSha, isInside, RepoPaths } from './cache-layout'
import type { DownloadDisk } from './disk'
import { DownloadFailure, diskFailure } from './failures'
import type { DownloadHub } from './hub'
import type { DownloadOptions } from './options'
import { fetchBlob } from './parallel'
import { planFiles } from './plan'
import { partialBytes } from './ranges'
import type { DownloadRepository, StoredDownload, StoredFile } from './repository'
import { SpeedMeter } from './speed'
import { retryDelay, type FileLive, type PlannedFile, type TransferContext } from './transfer'

export interface JobDeps {
  hub: DownloadHub
  disk: DownloadDisk
  repo: DownloadRepository
  options: DownloadOptions
  cacheDir: string
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  random?: () => number
  budget: ConnectionBudget
}


/** One run of one download: pin the commit, plan the files, fetch them N at a time, link the snapshot. */
export class DownloadJob {
  /** Live state per file path, read by the progress ticker. */
  readonly live = new Map<string, FileLive>()
  plan: StoredFile[] = []

  constructor(
    private readonly deps: JobDeps,
    readonly download: StoredDownload,
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<void> {
    const { deps, download, signal } = this
    const paths = new RepoPaths(deps.cacheDir, download.modelId)
    let commit = download.commit
    this.plan = deps.repo.files(download.id)
    if (commit === null || this.plan.length === 0) {
      const resolved = await this.retrying(() => deps.hub.resolveCommit(download.modelId, download.revision, signal))
      const entries = await this.retrying(() => deps.hub.listFiles(download.modelId, resolved, signal))
      deps.repo.setPlan(download.id, resolved, planFiles(download.modelId, entries))
      commit = resolved
      this.plan = deps.repo.files(download.id)
    }
    if (!isCommitSha(commit)) throw new DownloadFailure('hub-error', `The hub named an invalid commit for ${download.modelId}.`)

    await this.prepare(paths, commit)
    const pending = this.plan.filter((file) => !file.done)
    // Identical files share one blob: fetch each blob once, then link every path that uses it.
    const blobs = new Map<string, PlannedFile>()
    for (const file of pending) if (!blobs.has(file.blobId)) blobs.set(file.blobId, file)
    await this.checkFreeSpace(paths, [...blobs.values()])
    await this.fetchAll(paths, commit, [...blobs.values()])

    if (download.revision !== commit && !commit.startsWith(download.revision)) {
      try {
        await deps.disk.writeText(paths.ref(download.revision), commit)
      } catch (error) {
        throw diskFailure(error, deps.cacheDir)
      }
    }
  }

  private async prepare(paths: RepoPaths, commit: string): Promise<void> {
    const { disk, repo } = this.deps
    try {
      await disk.mkdir(this.deps.cacheDir)
      if ((await disk.kind(paths.root)) === null) repo.markCreatedRepo(this.download.id)
      await this.realDir(paths.root, this.deps.cacheDir)
      await this.realDir(paths.blobsDir, paths.root)
      await this.realDir(dirname(paths.snapshotDir(commit)), paths.root)
      await this.realDir(paths.snapshotDir(commit), paths.root)
      // An empty refs/ keeps other tools' cache scanners happy while the download runs.
      await this.realDir(paths.refsDir, paths.root)
    } catch (error) {
      if (error instanceof DownloadFailure) throw error
      throw diskFailure(error, this.deps.cacheDir)
    }
    for (const file of this.plan) {
      const onDisk = file.done ? file.size : ((await disk.size(paths.blob(file.blobId))) ?? (await partialBytes(disk, paths, file)))
      this.live.set(file.path, {
        bytesDone: Math.min(onDisk, file.size),
        status: file.done ? 'done' : 'pending',
        meter: new SpeedMeter(this.deps.options.speedWindowMs),
        connections: 0,
      })
    }
  }

  /**
   * Creates a folder of the repo, refusing one that is (or leads through) a symlink out of
   * `within`: whatever planted it, the download never writes through it.
   */
  private async realDir(path: string, within: string): Promise<void> {
    const { disk } = this.deps
    const kind = await disk.kind(path)
    if (kind === null) await disk.mkdir(path)
    const real = kind === null || kind === 'dir' ? await disk.realpath(path) : null
    if (real === null || !isInside(await disk.realpath(within), real)) {
      throw new DownloadFailure(
        'unsafe-cache',
        `${path} is a symlink or file where the cache needs a folder, and it leads out of the model cache. Nothing was written through it; remove it (or delete the model) and resume.`,
      )
    }
  }

  private async checkFreeSpace(paths: RepoPaths, blobs: PlannedFile[]): Promise<void> {
    let needed = 0
    for (const file of blobs) {
      if ((await this.deps.disk.size(paths.blob(file.blobId))) === file.size) continue
      needed += Math.max(0, file.size - (await partialBytes(this.deps.disk, paths, file)))
    }
    if (needed === 0) return
    const free = await this.deps.disk.freeBytes(this.deps.cacheDir)
    if (free < needed + this.deps.options.diskReserveBytes) {
      throw new DownloadFailure(
        'disk-space-low',
        `${this.download.modelId} needs ${formatBytes(needed)} more but only ${formatBytes(free)} is free on the disk holding ${this.deps.cacheDir}. Free some space (delete models you no longer use) and resume.`,
      )
    }
  }

  private async fetchAll(paths: RepoPaths, commit: string, blobs: PlannedFile[]): Promise<void> {
    const inner = new AbortController()
    const signal = AbortSignal.any([this.signal, inner.signal])
    // Largest first: the long transfers start at once and the small files fill the other lanes.
    const queue = [...blobs].sort((a, b) => b.size - a.size)
    let failure: Error | null = null
    const context: TransferContext = {
      hub: this.deps.hub,
      disk: this.deps.disk,
      options: this.deps.options,
      modelId: this.download.modelId,
      commit,
      paths,
      signal,
      sleep: this.deps.sleep,
      random: this.deps.random,
      budget: this.deps.budget,
    }
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined && failure === null; next = queue.shift()) {
        const blob = next
        const live = this.live.get(blob.path)
        if (live === undefined) continue
        try {
          await fetchBlob(blob, live, context)
          for (const file of this.plan.filter((f) => f.blobId === blob.blobId && !f.done)) await this.linkFile(paths, commit, file)
        } catch (error) {
          if (failure === null) {
            failure = error instanceof Error ? error : new Error(String(error))
            inner.abort(failure)
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.deps.options.fileConcurrency, queue.length) }, worker))
    if (this.signal.aborted) throw this.signal.reason
    if (failure !== null) throw failure as Error
  }

  private async linkFile(paths: RepoPaths, commit: string, file: StoredFile): Promise<void> {
    const target = paths.snapshotFile(commit, file.path)
    try {
      // Each folder on the way into the snapshot is checked, so a planted symlink cannot redirect the link.
      const snapshot = paths.snapshotDir(commit)
      const folders = file.path.split('/').slice(0, -1)
      for (let depth = 1; depth <= folders.length; depth++) await this.realDir(join(snapshot, ...folders.slice(0, depth)), snapshot)
      await this.deps.disk.link(paths.linkTarget(file.path, file.blobId), target)
    } catch (error) {
      if (error instanceof DownloadFailure) throw error
      throw diskFailure(error, this.deps.cacheDir)
    }
    this.deps.repo.markFileDone(this.download.id, file.path)
    file.done = true
    const live = this.live.get(file.path)
    if (live !== undefined) {
      live.bytesDone = file.size
      live.status = 'done'
    }
  }

  /** Metadata calls retry like file transfers: network drops, 5xx and 429 back off and try again. */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (error) {
        if (this.signal.aborted) throw this.signal.reason
        if (!(error instanceof DownloadFailure) || !error.retryable || attempt >= this.deps.options.maxAttempts) throw error
        await this.deps.sleep(retryDelay(attempt, this.deps.options, this.deps.random ?? Math.random, error.retryAfterSeconds), this.signal)
      }
    }
  }
}
