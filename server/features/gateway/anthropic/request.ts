import { badRequest } from '../../../http/errors'
import type { GatewayBody } from '../service'
import type { MessagesRequest, RequestBlock } from './model'

/** A chat completions message as the engines take it. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string }

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }

interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/** An Anthropic request as the engine's chat completion, and what the answer's translation needs to know. */
export interface TranslatedRequest {
  body: GatewayBody
  /** Whether the client asked for thinking: the engine's reasoning comes back as thinking blocks only then. */
  thinking: boolean
  stopSequences: string[]
}

/** How a block or field is named in a message, for errors the client can find in its request. */
const at = (message: number, block?: number) => (block === undefined ? `messages[${message}]` : `messages[${message}].content[${block}]`)

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The chat completion body for an Anthropic Messages request: the system prompt first, each
 * message's blocks as the engines' messages (tool results as `tool` messages right after the call
 * they answer, then the rest of that user turn), tools as functions, Anthropic's sampling fields by
 * their OpenAI names. A stream always asks for usage, which the closing `message_delta` reports.
 */
export function toChatCompletion(request: MessagesRequest): TranslatedRequest {
  const messages: ChatMessage[] = []
  const system = systemText(request.system)
  if (system !== null) messages.push({ role: 'system', content: system })
  request.messages.forEach((message, index) => {
    if (message.role === 'assistant') messages.push(assistantMessage(message.content, index))
    else if (message.role === 'system') messages.push({ role: 'system', content: systemText(message.content, index) ?? '' })
    else messages.push(...userMessages(message.content, index))
  })
  const body: GatewayBody = { model: request.model, messages, max_tokens: request.max_tokens }
  if (request.stream === true) {
    body.stream = true
    body.stream_options = { include_usage: true }
  }
  if (request.temperature !== undefined) body.temperature = request.temperature
  if (request.top_p !== undefined) body.top_p = request.top_p
  if (request.top_k !== undefined) body.top_k = request.top_k
  const stopSequences = request.stop_sequences ?? []
  if (stopSequences.length > 0) body.stop = stopSequences
  if (request.tools !== undefined && request.tools.length > 0) body.tools = request.tools.map((tool, index) => toolFunction(tool, index))
  const choice = request.tool_choice
  if (choice !== undefined) {
    if (choice.type === 'tool' && choice.name === undefined) throw badRequest('invalid-tool-choice', 'tool_choice {"type": "tool"} needs the name of the tool to use.')
    body.tool_choice = choice.type === 'any' ? 'required' : choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type
    if (choice.disable_parallel_tool_use === true) body.parallel_tool_calls = false
  }
  // Hybrid reasoning models (Qwen3 and the like) switch thinking in their chat template; engines that
  // do not know the field ignore it. Every kind but "disabled" (enabled, adaptive, between tools, kinds
  // still to come) asks for it. A budget cannot be enforced here, only max_tokens.
  const thinking = request.thinking === undefined ? null : request.thinking.type !== 'disabled'
  if (thinking !== null) body.chat_template_kwargs = { enable_thinking: thinking }
  return { body, thinking: thinking === true, stopSequences }
}

/** A system prompt (the request's, or a system message's): a string, or text blocks joined by a blank line. */
function systemText(system: string | RequestBlock[] | undefined, index?: number): string | null {
  if (system === undefined) return null
  const blocks = typeof system === 'string' ? [{ type: 'text', text: system }] : system
  const texts = blocks.map((block, blockIndex) => {
    if (block.type !== 'text' || typeof block.text !== 'string') {
      throw badRequest('invalid-content', `${index === undefined ? `system[${blockIndex}]` : at(index, blockIndex)}: a system prompt holds text blocks only.`)
    }
    return block.text
  })
  const text = texts.join('\n\n')
  return text === '' ? null : text
}

