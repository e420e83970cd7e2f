import { describe, expect, test } from 'bun:test'
import { AppError } from '../../server/http/errors'
import { anthropicError, anthropicType } from '../../server/http/error-handler'
import type { MessagesRequest } from '../../server/features/gateway/anthropic/model'
import { toChatCompletion } from '../../server/features/gateway/anthropic/request'
import { toMessage, toUsage, type AnswerContext } from '../../server/features/gateway/anthropic/response'
import { MessageStreamTranslator, frame, type StreamEvent } from '../../server/features/gateway/anthropic/stream'

/** A request as the schema lets it through: block fields beyond `type` are the translator's to check. */
const request = (fields: Record<string, unknown>) => ({ model: 'Fox', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }], ...fields }) as MessagesRequest

const weather = { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }

function refusal(fields: Record<string, unknown>): string {
  try {
    toChatCompletion(request(fields))
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).status).toBe(400)
    return (error as AppError).message
  }
  throw new Error('the request was not refused')
}

describe('an Anthropic request as a chat completion', () => {
  test('system (string or text blocks) first, max_tokens, sampling fields by OpenAI’s names, metadata left out', () => {
    const { body } = toChatCompletion(
      request({ system: 'Be brief.', temperature: 0.2, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u1' } }),
    )
    expect(body).toEqual({
      model: 'Fox',
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    })
    const blocks = toChatCompletion(request({ system: [{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.', cache_control: { type: 'ephemeral' } }] }))
    expect((blocks.body.messages as unknown[])[0]).toEqual({ role: 'system', content: 'One.\n\nTwo.' })
  })

  test('a stream asks the engine for usage; a non-streamed request is not a stream', () => {
    expect(toChatCompletion(request({ stream: true })).body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    expect(toChatCompletion(request({ stream: false })).body.stream).toBeUndefined()
  })

  test('text and image blocks: text alone is a string, images become image_url parts (base64 as a data URL)', () => {
    const { body } = toChatCompletion(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'First.' }, { type: 'text', text: 'Second.' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'OK.' }] },
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
              { type: 'text', text: 'What are these?' },
            ],
          },
        ],
      }),
    )
    expect(body.messages).toEqual([
      { role: 'user', content: 'First.\nSecond.' },
      { role: 'assistant', content: 'OK.' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'text', text: 'What are these?' },
        ],
      },
    ])
  })

  test('tool_use becomes the assistant’s tool_calls; tool_result becomes tool messages right after, then the rest of the turn', () => {
    const { body } = toChatCompletion(
      request({
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Two cities.', signature: 'sig' },
              { type: 'text', text: 'Let me look.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny, 21 °C' },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'Station offline' }], is_error: true },
              { type: 'text', text: 'Summarise.' },
            ],
          },
        ],
      }),
    )
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny, 21 °C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: Station offline' },
      { role: 'user', content: 'Summarise.' },
    ])
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: weather.input_schema } }])
  })

  test('a turn of tool results alone adds no empty user message; an image a tool returned follows as the user’s', () => {
    const { body } = toChatCompletion(
      request({
        messages: [
          { role: 'user', content: 'Screenshot please' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'screenshot', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_9', content: [{ type: 'text', text: 'Taken.' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } }] },
            ],
          },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_10', name: 'screenshot', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_10' }] },
        ],
      }),
    )
    expect((body.messages as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'screenshot', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_9', content: 'Taken.' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_10', type: 'function', function: { name: 'screenshot', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_10', content: '' },
    ])
  })

  test('tool_choice: auto, any (required), a named tool, none; parallel calls can be turned off', () => {
    const choice = (tool_choice: Record<string, unknown>) => toChatCompletion(request({ tools: [weather], tool_choice })).body
    expect(choice({ type: 'auto' }).tool_choice).toBe('auto')
    expect(choice({ type: 'any', disable_parallel_tool_use: true })).toMatchObject({ tool_choice: 'required', parallel_tool_calls: false })
    expect(choice({ type: 'tool', name: 'get_weather' }).tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } })
    expect(choice({ type: 'none' }).tool_choice).toBe('none')
  })

  test('thinking: enabled, adaptive (any kind but disabled) turns it on in the chat template and asks for thinking blocks; disabled turns it off', () => {
    const on = toChatCompletion(request({ thinking: { type: 'enabled', budget_tokens: 1024 } }))
    expect(on.thinking).toBe(true)
    expect(on.body.chat_template_kwargs).toEqual({ enable_thinking: true })
    const off = toChatCompletion(request({ thinking: { type: 'disabled' } }))
    expect(off.thinking).toBe(false)
    expect(off.body.chat_template_kwargs).toEqual({ enable_thinking: false })
    expect(toChatCompletion(request({ thinking: { type: 'between_tools' } })).thinking).toBe(true)
    const unsaid = toChatCompletion(request({}))
    expect(unsaid.thinking).toBe(false)
    expect(unsaid.body.chat_template_kwargs).toBeUndefined()
  })

  test('plain-text documents are text; what local models cannot take is refused with where it is', () => {
    const { body } = toChatCompletion(request({ messages: [{ role: 'user', content: [{ type: 'document', title: 'Notes', source: { type: 'text', media_type: 'text/plain', data: 'Buy milk.' } }] }] }))
    expect(body.messages).toEqual([{ role: 'user', content: 'Notes\n\nBuy milk.' }])
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } }] }] })).toContain('messages[0].content[0]: only plain-text documents')
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] })).toContain('messages[0].content[1]')
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] }] })).toContain('container_upload blocks are not supported')
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b', input: {} }] }] })).toContain('tool_use blocks belong in assistant messages')
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] })).toContain('needs the tool_use_id')
    expect(refusal({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'b', input: {} }] }] })).toContain('needs an id')
    expect(refusal({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toContain('built-in "web_search_20250305" tool')
    expect(refusal({ tools: [{ name: 'no_schema' }] })).toContain('needs an input_schema')
    expect(refusal({ tool_choice: { type: 'tool' } })).toContain('needs the name')
  })
})

