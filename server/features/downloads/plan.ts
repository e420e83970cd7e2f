import { isWantedFile, unsafePathReason } from './cache-layout'
import { DownloadFailure } from './failures'
import type { HubFileEntry } from './hub'
import type { PlannedFile } from './transfer'

/**
 * Picks the files an engine loads (plus the model card) from the hub's tree and checks every
 * name and id before anything touches the disk: one unsafe name refuses the whole download.
 */
export function planFiles(modelId: string, entries: HubFileEntry[]): PlannedFile[] {
  const wanted = entries.filter((entry) => isWantedFile(entry.path) || unsafePathReason(entry.path) !== null)
  for (const entry of wanted) {
    const reason = unsafePathReason(entry.path)
    if (reason !== null) {
      throw new DownloadFailure(
        'unsafe-file-name',
        `${modelId} lists a file named ${JSON.stringify(entry.path.slice(0, 200))}, which ${reason}. Nothing was written; this repository may be malicious, so it was not downloaded.`,
      )
    }
  }
  const files = wanted.map((entry): PlannedFile => {
    const blobId = entry.lfs?.oid ?? entry.oid
    const size = entry.lfs?.size ?? entry.size
    const validId = entry.lfs === null ? /^[0-9a-f]{40}$/.test(blobId) : /^[0-9a-f]{64}$/.test(blobId)
    if (!validId || !Number.isSafeInteger(size) || size < 0) {
      throw new DownloadFailure('hub-error', `The hub described ${entry.path} in ${modelId} with an invalid checksum or size. Try again later.`)
    }
    return { path: entry.path, size, blobId, lfs: entry.lfs !== null }
  })
  if (!files.some((file) => file.path.endsWith('.safetensors') || file.path === 'config.json')) {
    throw new DownloadFailure(
      'no-model-files',
      `${modelId} has no config.json or *.safetensors weights, so no MLX engine could load it. Pick an MLX build of the model (for example from mlx-community).`,
    )
  }
  return files
}
