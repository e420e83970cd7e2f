import { formatBytes } from '../../format/bytes'
import type { ChatContentPart, ChatMessage } from '../../../../shared/chat'
import { CHAT_LIMITS } from '../../../../shared/chat'
import type { Profile } from '../../../../shared/profiles'
import type { Attachment, MessageRow } from './types'

/** Image formats vision engines decode (SVG is markup, not pixels, and is refused). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif'])

/** Files read as text even when the browser gives them no text/* type. */
const TEXT_EXTENSIONS = new Set(
  'txt md markdown rst csv tsv log json jsonl yaml yml toml ini cfg conf env xml html htm css scss js mjs cjs jsx ts tsx vue svelte py pyi ipynb rb php java kt kts swift go rs c h cc cpp hpp cs m mm scala sql sh bash zsh fish ps1 bat r jl lua pl dart ex exs erl hs ml clj tex dockerfile makefile gradle proto graphql'.split(
    ' ',
  ),
)

export type ReadResult = { ok: true; attachment: Attachment } | { ok: false; reason: string }

function extension(name: string): string {
  const base = name.toLowerCase().split('/').pop() ?? ''
  if (base === 'dockerfile' || base === 'makefile') return base
  const dot = base.lastIndexOf('.')
  return dot === -1 ? '' : base.slice(dot + 1)
}

/** Sizes as the rest of the app writes them. */
export const sizeText = formatBytes

/** Whether a profile's engine takes images; the manager refuses them otherwise. */
export function acceptsImages(profile: Pick<Profile, 'engine' | 'modelType'> | null): boolean {
  return profile !== null && (profile.modelType === 'multimodal' || profile.engine === 'custom')
}

export function isImageFile(file: Pick<File, 'type'>): boolean {
  return IMAGE_TYPES.has(file.type)
}

function isTextFile(file: Pick<File, 'type' | 'name'>): boolean {
  return file.type.startsWith('text/') || file.type === 'application/json' || TEXT_EXTENSIONS.has(extension(file.name))
}

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => (typeof reader.result === 'string' ? resolve(reader.result) : reject(new Error('unreadable')))
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'))
    reader.readAsDataURL(file)
  })
}

/**
 * Checks a file against what the chosen profile takes and the size limits, then reads it.
 * `current` is what is already attached, so the count and total limits hold across picks.
 */
export async function readAttachment(file: File, profile: Pick<Profile, 'name' | 'engine' | 'modelType'> | null, current: Attachment[]): Promise<ReadResult> {
  const L = CHAT_LIMITS
  const attached = current.reduce((sum, a) => sum + a.size, 0)
  if (attached + file.size > L.attachmentsMaxBytes) {
    return { ok: false, reason: `${file.name} would bring this message's attachments to ${sizeText(attached + file.size)}; the limit is ${sizeText(L.attachmentsMaxBytes)}. Send it in another message.` }
  }
  if (isImageFile(file)) {
    if (profile === null) return { ok: false, reason: 'Choose a model first: images need a vision (multimodal) profile.' }
    if (!acceptsImages(profile)) {
      return {
        ok: false,
        reason: `${profile.name} serves a text-only model (model type ${profile.modelType}), so it cannot see ${file.name}. Choose a multimodal profile to send images.`,
      }
    }
    if (file.size > L.imageMaxBytes) return { ok: false, reason: `${file.name} is ${sizeText(file.size)}; images are limited to ${sizeText(L.imageMaxBytes)}. Resize it and attach it again.` }
    if (current.filter((a) => a.kind === 'image').length >= L.imagesMax) return { ok: false, reason: `A message takes at most ${L.imagesMax} images.` }
    const dataUrl = await readAsDataUrl(file)
    return { ok: true, attachment: { id: crypto.randomUUID(), kind: 'image', name: file.name || 'pasted image', mimeType: file.type, size: file.size, dataUrl } }
  }
  if (file.type.startsWith('image/')) return { ok: false, reason: `${file.name} is a ${file.type} image; attach PNG, JPEG, WebP or GIF.` }
  if (!isTextFile(file)) {
    return { ok: false, reason: `${file.name} is not an image or a text file. Attach images (PNG, JPEG, WebP, GIF) or text and code files.` }
  }
  if (file.size > L.textFileMaxBytes) {
    return { ok: false, reason: `${file.name} is ${sizeText(file.size)}; text files are limited to ${sizeText(L.textFileMaxBytes)}. Attach the part that matters.` }
  }
  const text = await file.text()
  if (text.includes('\u0000')) return { ok: false, reason: `${file.name} looks binary, not text, so it cannot be inlined.` }
  return { ok: true, attachment: { id: crypto.randomUUID(), kind: 'text', name: file.name, mimeType: file.type || 'text/plain', size: file.size, text } }
}

/** The fence for a text attachment: longer than any run of backticks inside it. */
function fenced(name: string, text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${extension(name)}\n${text}\n${fence}`
}

/** What one stored message becomes in a chat request: text files inlined, images as parts. */
export function toChatMessage(row: Pick<MessageRow, 'role' | 'content' | 'attachments'>): ChatMessage {
  const files = row.attachments.filter((a) => a.kind === 'text' && a.text !== undefined)
  const images = row.attachments.filter((a) => a.kind === 'image' && a.dataUrl !== undefined)
  const inlined = files.map((file) => `File ${file.name}:\n${fenced(file.name, file.text ?? '')}`)
  const text = [row.content, ...inlined].filter((part) => part !== '').join('\n\n')
  if (images.length === 0) return { role: row.role, content: text }
  const parts: ChatContentPart[] = [...(text === '' ? [] : [{ type: 'text' as const, text }]), ...images.map((image): ChatContentPart => ({ type: 'image_url', image_url: { url: image.dataUrl ?? '' } }))]
  return { role: row.role, content: parts }
}
