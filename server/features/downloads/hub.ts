import type { FileResponse, HubClient as Hub } from '../../hub/client'
import type { HubFileEntry } from '../../hub/repo'
import { DownloadFailure, fromHubFailure } from './failures'

export type { FileResponse } from '../../hub/client'
export type { HubFileEntry } from '../../hub/repo'

/**
 * What the download manager needs from the hub: the shared hub client (token, redirects, hub
 * answers decided there), with its failures worded as download failures. Tests may fake it.
 */
export interface DownloadHub {
  readonly hasToken: boolean
  resolveCommit(modelId: string, revision: string, signal: AbortSignal): Promise<string>
  listFiles(modelId: string, commit: string, signal: AbortSignal): Promise<HubFileEntry[]>
  /** From `offset` on, or only to `end` (inclusive) for one range of a file fetched over several connections. */
  openFile(modelId: string, commit: string, path: string, offset: number, signal: AbortSignal, end?: number): Promise<FileResponse>
}

export function createDownloadHub(hub: Hub): DownloadHub {
  const worded = async <T>(modelId: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      throw fromHubFailure(error, modelId)
    }
  }
  return {
    get hasToken() {
      return hub.hasToken
    },
    resolveCommit: (modelId, revision, signal) =>
      worded(modelId, async () => {
        const { sha } = await hub.modelInfo(modelId, { revision, signal })
        if (sha === null || !/^[0-9a-f]{40}$/.test(sha)) {
          throw new DownloadFailure('hub-error', `The hub did not name a commit for ${modelId}@${revision}.`, true)
        }
        return sha
      }),
    listFiles: (modelId, commit, signal) => worded(modelId, () => hub.listFiles(modelId, commit, signal)),
    openFile: (modelId, commit, path, offset, signal, end) => worded(modelId, () => hub.openFile(modelId, commit, path, offset, signal, end)),
  }
}
