import { t } from 'elysia'
import { CHAT_LIMITS as L, CHAT_ROLES } from '../../../shared/chat'

/**
 * Whole numbers as plain JSON-schema numbers: Elysia's t.Integer is a transform (it also takes
 * numeric strings), and one transform anywhere makes every request walk the whole body through
 * TypeBox's interpreted decoder, which costs more than everything else the route does before
 * the engine is asked. A JSON body carries numbers as numbers, so nothing is lost.
 */
const whole = (options: { minimum: number; maximum: number; error: string }) => t.Number({ ...options, multipleOf: 1 })

const IMAGE_URL_MAX_LENGTH = Math.ceil(L.imageMaxBytes / 3) * 4 + 100

const text = t.String({ maxLength: L.textMaxLength, error: `Message text is a string of at most ${L.textMaxLength} characters.` })

const part = t.Union(
  [
    t.Object({ type: t.Literal('text'), text }),
    t.Object({
      type: t.Literal('image_url'),
      image_url: t.Object({
        // Only inline images: the engine must never be made to fetch an address for a client.
        // At most the base64 of the largest image the web app attaches, plus its data: prefix.
        url: t.String({ pattern: '^data:image/[a-zA-Z0-9.+-]+;base64,', maxLength: IMAGE_URL_MAX_LENGTH }),
      }),
    }),
  ],
  { error: 'A content part is {"type":"text","text":"…"} or {"type":"image_url","image_url":{"url":"data:image/…;base64,…"}}.' },
)

const message = t.Object(
  {
    role: t.Union(CHAT_ROLES.map((role) => t.Literal(role)), { error: `A message's role is one of ${CHAT_ROLES.join(', ')}.` }),
    content: t.Union([text, t.Array(part, { minItems: 1, maxItems: L.partsMax })], {
      error: `A message's content is text or a list of 1 to ${L.partsMax} content parts (text or inline images).`,
    }),
    tool_call_id: t.Optional(t.String({ maxLength: 200 })),
  },
  { error: 'Each message is {"role": "user", "content": "…"}.' },
)

export const chatRequest = t.Object(
  {
    profileId: whole({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: 'profileId is the id of a profile, a positive whole number.' }),
    peerId: t.Optional(whole({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: 'peerId is the id of a peer (GET /api/peers/servers), a positive whole number.' })),
    messages: t.Array(message, { minItems: 1, maxItems: L.messagesMax, error: `Send 1 to ${L.messagesMax} messages.` }),
    temperature: t.Optional(t.Number({ minimum: 0, maximum: L.temperatureMax, error: `The temperature is a number from 0 to ${L.temperatureMax}.` })),
    topP: t.Optional(t.Number({ exclusiveMinimum: 0, maximum: 1, error: 'Top-p is a number above 0 and at most 1.' })),
    maxTokens: t.Optional(whole({ minimum: 1, maximum: L.maxTokensMax, error: `Max tokens is a whole number from 1 to ${L.maxTokensMax}.` })),
    systemPrompt: t.Optional(t.String({ maxLength: L.systemPromptMaxLength, error: `The system prompt is text of at most ${L.systemPromptMaxLength} characters.` })),
    stop: t.Optional(
      t.Union([t.String({ minLength: 1, maxLength: L.stopMaxLength }), t.Array(t.String({ minLength: 1, maxLength: L.stopMaxLength }), { maxItems: L.stopMax })], {
        error: `Stop is a string or a list of up to ${L.stopMax} strings of 1 to ${L.stopMaxLength} characters.`,
      }),
    ),
    tools: t.Optional(
      t.Array(
        t.Object({
          type: t.Literal('function'),
          function: t.Object({
            name: t.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
            description: t.Optional(t.String({ maxLength: 4000 })),
            parameters: t.Optional(t.Record(t.String(), t.Unknown())),
          }),
        }),
        { maxItems: L.toolsMax, error: `Tools are a list of up to ${L.toolsMax} {"type":"function","function":{"name":"…","parameters":{…}}}.` },
      ),
    ),
  },
  { error: 'Send {"profileId": 1, "messages": [{"role": "user", "content": "…"}]}, optionally with temperature, topP, maxTokens, systemPrompt and stop.' },
)

export type ChatRequestBody = typeof chatRequest.static

export const chatStartRequest = t.Object(
  { profileId: whole({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: 'profileId is the id of a profile, a positive whole number.' }) },
  { error: 'Send {"profileId": 1} to start the server of a profile you chat with.' },
)