const context: AnswerContext = { model: 'Fox', thinking: false, stopSequences: ['END'] }

describe('a chat completion as an Anthropic message', () => {
  test('text and tool calls as blocks, arguments parsed, stop reason and usage in Anthropic’s terms', () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: { role: 'assistant', content: 'Looking it up.', reasoning_content: 'Paris, so weather.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 9, total_tokens: 129, prompt_tokens_details: { cached_tokens: 100 } },
    }
    const message = toMessage(JSON.stringify(completion), context)
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'Fox',
      content: [
        { type: 'text', text: 'Looking it up.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 9, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    })
    expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/)
    // With thinking asked for, the reasoning comes first as a thinking block.
    expect(toMessage(JSON.stringify(completion), { ...context, thinking: true }).content[0]).toEqual({ type: 'thinking', thinking: 'Paris, so weather.', signature: '' })
  })

  test('finish reasons: stop is end_turn (or the stop sequence the engine names), length is max_tokens; bad arguments become {}', () => {
    const answer = (choice: Record<string, unknown>) =>
      toMessage(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, ...choice }], usage: { prompt_tokens: 3, completion_tokens: 1 } }), context)
    expect(answer({ finish_reason: 'stop' }).stop_reason).toBe('end_turn')
    expect(answer({ finish_reason: 'length' }).stop_reason).toBe('max_tokens')
    expect(answer({ finish_reason: 'stop', stop_reason: 'END' })).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' })
    expect(answer({ finish_reason: 'stop', stop_reason: 151645 }).stop_reason).toBe('end_turn')
    const slip = answer({ finish_reason: 'stop', message: { role: 'assistant', content: null, reasoning: 'hm', tool_calls: [{ id: '', function: { name: 'f', arguments: '{"a":' } }] } })
    expect(slip.stop_reason).toBe('tool_use')
    expect(slip.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_/) as unknown as string, name: 'f', input: {} }])
  })

  test('<think>…</think> in the content is reasoning, as in the manager’s chat: a thinking block when asked for, left out otherwise', () => {
    const completion = JSON.stringify({ choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '<think>Short thought.</think>\n\nThe answer.' } }] })
    expect(toMessage(completion, { ...context, thinking: true }).content).toEqual([
      { type: 'thinking', thinking: 'Short thought.', signature: '' },
      { type: 'text', text: 'The answer.' },
    ])
    expect(toMessage(completion, context).content).toEqual([{ type: 'text', text: 'The answer.' }])
  })

  test('an answer that is not a chat completion is a 502', () => {
    for (const text of ['<html>', '{"choices": []}']) {
      expect(() => toMessage(text, context)).toThrow(AppError)
    }
  })

  test('usage without cache details counts the whole prompt as input', () => {
    expect(toUsage({ prompt_tokens: 7, completion_tokens: 3 })).toEqual({ input_tokens: 7, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
    expect(toUsage(null, 5).output_tokens).toBe(5)
  })
})

const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })

function run(translator: MessageStreamTranslator, payloads: string[], outputFallback = 0): StreamEvent[] {
  return [...translator.start(), ...payloads.flatMap((payload) => translator.push(payload)), ...translator.end(outputFallback)]
}

