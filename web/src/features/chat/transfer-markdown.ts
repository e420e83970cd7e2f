import { formatBytes } from '../../format/bytes'
import type { ManagerDatabase } from '../../db/database'
import { collect } from './transfer-json'
import type { Attachment, ChatParameters, ConversationRow, MessageRow } from './types'

// Markdown of the chat history, for reading: each conversation's facts, then its messages.

const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`


/** A fence longer than any backtick run inside, so a file that contains fences cannot close ours. */
function fenced(text: string, name: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  const extension = /\.([A-Za-z0-9+-]{1,10})$/.exec(name)?.[1] ?? ''
  return `${fence}${extension.toLowerCase()}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`
}

const quote = (text: string): string =>
  text
    .split('\n')
    .map((line) => `> ${line}`.trimEnd())
    .join('\n')

function parametersLine(p: ChatParameters): string | null {
  const set = [
    p.temperature === null ? null : `temperature ${p.temperature}`,
    p.topP === null ? null : `top-p ${p.topP}`,
    p.maxTokens === null ? null : `max tokens ${p.maxTokens}`,
  ].filter((part): part is string => part !== null)
  return set.length === 0 ? null : set.join(' · ')
}

function metricsLine(message: MessageRow): string | null {
  const m = message.metrics
  if (m === null) return null
  const parts = [
    `${m.completionTokens} tokens`,
    m.generationTokensPerSecond === null ? null : `${m.generationTokensPerSecond.toFixed(1)} tokens/s`,
    m.timeToFirstTokenMs === null ? null : `first token ${Math.round(m.timeToFirstTokenMs)} ms`,
    `${(m.totalMs / 1000).toFixed(1)} s in all`,
  ].filter((part): part is string => part !== null)
  return `*${parts.join(' · ')}*`
}

function attachmentsBlock(attachments: readonly Attachment[]): string | null {
  if (attachments.length === 0) return null
  const lines = attachments.map((a) => {
    const head = `- ${a.kind === 'image' ? 'Image' : 'File'} \`${a.name}\` (${a.mimeType}, ${formatBytes(a.size)})`
    // Images are named only: a base64 picture would drown the text.
    return a.kind === 'text' && a.text !== undefined ? `${head}\n\n${fenced(a.text, a.name)}` : head
  })
  return `**Attachments**\n\n${lines.join('\n\n')}`
}

function messageMarkdown(message: MessageRow): string {
  const who = message.role === 'user' ? 'User' : `Assistant${message.profileName === null ? '' : ` (${message.profileName})`}`
  const parts: Array<string | null> = [`## ${who}`, `*${when(message.createdAt)}*`]
  if (message.reasoning !== null && message.reasoning.trim() !== '') {
    const took = message.reasoningMs === null ? '' : ` for ${(message.reasoningMs / 1000).toFixed(1)} s`
    parts.push(`<details>\n<summary>Thought${took}</summary>\n\n${message.reasoning.trim()}\n\n</details>`)
  }
  parts.push(message.content === '' ? null : message.content, attachmentsBlock(message.attachments))
  if (message.status === 'stopped') parts.push('*Stopped before the end.*')
  if (message.error !== null) parts.push(`**Error:** ${message.error.message}`)
  parts.push(metricsLine(message))
  return parts.filter((part): part is string => part !== null).join('\n\n')
}

function conversationMarkdown({ row, messages }: { row: ConversationRow; messages: MessageRow[] }): string {
  const title = row.title.replace(/\s+/g, ' ').trim() || 'Untitled chat'
  const facts = [
    row.model === null ? null : `- **Model:** \`${row.model}\`${row.profileName === null ? '' : ` (profile ${row.profileName})`}`,
    `- **Started:** ${when(row.createdAt)} · **Last message:** ${when(row.updatedAt)} · ${row.messageCount} messages`,
  ]
  const parameters = parametersLine(row.parameters)
  if (parameters !== null) facts.push(`- **Parameters:** ${parameters}`)
  const head = [`# ${title}`, facts.filter((fact): fact is string => fact !== null).join('\n')]
  if (row.parameters.systemPrompt !== null && row.parameters.systemPrompt !== '') head.push(`**System prompt**\n\n${quote(row.parameters.systemPrompt)}`)
  return [...head, ...messages.map(messageMarkdown)].join('\n\n')
}

/** Readable Markdown of the conversations (all when `ids` is unset), one after another. */
export async function exportMarkdown(db: ManagerDatabase, ids?: readonly string[]): Promise<string> {
  const conversations = await collect(db, ids)
  return `${conversations.map(conversationMarkdown).join('\n\n---\n\n')}\n`
}
