import type { LocalModel, LocalModelState } from '../../../shared/local-models'
import { isValidModelId } from '../../../shared/model-id'
import { badRequest, conflict, notFound } from '../../http/errors'
import { repoFolderName } from '../downloads/cache-layout'
import type { EventBus } from '../events/bus'
import type { CacheReader } from './cache-reader'
import type { ModelUsageRepository } from './repository'
import { scanCache } from './scan'
import { noModelUsage, type ModelUsage } from './usage'
import { join } from 'node:path'

/** What the library needs from the download manager. */
export interface ActiveDownloads {
  activeFor(modelId: string): { id: number; status: string } | null
  /** The newest download of the model whatever its status, to tell a failed one's leftovers from a finished model. */
  latestFor(modelId: string): { id: number; status: string; commit: string | null } | null
}

export interface LocalModelDeps {
  cacheDir: string
  reader: CacheReader
  bus: EventBus
  downloads: ActiveDownloads
  usageRecords: ModelUsageRepository
  now?: () => Date
}

export function validModelId(modelId: string): string {
  if (!isValidModelId(modelId)) throw badRequest('invalid-model-id', 'A model id is org/name, such as mlx-community/Qwen3-4B-4bit.')
  return modelId
}

/** The models in the HuggingFace cache: listed with what they are and how big, deleted when no server uses them. */
export class LocalModelService {
  private usage: ModelUsage = noModelUsage

  constructor(private readonly deps: LocalModelDeps) {}

  /** The server supervisor plugs in here, so deleting a model it runs is refused. */
  useModelUsage(usage: ModelUsage): void {
    this.usage = usage
  }

  /** Records that a server started with this model, for "last used". */
  recordUse(modelId: string): void {
    this.deps.usageRecords.touch(validModelId(modelId), (this.deps.now?.() ?? new Date()).toISOString())
  }

  async list(): Promise<LocalModel[]> {
    const scanned = await scanCache(this.deps.cacheDir, this.deps.reader)
    return scanned
      .map(({ partialOnDisk, ...model }): LocalModel => {
        let download = this.deps.downloads.activeFor(model.id)
        let state: LocalModelState = partialOnDisk ? 'partial' : 'complete'
        if (download !== null && download.status !== 'paused') state = 'downloading'
        else if (download !== null) state = 'partial'
        else {
          // A download that failed part way leaves a snapshot with only some files: partial, and resumable.
          const latest = this.deps.downloads.latestFor(model.id)
          if (latest?.status === 'failed' && latest.commit === model.revision) {
            state = 'partial'
            download = latest
          }
        }
        const recorded = this.deps.usageRecords.lastUsedAt(model.id)
        const lastUsedAt = [model.lastUsedAt, recorded].filter((v): v is string => v !== null).sort().at(-1) ?? null
        return { ...model, state, lastUsedAt, lastServedAt: recorded, downloadId: download?.id ?? null }
      })
      .sort((a, b) => (b.lastUsedAt ?? b.modifiedAt).localeCompare(a.lastUsedAt ?? a.modifiedAt))
  }

  async remove(org: string, name: string): Promise<void> {
    const modelId = validModelId(`${org}/${name}`)
    if (this.usage.isInUse(modelId)) {
      throw conflict('model-in-use', `${modelId} is loaded by a running server. Stop that server first, then delete the model.`)
    }
    const download = this.deps.downloads.activeFor(modelId)
    if (download !== null) {
      throw conflict('download-active', `${modelId} has a download in progress (download ${download.id}). Cancel it first; that removes its partial files.`)
    }
    const root = join(this.deps.cacheDir, repoFolderName(modelId))
    if ((await this.deps.reader.stat(root)) === null) {
      throw notFound('model-not-found', `${modelId} is not in the model cache. The list may be out of date; reload it.`)
    }
    await this.deps.reader.remove(root)
    this.deps.usageRecords.forget(modelId)
    this.deps.bus.publish({ type: 'models.changed', data: { modelId, reason: 'deleted' } })
  }
}
