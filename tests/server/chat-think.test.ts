import { describe, expect, test } from 'bun:test'
import { ThinkSplitter, type TextPiece } from '../../server/features/chat/think'
import { engineErrorMessage, sseData } from '../../server/features/chat/upstream'

function run(chunks: string[]): { reasoning: string; token: string; order: TextPiece['kind'][] } {
  const splitter = new ThinkSplitter()
  const pieces = [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.flush()]
  const order = pieces.map((piece) => piece.kind).filter((kind, i, all) => i === 0 || all[i - 1] !== kind)
  const join = (kind: TextPiece['kind']) => pieces.filter((piece) => piece.kind === kind).map((piece) => piece.text).join('')
  return { reasoning: join('reasoning'), token: join('token'), order }
}

/** Every way to cut `text` at up to two points, plus seeded random cuttings into many pieces. */
function cuttings(text: string): string[][] {
  const out: string[][] = [[text], text.split('')]
  for (let i = 1; i < text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)])
    for (let j = i + 1; j < text.length; j += 3) out.push([text.slice(0, i), text.slice(i, j), text.slice(j)])
  }
  let seed = 7
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let n = 0; n < 200; n++) {
    const pieces: string[] = []
    let at = 0
    while (at < text.length) {
      const size = 1 + Math.floor(random() * 9)
      pieces.push(text.slice(at, at + size))
      at += size
    }
    out.push(pieces)
  }
  return out
}

describe('<think> splitting', () => {
  test('reasoning and answer come out the same however the stream is cut', () => {
    const text = '<think>Let me weigh 2 < 3 and a <b> tag.</think>\n\nThe answer is <think-ish> 42.'
    for (const chunks of cuttings(text)) {
      const result = run(chunks)
      expect(result.reasoning).toBe('Let me weigh 2 < 3 and a <b> tag.')
      expect(result.token).toBe('The answer is <think-ish> 42.')
      expect(result.order).toEqual(['reasoning', 'token'])
    }
  })

  test('text before the thinking, two thinking blocks, and an unclosed one at the end', () => {
    for (const chunks of cuttings('Hi <think>a</think>b<think>c')) {
      const result = run(chunks)
      expect(result.reasoning).toBe('ac')
      expect(result.token).toBe('Hi b')
    }
  })

  test('a partial tag at the very end is answer text after all', () => {
    expect(run(['x <thi'])).toEqual({ reasoning: '', token: 'x <thi', order: ['token'] })
    expect(run(['<think>deep </thi'])).toEqual({ reasoning: 'deep </thi', token: '', order: ['reasoning'] })
  })

  test('a plain answer passes through untouched and is not held back', () => {
    const splitter = new ThinkSplitter()
    expect(splitter.push('Hello')).toEqual([{ kind: 'token', text: 'Hello' }])
    expect(splitter.push(' world <')).toEqual([{ kind: 'token', text: ' world ' }])
    expect(splitter.push('3')).toEqual([{ kind: 'token', text: '<3' }])
  })
})

describe('engine streams and errors', () => {
  test('SSE data is reassembled across arbitrary byte boundaries, CRLF included', async () => {
    const raw = 'data: {"a":1}\r\n\r\n: comment\n\ndata: {"b":"é"}\n\ndata: [DONE]\n\n'
    const bytes = new TextEncoder().encode(raw)
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3))
        controller.close()
      },
    })
    const seen: string[] = []
    for await (const data of sseData(body)) seen.push(data)
    expect(seen).toEqual(['{"a":1}', '{"b":"é"}', '[DONE]'])
  })

  test('error bodies of both engines and plain text give the engine own words', () => {
    expect(engineErrorMessage('{"error":{"message":"Model handler not initialized","type":"service_unavailable","code":503}}')).toBe('Model handler not initialized')
    expect(engineErrorMessage('{"error":"Invalid JSON in request body"}')).toBe('Invalid JSON in request body')
    expect(engineErrorMessage('{"detail":[{"msg":"JSON decode error"}]}')).toBe('JSON decode error')
    expect(engineErrorMessage('{"detail":"Not Found"}')).toBe('Not Found')
    expect(engineErrorMessage('Not Found\n')).toBe('Not Found')
    expect(engineErrorMessage('')).toBe('no details')
  })
})
