import { join } from 'node:path'
import { capabilitiesOf, quantizationOf, shapeOf, type LocalModel } from '../../../shared/local-models'
import { modelIdFromFolder, repoFolderName } from '../downloads/cache-layout'
import type { CacheReader } from './cache-reader'

/** A repo folder as found on disk, before the download manager's and the supervisor's views are added. */
export type ScannedModel = Omit<LocalModel, 'state' | 'downloadId' | 'lastServedAt'> & { partialOnDisk: boolean }

const CONFIG_LIMIT = 4 * 2 ** 20
const MAX_FILES = 20_000
const MAX_DEPTH = 16

interface SnapshotFile {
  path: string
  size: number
  /** False when the link dangles or points out of the blobs folder (never followed). */
  present: boolean
  realPath: string | null
}

function parseJson(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Every model folder in the cache, including those other tools downloaded and those half downloaded. */
export async function scanCache(cacheDir: string, reader: CacheReader): Promise<ScannedModel[]> {
  const out: ScannedModel[] = []
  for (const folder of (await reader.list(cacheDir)).sort()) {
    const modelId = modelIdFromFolder(folder)
    if (modelId === null) continue
    const scanned = await scanRepo(cacheDir, modelId, reader)
    if (scanned !== null) out.push(scanned)
  }
  return out
}

export async function scanRepo(cacheDir: string, modelId: string, reader: CacheReader): Promise<ScannedModel | null> {
  const root = join(cacheDir, repoFolderName(modelId))
  // A repo folder that is itself a symlink could lead anywhere: it is not ours to read.
  if ((await reader.stat(root))?.kind !== 'dir') return null
  const blobsDir = join(root, 'blobs')
  let sizeOnDisk = 0
  let partial = false
  let lastAccess = 0
  let modified = 0
  let blobCount = 0
  if ((await reader.stat(blobsDir))?.kind === 'dir') {
    for (const name of await reader.list(blobsDir)) {
      const stats = await reader.stat(join(blobsDir, name))
      if (stats?.kind !== 'file') continue
      sizeOnDisk += stats.size
      blobCount++
      if (name.endsWith('.incomplete')) partial = true
      lastAccess = Math.max(lastAccess, stats.atimeMs)
      modified = Math.max(modified, stats.mtimeMs)
    }
  }

  const snapshotsDir = join(root, 'snapshots')
  const snapshots: { commit: string; mtimeMs: number }[] = []
  for (const name of await reader.list(snapshotsDir)) {
    const stats = await reader.stat(join(snapshotsDir, name))
    if (stats?.kind === 'dir' && /^[\w.-]{1,128}$/.test(name)) snapshots.push({ commit: name, mtimeMs: stats.mtimeMs })
  }
  const refMain = await readRef(join(root, 'refs', 'main'), reader)
  const revision =
    (refMain !== null && snapshots.some((s) => s.commit === refMain) ? refMain : null) ??
    [...snapshots].sort((a, b) => b.mtimeMs - a.mtimeMs)[0]?.commit ??
    null

  const files = revision === null ? [] : await snapshotFiles(join(snapshotsDir, revision), blobsDir, reader)
  if (revision === null || files.length === 0 || files.some((file) => !file.present)) partial = true
  const byPath = new Map(files.map((file) => [file.path, file]))
  const read = async (path: string) => {
    const file = byPath.get(path)
    return file?.realPath == null ? null : reader.readSmall(file.realPath, CONFIG_LIMIT).catch(() => null)
  }
  const config = parseJson(await read('config.json'))
  const tokenizerText = (await read('tokenizer_config.json')) ?? ''
  const tokenizer = parseJson(tokenizerText)
  const template = [
    typeof tokenizer.chat_template === 'string' ? tokenizer.chat_template : JSON.stringify(tokenizer.chat_template ?? ''),
    (await read('chat_template.jinja')) ?? '',
    (await read('chat_template.json')) ?? '',
  ].join('\n')
  const architectures = Array.isArray(config.architectures) ? config.architectures : []

  return {
    id: modelId,
    revision,
    revisions: snapshots.map((s) => s.commit).sort(),
    sizeOnDiskBytes: sizeOnDisk,
    weightsBytes: files.filter((f) => f.path.endsWith('.safetensors')).reduce((sum, f) => sum + f.size, 0),
    fileCount: files.length || blobCount,
    lastUsedAt: lastAccess > 0 ? new Date(lastAccess).toISOString() : null,
    modifiedAt: new Date(modified || ((await reader.stat(root))?.mtimeMs ?? 0)).toISOString(),
    architecture: typeof architectures[0] === 'string' ? architectures[0] : null,
    modelType: typeof config.model_type === 'string' ? config.model_type : null,
    quantization: quantizationOf(config),
    capabilities: capabilitiesOf(config, template, tokenizerText),
    ...shapeOf(config),
    partialOnDisk: partial,
  }
}

async function readRef(path: string, reader: CacheReader): Promise<string | null> {
  if ((await reader.stat(path))?.kind !== 'file') return null
  const text = (await reader.readSmall(path, 1024).catch(() => null))?.trim() ?? ''
  return /^[0-9a-f]{40}$/.test(text) ? text : null
}

/** Walks a snapshot without following symlinks out of the repo's blobs folder. */
async function snapshotFiles(dir: string, blobsDir: string, reader: CacheReader): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = []
  const walk = async (folder: string, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return
    for (const name of (await reader.list(folder)).sort()) {
      if (out.length >= MAX_FILES) return
      const path = join(folder, name)
      const relative = prefix === '' ? name : `${prefix}/${name}`
      const stats = await reader.stat(path)
      if (stats === null) continue
      if (stats.kind === 'dir') await walk(path, relative, depth + 1)
      else if (stats.kind === 'file') out.push({ path: relative, size: stats.size, present: true, realPath: path })
      else if (stats.kind === 'symlink') {
        const target = await reader.linkTarget(path, blobsDir)
        const targetStats = target === null ? null : await reader.stat(target)
        const present = targetStats?.kind === 'file'
        out.push({ path: relative, size: present ? targetStats.size : 0, present, realPath: present ? target : null })
      }
    }
  }
  await walk(dir, '', 0)
  return out
}
