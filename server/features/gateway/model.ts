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
