import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path'
import { isValidModelId } from '../../../shared/model-id'

/**
 * The HuggingFace cache layout, shared with huggingface_hub, mlx_lm and @huggingface/hub:
 * `models--{org}--{name}/blobs/{sha256 | git oid}`, `snapshots/{commit}/{path}` as relative
 * symlinks into `../../blobs/`, `refs/{branch}` holding the commit.
 */
export function repoFolderName(modelId: string): string {
  return `models--${modelId.replace('/', '--')}`
}

/** `models--org--name` back to `org/name`, or null when the folder is not a valid model folder. */
export function modelIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null
  const rest = folder.slice('models--'.length)
  const cut = rest.indexOf('--')
  if (cut <= 0) return null
  const id = `${rest.slice(0, cut)}/${rest.slice(cut + 2)}`
  return isValidModelId(id) ? id : null
}

export const isCommitSha = (value: string) => /^[0-9a-f]{40}$/.test(value)
const isBlobId = (value: string) => /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(value)

/** A branch or tag name, or a commit; never something that walks out of `refs/`. */
export function isSafeRevision(value: string): boolean {
  return /^[A-Za-z0-9][\w.\-/]{0,127}$/.test(value) && !value.split('/').some((part) => part === '' || part === '.' || part === '..')
}

/**
 * Why a file name from the hub may not touch the disk, or null when it is safe: absolute,
 * `..` or `.` segments, backslashes, NUL or other control characters, empty segments.
 */
export function unsafePathReason(path: string): string | null {
  if (path === '') return 'is empty'
  if (path.includes('\\')) return 'contains a backslash'
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character'
  if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'is absolute'
  const parts = path.split('/')
  if (parts.some((part) => part === '..')) return 'contains ".."'
  if (parts.some((part) => part === '' || part === '.')) return 'has an empty or "." segment'
  if (path.length > 1024) return 'is too long'
  return null
}

/** True when `child` is `parent` or inside it, compared after resolving both. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child))
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

export class RepoPaths {
  readonly root: string

  constructor(
    readonly cacheDir: string,
    readonly modelId: string,
  ) {
    if (!isValidModelId(modelId)) throw new Error(`Not a model id: ${modelId}`)
    this.root = join(cacheDir, repoFolderName(modelId))
  }

  get blobsDir() {
    return join(this.root, 'blobs')
  }

  get refsDir() {
    return join(this.root, 'refs')
  }

  blob(blobId: string): string {
    if (!isBlobId(blobId)) throw new Error(`Not a blob id: ${blobId}`)
    return join(this.blobsDir, blobId)
  }

  /** The partial file: named by the etag the hub gives the file (its sha256 or git oid). */
  incomplete(blobId: string): string {
    return `${this.blob(blobId)}.incomplete`
  }

  /** Which ranges of a partial file fetched over several connections are on disk (see ranges.ts). */
  ranges(blobId: string): string {
    return `${this.incomplete(blobId)}.ranges`
  }

  snapshotDir(commit: string): string {
    if (!isCommitSha(commit)) throw new Error(`Not a commit: ${commit}`)
    return join(this.root, 'snapshots', commit)
  }

  /** Where a hub file appears in the snapshot; throws when the name could land outside it. */
  snapshotFile(commit: string, filePath: string): string {
    const reason = unsafePathReason(filePath)
    if (reason !== null) throw new Error(`Unsafe file name ${JSON.stringify(filePath)}: it ${reason}.`)
    const dir = this.snapshotDir(commit)
    const target = join(dir, ...filePath.split('/'))
    if (!isInside(dir, target) || target === dir) throw new Error(`Unsafe file name ${JSON.stringify(filePath)}.`)
    return target
  }

  /** The relative link target from a snapshot file to its blob: `../../blobs/x` plus one `../` per folder. */
  linkTarget(filePath: string, blobId: string): string {
    const depth = filePath.split('/').length - 1
    return posix.join(...Array<string>(depth + 2).fill('..'), 'blobs', blobId)
  }

  ref(name: string): string {
    if (!isSafeRevision(name)) throw new Error(`Not a ref name: ${name}`)
    return join(this.refsDir, ...name.split('/'))
  }
}

/** mlx_lm's allow patterns (fnmatch over the whole path, where `*` also crosses `/`) plus the model card. */
const WANTED = ['*.json', 'model*.safetensors', '*.py', 'tokenizer.model', '*.tiktoken', '*.txt', '*.jsonl', '*.jinja', 'README.md'].map(
  (pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 's'),
)

export function isWantedFile(path: string): boolean {
  return WANTED.some((pattern) => pattern.test(path))
}
