/**
 * Chat history out of and into this device: JSON that imports back without duplicates
 * (transfer-json.ts, transfer-import.ts) and Markdown for reading (transfer-markdown.ts).
 */

export { EXPORT_FORMAT, EXPORT_VERSION, exportJson, parseChatExport, type ChatExport, type ExportedConversation, type ExportedMessage } from './transfer-json'
export { exportMarkdown } from './transfer-markdown'
export { importJson, type ImportResult } from './transfer-import'

/**
 * A file name safe on every system: words of the title (diacritics dropped, any script kept) joined
 * by dashes; with no title, the whole history with today's date. The prefix keeps clear of names
 * Windows reserves (CON, NUL…) and of hidden dot-files.
 */
export function downloadName(kind: 'json' | 'markdown', title?: string | null, now: Date = new Date()): string {
  const extension = kind === 'json' ? 'json' : 'md'
  if (title === undefined || title === null) {
    const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`
    return `mlx-manager-chats-${day}.${extension}`
  }
  const words = title.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  let slug = ''
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`
    if ([...next].length > 60) break
    slug = next
  }
  if (slug === '') slug = [...(words[0] ?? 'untitled')].slice(0, 60).join('')
  return `chat-${slug}.${extension}`
}
