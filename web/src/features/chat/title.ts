import type { Attachment } from './types'

const TITLE_MAX = 60

/** A new conversation's name: the start of its first message, cut at a word, or what was attached. */
export function titleFor(text: string, attachments: Pick<Attachment, 'name'>[] = []): string {
  const line = text.replace(/\s+/g, ' ').trim()
  if (line === '') return attachments[0] === undefined ? 'New chat' : attachments[0].name
  if (line.length <= TITLE_MAX) return line
  const cut = line.slice(0, TITLE_MAX)
  const space = cut.lastIndexOf(' ')
  return `${space > TITLE_MAX / 2 ? cut.slice(0, space) : cut}…`
}
