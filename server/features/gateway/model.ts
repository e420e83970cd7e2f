import { t } from 'elysia'
import { CHAT_LIMITS as L } from '../../../shared/chat'

/**
 * An OpenAI chat completion request, checked only as far as the manager needs it (which profile,
 * streamed or not). Everything else is the engine's to judge and is passed on as sent, unknown
 * fields included, so clients keep every feature their engine has.
 */
export const chatCompletionRequest = t.Object(
  {
    model: t.String({ minLength: 1, maxLength: 1024, error: 'model is the name of a model from GET /v1/models.' }),
    messages: t.Array(t.Object({ role: t.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: true, error: 'Each message is an object with a role, such as {"role": "user", "content": "…"}.' }), {
      minItems: 1,
      maxItems: L.messagesMax,
      error: `messages is a list of 1 to ${L.messagesMax} messages.`,
    }),
    stream: t.Optional(t.Union([t.Boolean(), t.Null()], { error: 'stream is true or false.' })),
  },
  { additionalProperties: true, error: 'Send {"model": "…", "messages": [{"role": "user", "content": "…"}]}.' },
)

export type ChatCompletionRequest = typeof chatCompletionRequest.static & Record<string, unknown>

/** An OpenAI text completion request: the model and a prompt; the rest is the engine's to judge. */
export const completionRequest = t.Object(
  {
    model: t.String({ minLength: 1, maxLength: 1024, error: 'model is the name of a model from GET /v1/models.' }),
    prompt: t.Union([t.String(), t.Array(t.String(), { minItems: 1 })], { error: 'prompt is a string (or a list of strings).' }),
    stream: t.Optional(t.Union([t.Boolean(), t.Null()], { error: 'stream is true or false.' })),
  },
  { additionalProperties: true, error: 'Send {"model": "…", "prompt": "…"}.' },
)

/** An OpenAI embeddings request: the model and its input, text or token lists. */
export const embeddingRequest = t.Object(
  {
    model: t.String({ minLength: 1, maxLength: 1024, error: 'model is the name of a model from GET /v1/models.' }),
    input: t.Union([t.String(), t.Array(t.Union([t.String(), t.Integer(), t.Array(t.Integer())]), { minItems: 1 })], {
      error: 'input is a string or a list of strings (or of token lists).',
    }),
  },
  { additionalProperties: true, error: 'Send {"model": "…", "input": "…"}.' },
)
