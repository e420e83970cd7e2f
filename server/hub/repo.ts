import type { Gated } from '../../shared/catalog'
import { HubFailure } from './failure'

/** What listing and model info both tell about a repo. */
export interface HubRepo {
  id: string
  sha: string | null
  downloads: number
  likes: number
  lastModified: string | null
  gated: Gated
  pipelineTag: string | null
  tags: string[]
  libraryName: string | null
  /** The hub's trimmed config: `model_type`, `architectures`, `tokenizer_config.chat_template`. */
  config: Record<string, unknown> | null
  safetensors: { parameters: Record<string, number>; total: number } | null
  cardData: Record<string, unknown> | null
  createdAt: string | null
}

/** One file of a repo at a revision, as the tree lists it. */
export interface HubFileEntry {
  path: string
  size: number
  /** Git blob oid: of the file itself, or of its LFS pointer. */
  oid: string
  lfs: { oid: string; size: number } | null
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The `cursor` parameter of the next-page URL in a Link header (the hub's cursor, passed through as is). */
export function cursorFromLink(link: string | null): string | null {
  if (link === null) return null
  const next = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1]
  if (next === undefined) return null
  try {
    return new URL(next).searchParams.get('cursor')
  } catch {
    return null
  }
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : null)
const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0)

function safetensorsOf(value: unknown): HubRepo['safetensors'] {
  if (!isObject(value) || !isObject(value.parameters)) return null
  const parameters: Record<string, number> = {}
  for (const [dtype, n] of Object.entries(value.parameters)) if (typeof n === 'number') parameters[dtype] = n
  return { parameters, total: count(value.total) }
}

function dateString(value: unknown): string | null {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null
  return date === null || Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** Checks the shape of a listing entry or model info; a wrong shape is the hub's fault, not a crash. */
export function toHubRepo(entry: object, name: unknown): HubRepo {
  const raw = entry as Record<string, unknown>
  if (typeof name !== 'string' || !name.includes('/')) throw new HubFailure('bad-response', 'a model has no id')
  if (raw.tags !== undefined && !Array.isArray(raw.tags)) throw new HubFailure('bad-response', `${name} has malformed tags`)
  const gated = raw.gated === 'auto' || raw.gated === 'manual' ? raw.gated : false
  return {
    id: name,
    sha: optionalString(raw.sha),
    downloads: count(raw.downloads),
    likes: count(raw.likes),
    lastModified: dateString(raw.updatedAt ?? raw.lastModified),
    gated,
    pipelineTag: optionalString(raw.task ?? raw.pipeline_tag),
    tags: Array.isArray(raw.tags) ? raw.tags.filter((tag): tag is string => typeof tag === 'string') : [],
    libraryName: optionalString(raw.library_name),
    config: isObject(raw.config) ? raw.config : null,
    safetensors: safetensorsOf(raw.safetensors),
    cardData: isObject(raw.cardData) ? raw.cardData : null,
    createdAt: dateString(raw.createdAt),
  }
}

/** A tree entry as @huggingface/hub yields it; anything else is the hub's fault. */
export function toFileEntry(entry: unknown): HubFileEntry | null {
  if (!isObject(entry) || typeof entry.path !== 'string' || typeof entry.type !== 'string') {
    throw new HubFailure('bad-response', 'file listing: an entry has no path')
  }
  if (entry.type !== 'file') return null
  const lfs = isObject(entry.lfs) && typeof entry.lfs.oid === 'string' && typeof entry.lfs.size === 'number' ? { oid: entry.lfs.oid, size: entry.lfs.size } : null
  const size = lfs?.size ?? entry.size
  if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) throw new HubFailure('bad-response', `file listing: ${entry.path} has no size`)
  return { path: entry.path, size, oid: typeof entry.oid === 'string' ? entry.oid : '', lfs }
}