describe('chat completion chunks as Anthropic stream events', () => {
  test('text: message_start, one text block, message_delta with stop reason and usage, message_stop', () => {
    const usageChunk = JSON.stringify({ id: 'c', object: 'chat.completion', choices: [], usage: { prompt_tokens: 12, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 4 } }, x_mlx_manager: { time_to_first_token_ms: 5 } })
    const events = run(new MessageStreamTranslator(context), [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello' }), chunk({ content: ' there' }), chunk({}, 'stop'), usageChunk])
    expect(events.map((event) => event.type)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'])
    expect(events[0]).toMatchObject({ message: { type: 'message', role: 'assistant', model: 'Fox', content: [], stop_reason: null } })
    expect(events[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
    expect(events[3]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' there' } })
    expect(events[5]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 8, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 },
      x_mlx_manager: { time_to_first_token_ms: 5 },
    })
    expect(frame(events[6] as StreamEvent)).toBe('event: message_stop\ndata: {"type":"message_stop"}\n\n')
  })

  test('reasoning is a thinking block before the text when thinking was asked for, and left out otherwise', () => {
    const payloads = [chunk({ reasoning: 'Think' }), chunk({ reasoning: 'ing.' }), chunk({ content: 'Answer' }), chunk({}, 'length')]
    const thinking = run(new MessageStreamTranslator({ ...context, thinking: true }), payloads, 3)
    expect(thinking.filter((event) => event.type === 'content_block_start').map((event) => event.content_block)).toEqual([
      { type: 'thinking', thinking: '', signature: '' },
      { type: 'text', text: '' },
    ])
    expect(thinking[2]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Think' } })
    expect(thinking.find((event) => event.type === 'content_block_delta' && (event.delta as { type: string }).type === 'text_delta')).toMatchObject({ index: 1 })
    expect(thinking.find((event) => event.type === 'message_delta')).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 3 } })
    const plain = run(new MessageStreamTranslator(context), payloads)
    expect(plain.filter((event) => event.type === 'content_block_start')).toHaveLength(1)
  })

  test('<think> tags cut across chunks are split out of the text', () => {
    const payloads = [chunk({ content: '<thi' }), chunk({ content: 'nk>Hmm.</th' }), chunk({ content: 'ink>\n\nYes' }), chunk({ content: ' <' }), chunk({}, 'stop')]
    const events = run(new MessageStreamTranslator({ ...context, thinking: true }), payloads)
    const deltas = events.filter((event) => event.type === 'content_block_delta').map((event) => [event.index, event.delta])
    expect(deltas).toEqual([
      [0, { type: 'thinking_delta', thinking: 'Hmm.' }],
      [1, { type: 'text_delta', text: 'Yes' }],
      [1, { type: 'text_delta', text: ' ' }],
      // A possible tag start held back is text after all once the stream ends.
      [1, { type: 'text_delta', text: '<' }],
    ])
    const plain = run(new MessageStreamTranslator(context), payloads)
    expect(plain.filter((event) => event.type === 'content_block_start')).toEqual([{ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }])
  })

  test('tool calls: text then a tool_use block per call, arguments as input_json_delta, stop reason tool_use', () => {
    const events = run(new MessageStreamTranslator(context), [
      chunk({ content: 'Checking.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ])
    expect(events.slice(1, -2)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_b', name: 'get_time', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } },
      { type: 'content_block_stop', index: 2 },
    ])
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' } })
  })

  test('whole calls without an index (several in one chunk) are separate blocks', () => {
    const events = run(new MessageStreamTranslator(context), [
      chunk({ tool_calls: [{ id: 'x1', function: { name: 'a', arguments: '{"n":1}' } }, { id: 'x2', function: { name: 'b', arguments: '{"n":2}' } }] }),
      chunk({}, 'stop'),
    ])
    const starts = events.filter((event) => event.type === 'content_block_start')
    expect(starts.map((event) => event.index)).toEqual([0, 1])
    // A call ends the turn for tool_use even when the engine said stop.
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' } })
  })

  test('an error the engine reports mid-stream is Anthropic’s error event', () => {
    const translator = new MessageStreamTranslator(context)
    expect(translator.push(JSON.stringify({ error: { message: 'out of memory', type: 'server_error' } }))).toEqual([{ type: 'error', error: { type: 'api_error', message: 'out of memory' } }])
  })
})

describe('Anthropic’s error shape', () => {
  test('each status as Anthropic’s documented error type', () => {
    const types = Object.fromEntries([400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503, 529].map((status) => [status, anthropicType(status)]))
    expect(types).toEqual({
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      409: 'invalid_request_error',
      413: 'request_too_large',
      415: 'invalid_request_error',
      429: 'rate_limit_error',
      500: 'api_error',
      502: 'api_error',
      503: 'overloaded_error',
      529: 'overloaded_error',
    })
    expect(anthropicError({ status: 404, code: 'model-not-found', message: 'No such model.' })).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'No such model.' } })
    expect(anthropicError({ status: 401, code: 'unauthorized', message: 'Sign in to continue.' }).error.message).toContain('x-api-key')
  })
})
