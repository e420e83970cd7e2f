import { describe, expect, it } from 'vitest'
import { CHAT_LIMITS } from '../../shared/chat'
import { acceptsImages, readAttachment, toChatMessage } from '../../web/src/features/chat/attachments'
import { fitRequest } from '../../web/src/features/chat/request'
import { titleFor } from '../../web/src/features/chat/title'
import { metricsParts, thoughtFor } from '../../web/src/features/chat/format'
import type { Attachment } from '../../web/src/features/chat/types'

const TEXT_ONLY = { name: 'Qwen3 4B', engine: 'mlx-openai-server', modelType: 'lm' } as const
const VISION = { name: 'Gemma Vision', engine: 'mlx-openai-server', modelType: 'multimodal' } as const
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function file(name: string, type: string, content: BlobPart = 'x', size?: number): File {
  const made = new File([content], name, { type })
  if (size !== undefined) Object.defineProperty(made, 'size', { value: size })
  return made
}

async function refusal(result: Promise<Awaited<ReturnType<typeof readAttachment>>>): Promise<string> {
  const settled = await result
  if (settled.ok) throw new Error('expected a refusal')
  return settled.reason
}

describe('attachments', () => {
  it('takes images only for profiles whose model sees them, and says why otherwise', async () => {
    expect(acceptsImages(TEXT_ONLY)).toBe(false)
    expect(acceptsImages(VISION)).toBe(true)
    expect(acceptsImages({ engine: 'custom', modelType: 'lm' })).toBe(true)
    expect(await refusal(readAttachment(file('cat.png', 'image/png', PNG), TEXT_ONLY, []))).toMatch(/Qwen3 4B serves a text-only model .*multimodal/)
    expect(await refusal(readAttachment(file('cat.png', 'image/png', PNG), null, []))).toMatch(/Choose a model first/)
    const taken = await readAttachment(file('cat.png', 'image/png', PNG), VISION, [])
    expect(taken.ok && taken.attachment).toMatchObject({ kind: 'image', name: 'cat.png', mimeType: 'image/png', size: 8 })
    expect(taken.ok && taken.attachment.dataUrl).toMatch(/^data:image\/png;base64,/)
  })

  it('refuses images over the size and count limits, and formats engines cannot read', async () => {
    expect(await refusal(readAttachment(file('big.png', 'image/png', PNG, CHAT_LIMITS.imageMaxBytes + 1), VISION, []))).toMatch(/images are limited to/)
    const full: Attachment[] = Array.from({ length: CHAT_LIMITS.imagesMax }, (_, i) => ({ id: String(i), kind: 'image', name: `${i}.png`, mimeType: 'image/png', size: 1, dataUrl: 'data:image/png;base64,' }))
    expect(await refusal(readAttachment(file('one-more.png', 'image/png', PNG), VISION, full))).toMatch(`at most ${CHAT_LIMITS.imagesMax} images`)
    expect(await refusal(readAttachment(file('logo.svg', 'image/svg+xml', '<svg/>'), VISION, []))).toMatch(/PNG, JPEG, WebP or GIF/)
  })

  it('inlines text and code files, refusing binary and oversized ones', async () => {
    const code = await readAttachment(file('main.rs', '', 'fn main() {}'), TEXT_ONLY, [])
    expect(code.ok && code.attachment).toMatchObject({ kind: 'text', name: 'main.rs', text: 'fn main() {}' })
    expect(await refusal(readAttachment(file('blob.txt', 'text/plain', 'a\u0000b'), TEXT_ONLY, []))).toMatch(/looks binary/)
    expect(await refusal(readAttachment(file('huge.log', 'text/plain', 'x', CHAT_LIMITS.textFileMaxBytes + 1), TEXT_ONLY, []))).toMatch(/text files are limited to/)
    expect(await refusal(readAttachment(file('archive.zip', 'application/zip', 'PK'), TEXT_ONLY, []))).toMatch(/not an image or a text file/)
  })

  it('builds the request message: files fenced after the text, images as parts', () => {
    const attachments: Attachment[] = [
      { id: 'a', kind: 'text', name: 'notes.md', mimeType: 'text/markdown', size: 10, text: 'Has ``` inside' },
      { id: 'b', kind: 'image', name: 'cat.png', mimeType: 'image/png', size: 8, dataUrl: 'data:image/png;base64,AAAA' },
    ]
    expect(toChatMessage({ role: 'user', content: 'Summarise', attachments: [] })).toEqual({ role: 'user', content: 'Summarise' })
    expect(toChatMessage({ role: 'user', content: 'Look', attachments })).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Look\n\nFile notes.md:\n````md\nHas ``` inside\n````' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    })
    expect(toChatMessage({ role: 'user', content: '', attachments: [attachments[1]!] }).content).toEqual([{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }])
  })
})

describe('chat wording', () => {
  it('titles a conversation from its first message', () => {
    expect(titleFor('  How do I\nquantise a model?  ')).toBe('How do I quantise a model?')
    expect(titleFor('word '.repeat(40))).toMatch(/^(word ){5,}.*…$/)
    expect(titleFor('word '.repeat(40)).length).toBeLessThanOrEqual(61)
    expect(titleFor('', [{ name: 'cat.png' }])).toBe('cat.png')
    expect(titleFor('')).toBe('New chat')
  })

  it('describes metrics and thinking time', () => {
    expect(metricsParts({ timeToFirstTokenMs: 212, promptTokens: 18, completionTokens: 256, generationTokensPerSecond: 42.31, totalMs: 6000 })).toEqual([
      '0.21 s to first token',
      '42.3 tok/s',
      '18 prompt tokens',
      '256 tokens',
    ])
    expect(metricsParts({ timeToFirstTokenMs: null, promptTokens: null, completionTokens: 1, generationTokensPerSecond: null, totalMs: 10 })).toEqual(['1 token'])
    expect(thoughtFor(400)).toBe('Thought for a moment')
    expect(thoughtFor(4_400)).toBe('Thought for 4 s')
    expect(thoughtFor(65_000)).toBe('Thought for 1 min 5 s')
  })
})

describe('request size', () => {
  it('leaves out the oldest messages until the request fits, and gives up on one too large alone', () => {
    const big = 'x'.repeat(400)
    const request = { profileId: 1, messages: [{ role: 'user' as const, content: big }, { role: 'assistant' as const, content: big }, { role: 'user' as const, content: 'last' }] }
    expect(fitRequest(request, 10_000)).toBe(request)
    expect(fitRequest(request, 500)?.messages.map((m) => m.content)).toEqual([big, 'last'])
    expect(fitRequest(request, 100)?.messages).toEqual([{ role: 'user', content: 'last' }])
    expect(fitRequest({ profileId: 1, messages: [{ role: 'user', content: big }] }, 100)).toBeNull()
  })
})
