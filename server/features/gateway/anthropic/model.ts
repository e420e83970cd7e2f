import { t } from 'elysia'
import { CHAT_LIMITS as L } from '../../../../shared/chat'

const MODEL_ERROR = 'model is the name of a model from GET /v1/models.'
const TOOL_CHOICE_ERROR = 'tool_choice is {"type": "auto"}, {"type": "any"}, {"type": "none"} or {"type": "tool", "name": "…"}.'

/** A content block as sent: its `type` says which; the translator checks each kind's fields. */
const block = t.Object({ type: t.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: true, error: 'Each content block is an object with a type, such as {"type": "text", "text": "…"}.' })

const textBlocks = t.Array(t.Object({ type: t.Literal('text'), text: t.String() }, { additionalProperties: true }), {
  error: 'system is a string, or a list of {"type": "text", "text": "…"} blocks.',
})

/**
 * An Anthropic Messages request, checked as far as the translation needs it (Anthropic's own
 * required fields, each block's kind); fields only Anthropic's service has (metadata, cache
 * control, service tier) are accepted and ignored.
 */
export const messagesRequest = t.Object(
  {
    model: t.String({ minLength: 1, maxLength: 1024, error: MODEL_ERROR }),
    max_tokens: t.Integer({ minimum: 1, error: 'max_tokens is required: the most tokens the reply may have, a whole number of at least 1.' }),
    messages: t.Array(
      t.Object(
        {
          role: t.Union([t.Literal('user'), t.Literal('assistant'), t.Literal('system')], { error: 'A message role is "user" or "assistant".' }),
          content: t.Union([t.String(), t.Array(block)], { error: 'A message content is a string or a list of content blocks.' }),
        },
        { additionalProperties: true, error: 'Each message is {"role": "user" or "assistant", "content": "…" or a list of content blocks}.' },
      ),
      { minItems: 1, maxItems: L.messagesMax, error: `messages is a list of 1 to ${L.messagesMax} messages, such as [{"role": "user", "content": "Hello"}].` },
    ),
    system: t.Optional(t.Union([t.String(), textBlocks], { error: 'system is a string, or a list of {"type": "text", "text": "…"} blocks.' })),
    stream: t.Optional(t.Boolean({ error: 'stream is true or false.' })),
    temperature: t.Optional(t.Number({ minimum: 0, maximum: 2, error: 'temperature is a number from 0 to 2 (Anthropic’s own models take 0 to 1).' })),
    top_p: t.Optional(t.Number({ minimum: 0, maximum: 1, error: 'top_p is a number from 0 to 1.' })),
    top_k: t.Optional(t.Integer({ minimum: 0, error: 'top_k is a whole number, 0 or more.' })),
    stop_sequences: t.Optional(t.Array(t.String({ minLength: 1 }), { maxItems: 16, error: 'stop_sequences is a list of up to 16 non-empty strings.' })),
    tools: t.Optional(
      t.Array(t.Object({ name: t.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: true, error: 'Each tool is {"name": "…", "description": "…", "input_schema": {"type": "object", …}}.' }), {
        maxItems: 512,
        error: 'tools is a list of {"name", "description", "input_schema"} objects.',
      }),
    ),
    tool_choice: t.Optional(
      t.Object(
        {
          type: t.Union([t.Literal('auto'), t.Literal('any'), t.Literal('tool'), t.Literal('none')], { error: TOOL_CHOICE_ERROR }),
          name: t.Optional(t.String({ minLength: 1, error: TOOL_CHOICE_ERROR })),
          disable_parallel_tool_use: t.Optional(t.Boolean({ error: 'tool_choice.disable_parallel_tool_use is true or false.' })),
        },
        { additionalProperties: true, error: TOOL_CHOICE_ERROR },
      ),
    ),
    thinking: t.Optional(t.Object({ type: t.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: true, error: 'thinking is {"type": "enabled", "budget_tokens": …}, {"type": "adaptive"} or {"type": "disabled"}.' })),
  },
  { additionalProperties: true, error: 'Send {"model": "…", "max_tokens": 1024, "messages": [{"role": "user", "content": "…"}]}.' },
)

export type MessagesRequest = typeof messagesRequest.static & Record<string, unknown>

/** A content block of a request, by kind (only the fields the translation reads). */
export interface RequestBlock {
  type: string
  text?: unknown
  source?: unknown
  id?: unknown
  name?: unknown
  input?: unknown
  tool_use_id?: unknown
  content?: unknown
  is_error?: unknown
  title?: unknown
  [field: string]: unknown
}

/** Anthropic's stop reasons that a local engine's finish can mean. */
export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal'

export type ResponseBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }

export interface MessageUsage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

/** A whole Messages answer, as Anthropic's API sends one. */
export interface AnthropicMessage {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: ResponseBlock[]
  stop_reason: StopReason | null
  stop_sequence: string | null
  usage: MessageUsage
}
