import type { Attachment } from './types'

const TITLE_MAX = 60

/**
 * The words of a Markdown line without its markup: headings, quotes, list markers, emphasis, code
 * ticks and fences, links and images (their text stays), HTML tags. A title is plain text.
 */
export function plainText(markdown: string): string {
  return markdown
    .replace(/^\s*(`{3,}|~{3,})[^\n]*$/gm, ' ')
    .replace(/^\s*([-*_]\s*){3,}$/gm, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<\/?[A-Za-z][^>]*>/g, ' ')
    .replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(\[[ xX]\]\s+)?|\d+[.)]\s+)/gm, '')
    .replace(/(\*{1,3}|~~)(\S(?:.*?\S)?)\1/g, '$2')
    // Underscores inside a word (snake_case) are not emphasis.
    .replace(/(^|\W)(_{1,3})(\S(?:.*?\S)?)\2(?!\w)/g, '$1$3')
    .replace(/`+([^`]*)`+/g, '$1')
}

function shorten(line: string): string {
  if (line.length <= TITLE_MAX) return line
  const cut = line.slice(0, TITLE_MAX)
  const space = cut.lastIndexOf(' ')
  return `${space > TITLE_MAX / 2 ? cut.slice(0, space) : cut}…`
}

/** A new conversation's name: the start of its first message as plain text, cut at a word, or what was attached. */
export function titleFor(text: string, attachments: Pick<Attachment, 'name'>[] = []): string {
  const line = plainText(text).replace(/\s+/g, ' ').trim()
  if (line === '') return attachments[0] === undefined ? 'New chat' : attachments[0].name
  return shorten(line)
}

/**
 * Whether `title` is still the one made from the first message (so it follows an edit of that
 * message), not one the user chose. Titles made before Markdown was stripped count too.
 */
export function isAutomaticTitle(title: string, text: string, attachments: Pick<Attachment, 'name'>[] = []): boolean {
  if (title === titleFor(text, attachments)) return true
  const raw = text.replace(/\s+/g, ' ').trim()
  return raw !== '' && title === shorten(raw)
}