/** A user turn: its tool results first, as `tool` messages, then what else it says as one user message. */
function userMessages(content: string | RequestBlock[], index: number): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }]
  const out: ChatMessage[] = []
  const rest: RequestBlock[] = []
  // Images a tool returned: chat completions' tool messages carry text only, so they follow as the user's.
  const toolImages: ContentPart[] = []
  content.forEach((block, blockIndex) => {
    if (block.type !== 'tool_result') {
      rest.push(block)
      return
    }
    if (typeof block.tool_use_id !== 'string' || block.tool_use_id === '') {
      throw badRequest('invalid-content', `${at(index, blockIndex)}: a tool_result block needs the tool_use_id of the tool_use it answers.`)
    }
    const parts = typeof block.content === 'string' || block.content === undefined ? [{ type: 'text' as const, text: block.content ?? '' }] : resultParts(block.content, index, blockIndex)
    const text = joinText(parts.filter((part) => part.type === 'text'))
    toolImages.push(...parts.filter((part) => part.type === 'image_url'))
    out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${text}` : text })
  })
  const parts = [...toolImages, ...userParts(rest, index, content)]
  if (parts.length > 0 || out.length === 0) out.push({ role: 'user', content: parts.every((part) => part.type === 'text') ? joinText(parts) : parts })
  return out
}

function resultParts(content: unknown, index: number, blockIndex: number): ContentPart[] {
  if (!Array.isArray(content)) throw badRequest('invalid-content', `${at(index, blockIndex)}: a tool_result's content is a string or a list of text and image blocks.`)
  return content.flatMap((inner: unknown) => {
    if (!isRecord(inner) || typeof inner.type !== 'string') throw badRequest('invalid-content', `${at(index, blockIndex)}: each block of a tool_result's content is an object with a type.`)
    return contentPart(inner as RequestBlock, `${at(index, blockIndex)}.content`)
  })
}

/** The text and image blocks of a turn as chat completion parts. `all` is the turn's whole list, for positions in errors. */
function userParts(blocks: RequestBlock[], index: number, all: RequestBlock[] = blocks): ContentPart[] {
  return blocks.flatMap((block) => contentPart(block, at(index, all.indexOf(block))))
}

function contentPart(block: RequestBlock, where: string): ContentPart[] {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') throw badRequest('invalid-content', `${where}: a text block needs its text as a string.`)
      return [{ type: 'text', text: block.text }]
    case 'image':
      return [{ type: 'image_url', image_url: { url: imageUrl(block.source, where) } }]
    case 'document':
      return [{ type: 'text', text: documentText(block, where) }]
    case 'search_result': {
      const texts = Array.isArray(block.content) ? (block.content as unknown[]).map((inner) => (isRecord(inner) && typeof inner.text === 'string' ? inner.text : '')) : []
      return [{ type: 'text', text: [block.title, block.source, ...texts].filter((piece) => typeof piece === 'string' && piece !== '').join('\n') }]
    }
    case 'thinking':
    case 'redacted_thinking':
      // A model's earlier thinking is not sent back to it, as chat templates drop past reasoning too.
      return []
    case 'tool_use':
      throw badRequest('invalid-content', `${where}: tool_use blocks belong in assistant messages.`)
    case 'tool_result':
      throw badRequest('invalid-content', `${where}: tool_result blocks belong in user messages.`)
    default:
      throw badRequest('invalid-content', `${where}: ${block.type} blocks are not supported by local models. Send text, image, document (text), tool_use and tool_result blocks.`)
  }
}

function imageUrl(source: unknown, where: string): string {
  if (isRecord(source) && source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') {
    return `data:${source.media_type};base64,${source.data}`
  }
  if (isRecord(source) && source.type === 'url' && typeof source.url === 'string') return source.url
  throw badRequest('invalid-content', `${where}: an image's source is {"type": "base64", "media_type": "image/png", "data": "…"} or {"type": "url", "url": "…"} (files uploaded to Anthropic do not exist here).`)
}

/** A plain-text document's text, its title first; PDFs and uploaded files cannot be read by the engines. */
function documentText(block: RequestBlock, where: string): string {
  const source = block.source
  let text: string | null = null
  if (isRecord(source) && source.type === 'text' && typeof source.data === 'string') text = source.data
  else if (isRecord(source) && source.type === 'content') {
    text = typeof source.content === 'string' ? source.content : Array.isArray(source.content) ? (source.content as unknown[]).map((inner) => (isRecord(inner) && typeof inner.text === 'string' ? inner.text : '')).join('\n') : null
  }
  if (text === null) throw badRequest('invalid-content', `${where}: only plain-text documents can be sent to a local model ({"type": "text", "media_type": "text/plain", "data": "…"}); PDFs and uploaded files are not read.`)
  return typeof block.title === 'string' && block.title !== '' ? `${block.title}\n\n${text}` : text
}

function joinText(parts: ContentPart[]): string {
  return parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n')
}

/** An assistant turn: its text as the content, its tool_use blocks as tool calls; thinking is left out. */
function assistantMessage(content: string | RequestBlock[], index: number): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content }
  const texts: string[] = []
  const calls: ToolCall[] = []
  content.forEach((block, blockIndex) => {
    const where = at(index, blockIndex)
    if (block.type === 'text') {
      if (typeof block.text !== 'string') throw badRequest('invalid-content', `${where}: a text block needs its text as a string.`)
      texts.push(block.text)
    } else if (block.type === 'tool_use') {
      if (typeof block.id !== 'string' || block.id === '' || typeof block.name !== 'string' || block.name === '') {
        throw badRequest('invalid-content', `${where}: a tool_use block needs an id and the tool's name.`)
      }
      calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(isRecord(block.input) ? block.input : {}) } })
    } else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      throw badRequest('invalid-content', `${where}: an assistant message holds text, tool_use and thinking blocks, not ${block.type}.`)
    }
  })
  const text = texts.join('\n')
  return calls.length === 0 ? { role: 'assistant', content: text } : { role: 'assistant', content: text === '' ? null : text, tool_calls: calls }
}

/** A client tool as a function; Anthropic's own server-side tools (web search, code execution…) do not exist here. */
function toolFunction(tool: NonNullable<MessagesRequest['tools']>[number], index: number) {
  const spec = tool as Record<string, unknown>
  if (spec.type !== undefined && spec.type !== null && spec.type !== 'custom') {
    throw badRequest('unsupported-tool', `tools[${index}] (${tool.name}) is Anthropic's built-in ${JSON.stringify(spec.type)} tool, which local models cannot run. Describe your own tools with name, description and input_schema.`)
  }
  if (!isRecord(spec.input_schema)) throw badRequest('invalid-tool', `tools[${index}] (${tool.name}) needs an input_schema, a JSON schema object such as {"type": "object", "properties": {…}}.`)
  return {
    type: 'function',
    function: { name: tool.name, ...(typeof spec.description === 'string' ? { description: spec.description } : {}), parameters: spec.input_schema },
  }
}
