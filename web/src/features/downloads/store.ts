import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ACTIVE_DOWNLOAD_STATUSES, type Download, type DownloadProgress } from '../../../../shared/downloads'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'
import { failureOf, type Failure } from '../auth/store'

const isActive = (download: Download) => ACTIVE_DOWNLOAD_STATUSES.includes(download.status)

/** Active downloads first (oldest first, as the queue runs them), then finished ones, newest first. */
export function orderDownloads(downloads: Download[]): Download[] {
  return [...downloads].sort((a, b) => {
    if (isActive(a) !== isActive(b)) return isActive(a) ? -1 : 1
    return isActive(a) ? a.id - b.id : b.updatedAt.localeCompare(a.updatedAt) || b.id - a.id
  })
}

/**
 * Downloads as the manager runs them. The list is fetched once; from then on `downloads.state` and
 * `downloads.progress` events keep it current, and a reconnect of the stream fetches it once again.
 */
export const useDownloadsStore = defineStore('downloads', () => {
  const byId = ref(new Map<number, Download>())

  const downloads = computed(() => orderDownloads([...byId.value.values()]))
  const active = computed(() => downloads.value.filter(isActive))

  const { loaded, loading, loadError, updatedAt, fromDevice, load, forget } = useGuardedLoad(
    () => request(api.downloads.get()),
    (list) => (byId.value = new Map(list.map((download) => [download.id, download]))),
    { snapshot: 'downloads' },
  )

  /** After the live stream (re)opens: events sent while it was down are gone, so fetch once. */
  async function catchUp(): Promise<void> {
    if (loaded.value) await load()
  }

  function put(download: Download): Download {
    const next = new Map(byId.value)
    next.set(download.id, download)
    byId.value = next
    return download
  }

  /** A `downloads.state` event, or the answer to an action: the whole download, newest wins. */
  function applyState(download: Download): void {
    const known = byId.value.get(download.id)
    if (known !== undefined && known.updatedAt > download.updatedAt) return
    put(download)
  }

  /** A `downloads.progress` event: bytes, speed and the files in flight; other files keep what they had. */
  function applyProgress(progress: DownloadProgress): void {
    const known = byId.value.get(progress.id)
    if (known === undefined) return
    const moving = new Map(progress.files.map((file) => [file.path, file]))
    const files = known.files.map((file) => {
      const update = moving.get(file.path)
      if (update !== undefined) return update
      // A file no longer in flight has stopped moving; never show its old speed or connections.
      return file.speedBps === 0 && (file.connections ?? 0) === 0 ? file : { ...file, speedBps: 0, connections: 0 }
    })
    for (const file of progress.files) if (!known.files.some((k) => k.path === file.path)) files.push(file)
    put({
      ...known,
      bytesDone: progress.bytesDone,
      bytesTotal: progress.bytesTotal,
      filesDone: progress.filesDone,
      filesTotal: progress.filesTotal,
      speedBps: progress.speedBps,
      etaSeconds: progress.etaSeconds,
      files,
    })
  }

  /**
   * The answer to an action. Events about the download may have overtaken it (a repo that fails in
   * milliseconds is already failed when the "queued" answer arrives), so it never replaces a state
   * that is as new or newer.
   */
  function answered(download: Download): Download {
    const known = byId.value.get(download.id)
    if (known !== undefined && known.updatedAt >= download.updatedAt) return known
    return put(download)
  }

  async function start(modelId: string, revision?: string): Promise<Download> {
    const body = revision === undefined || revision.trim() === '' ? { modelId } : { modelId, revision: revision.trim() }
    return answered(await guarded(() => request(api.downloads.post(body))))
  }

  // --- starting a model's download from its page ------------------------------------------------
  /** Models with a start in flight, so the page's button shows it and a second click starts nothing. */
  const starting = ref<ReadonlySet<string>>(new Set())
  /** Why the last start from a model's page was refused, shown on that model's page. */
  const startError = ref<{ modelId: string; failure: Failure } | null>(null)

  /** A model's page opened: a refusal about another model is no longer news. */
  function pageOpened(modelId: string): void {
    if (startError.value?.modelId !== modelId) startError.value = null
  }

  /**
   * Queues a model from its page (`POST /api/downloads`). The answer lands in this store, so the page
   * follows the download's events from the first; a refusal is kept in `startError` for the page.
   */
  async function startFromPage(modelId: string): Promise<void> {
    if (starting.value.has(modelId)) return
    starting.value = new Set([...starting.value, modelId])
    startError.value = null
    try {
      await start(modelId)
    } catch (failure) {
      startError.value = { modelId, failure: failureOf(failure) }
    } finally {
      const next = new Set(starting.value)
      next.delete(modelId)
      starting.value = next
    }
  }

  const pause = async (id: number) => answered(await guarded(() => request(api.downloads({ id }).pause.post())))
  /** Resumes a paused download, or retries a failed one from where its files stopped. */
  const resume = async (id: number) => answered(await guarded(() => request(api.downloads({ id }).resume.post())))
  /** Stops for good; the manager deletes the partial files. */
  const cancel = async (id: number) => answered(await guarded(() => request(api.downloads({ id }).cancel.post())))

  /** A `downloads.removed` event, or a clear of our own: those rows leave the list. */
  function drop(ids: number[]): void {
    if (!ids.some((id) => byId.value.has(id))) return
    const next = new Map(byId.value)
    for (const id of ids) next.delete(id)
    byId.value = next
  }

  /** Removes a finished, failed or cancelled download from the list (a failed one's partial files too). */
  async function clear(id: number): Promise<void> {
    await guarded(() => request(api.downloads({ id }).delete()))
    drop([id])
  }

  /** Removes every completed and cancelled download from the list. */
  async function clearFinished(): Promise<void> {
    const { ids } = await guarded(() => request(api.downloads.delete()))
    drop(ids)
  }

  function reset(): void {
    byId.value = new Map()
    forget()
  }

  return {
    downloads,
    active,
    loaded,
    loading,
    loadError,
    updatedAt,
    fromDevice,
    load,
    catchUp,
    applyState,
    applyProgress,
    start,
    starting,
    startError,
    startFromPage,
    pageOpened,
    pause,
    resume,
    cancel,
    drop,
    clear,
    clearFinished,
    reset,
  }
})
