import { mount } from '@vue/test-utils'
import HTMLParser from 'happy-dom/lib/html-parser/HTMLParser.js'
import type { Token } from 'marked'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import MessageContent from '../../web/src/features/chat/render/MessageContent.vue'
import { createIncrementalRenderer } from '../../web/src/features/chat/render/incremental'
import { lexChat, renderChatMarkdown } from '../../web/src/features/chat/render/markdown'

/*
 * Two places where happy-dom parses differently from browsers, corrected for this file so the real
 * sanitiser runs on a faithful tree (without them DOMPurify removes nearly everything):
 * - Node.prototype's nodeName getter answers '' (each node class has its own); DOMPurify reads
 *   nodeName through Node.prototype so that a clobbered attribute cannot lie to it.
 * - The HTML parser does not put <math> and its descendants in the MathML namespace.
 */
const MATHML = 'http://www.w3.org/1998/Math/MathML'

type Getter = (this: Node) => unknown

function getterOf(target: object, name: string): Getter | undefined {
  return Reflect.getOwnPropertyDescriptor(target, name)?.get as Getter | undefined
}

function browserLikeNodeName(): void {
  const base = getterOf(Node.prototype, 'nodeName')
  if (base === undefined) return
  Object.defineProperty(Node.prototype, 'nodeName', {
    configurable: true,
    get(this: Node): unknown {
      for (let proto = Object.getPrototypeOf(this) as object | null; proto !== null && proto !== Node.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
        const own = getterOf(proto, 'nodeName')
        if (own !== undefined) return own.call(this)
      }
      return base.call(this)
    },
  })
}

interface ParserState {
  currentNode: Node
  rootDocument: Document
}

type StartTag = (this: ParserState, tagName: string) => Element | null

function browserLikeMathParsing(): void {
  const parser = HTMLParser.prototype as unknown as { getStartTagElement: StartTag }
  const original = Reflect.get<typeof parser, 'getStartTagElement'>(parser, 'getStartTagElement')
  const patched: StartTag = function (tagName) {
    const name = tagName.toLowerCase()
    const parent = this.currentNode instanceof Element ? this.currentNode.namespaceURI : null
    if (name === 'math' || parent === MATHML) return this.rootDocument.createElementNS(MATHML, name)
    return original.call(this, tagName)
  }
  parser.getStartTagElement = patched
}

browserLikeNodeName()
browserLikeMathParsing()

function dom(html: string): HTMLElement {
  const box = document.createElement('div')
  box.innerHTML = html
  return box
}

describe('chat Markdown', () => {
  it('renders GFM tables, task lists, strikethrough and the line breaks the model wrote', () => {
    const box = dom(renderChatMarkdown('| name | size |\n| --- | ---: |\n| a | 1 |\n\n- [x] done\n- [ ] next\n\n1. one\n2. two\n\n~~old~~ first\nsecond'))
    expect([...box.querySelectorAll('th')].map((cell) => cell.textContent)).toEqual(['name', 'size'])
    expect(box.querySelectorAll('tbody td')).toHaveLength(2)
    const boxes = [...box.querySelectorAll<HTMLInputElement>('ul input')]
    expect(boxes.map((input) => [input.type, input.checked, input.disabled])).toEqual([['checkbox', true, true], ['checkbox', false, true]])
    expect([...box.querySelectorAll('ol > li')].map((item) => item.textContent)).toEqual(['one', 'two'])
    expect(box.querySelector('del')?.textContent).toBe('old')
    expect(box.querySelector('p:last-child br')).not.toBeNull()
  })

  it('highlights known languages and puts a header with a copy button on every code block', () => {
    const box = dom(renderChatMarkdown('```python\ndef f():\n    return "x"\n```\n\n```ts\nconst a: number = 1\n```'))
    const blocks = [...box.querySelectorAll('.code-block')]
    expect(blocks).toHaveLength(2)
    const [python, ts] = blocks
    expect(python?.querySelector('.code-language')?.textContent).toBe('python')
    expect(python?.querySelector('code')?.className).toBe('hljs language-python')
    expect(python?.querySelector('.hljs-keyword')?.textContent).toBe('def')
    expect(python?.querySelector('code')?.textContent).toBe('def f():\n    return "x"')
    expect(python?.querySelector('button[data-copy-code]')?.textContent).toBe('Copy')
    expect(ts?.querySelector('.hljs-keyword')?.textContent).toBe('const')
  })

  it('shows unknown languages and unlabelled blocks as escaped plain text', () => {
    const box = dom(renderChatMarkdown('```brainfuck\n<b onclick="x()">++</b>\n```\n\n```\n<i>plain</i>\n```\n\n```<img src=x>\nhi\n```'))
    const codes = [...box.querySelectorAll('pre code')]
    expect(codes.map((code) => code.innerHTML)).toEqual(['&lt;b onclick="x()"&gt;++&lt;/b&gt;', '&lt;i&gt;plain&lt;/i&gt;', 'hi'])
    expect(box.querySelector('code b, code i, code img, [onclick]')).toBeNull()
    expect(box.querySelector('.hljs')).toBeNull()
    expect([...box.querySelectorAll('.code-language')].map((label) => label.textContent)).toEqual(['brainfuck', 'text', 'text'])
  })

  it('never lets scripts, handlers, frames, forms, styles or script links through', () => {
    const html = renderChatMarkdown(
      [
        '<script>alert(1)</script>',
        '<img src="x" onerror="alert(2)"> and <b onmouseover="alert(3)">bold</b>',
        '<iframe src="https://example.com"></iframe><form action="https://example.com"><input name="q"></form>',
        '<div style="position:fixed">over</div>',
        '[click](javascript:alert(4)) [data](data:text/html,<script>alert(5)</script>) [web](https://example.com/a) [mail](mailto:a@example.com) [local](/api/users)',
      ].join('\n\n'),
    )
    const box = dom(html)
    expect(box.querySelector('script, iframe, form, style, [style], [onerror], [onmouseover], img, input:not([type="checkbox"])')).toBeNull()
    expect(html).not.toMatch(/javascript:|data:text/i)
    // Raw HTML is shown as the text the model wrote.
    expect(box.textContent).toContain('<script>alert(1)</script>')
    const links = [...box.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')])
    expect(links).toEqual([
      ['click', null, null, null],
      ['data', null, null, null],
      ['web', 'https://example.com/a', '_blank', 'noopener noreferrer nofollow'],
      ['mail', 'mailto:a@example.com', '_blank', 'noopener noreferrer nofollow'],
      ['local', null, null, null],
    ])
  })

  it('drops remote images, keeping their alt text; inline data images stay', () => {
    const pixel = 'data:image/png;base64,iVBORw0KGgo='
    const box = dom(renderChatMarkdown(`![a chart](https://tracker.example/pixel.png) ![tiny](http://x/y.gif) ![svg](data:image/svg+xml,<svg/>) ![dot](${pixel})`))
    expect([...box.querySelectorAll('img')].map((img) => [img.getAttribute('src'), img.getAttribute('alt')])).toEqual([[pixel, 'dot']])
    expect(box.textContent).toContain('a chart')
    expect(box.textContent).toContain('tiny')
    expect(box.innerHTML).not.toContain('tracker.example')
  })

  it('renders inline and display math to MathML', () => {
    const box = dom(renderChatMarkdown('Energy $E = mc^2$ and \\(a+b\\).\n\n$$\n\\int_0^1 x^2\\,dx\n$$\n\n\\[\n\\frac{1}{2}\n\\]\n\nInline display $$\\sum_i i$$ too.'))
    const inline = [...box.querySelectorAll('.math-inline math')]
    expect(inline).toHaveLength(2)
    expect(inline[0]?.querySelector('msup')).not.toBeNull()
    expect(inline[0]?.getAttribute('display')).toBeNull()
    const blocks = [...box.querySelectorAll('div.math-display math')]
    expect(blocks.map((math) => math.getAttribute('display'))).toEqual(['block', 'block'])
    expect(blocks[1]?.querySelector('mfrac')).not.toBeNull()
    expect(box.querySelector('p span.math-display math[display="block"]')).not.toBeNull()
    // The TeX stays as an annotation for copying, not as visible text beside the formula.
    expect(box.querySelector('annotation')?.textContent).toBe('E = mc^2')
  })

  it('shows bad TeX as an error instead of throwing', () => {
    const box = dom(renderChatMarkdown('Oops $\\frac{1}{$ here.'))
    expect(box.querySelector('.katex-error')?.textContent).toBe('\\frac{1}{')
    expect(box.querySelector('[style]')).toBeNull()
  })

  it('leaves prices alone', () => {
    for (const text of ['It costs $5 and $10.', 'From $5-$10 or $5/$10.', 'US$5 and US$10', 'Pay $ 5 and $ 6', 'Escaped \\$x\\$ stays']) {
      const box = dom(renderChatMarkdown(text))
      expect(box.querySelector('math'), text).toBeNull()
      expect(box.textContent?.trim(), text).toBe(text.replace(/\\\$/g, '$'))
    }
  })

  it('leaves math inside code alone', () => {
    const box = dom(renderChatMarkdown('Use `$x$` and `\\(y\\)`, or $z$.\n\n```\n$$ a $$ and $b$\n```\n\n    $c$ indented'))
    expect([...box.querySelectorAll('code')].map((code) => code.textContent)).toEqual(['$x$', '\\(y\\)', '$$ a $$ and $b$', '$c$ indented'])
    expect(box.querySelectorAll('math')).toHaveLength(1)
  })
})

/** A small deterministic generator, so a failing split can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

const DOCUMENTS = [
  '# Title\n\nSome *text* with $x^2$ and `code`.\nA second line.\n\n- one\n- two\n  - nested\n\n1. first\n\n2. second\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n> more\n\nDone.',
  'Intro\n```python\ndef f(x):\n\n    return x\n```\nAfter the fence.\n\n```\nunclosed at first\n\n```\n\nTail paragraph\nSetext\n---\n\n    indented\n\n    code\n\nend',
  'See [the docs][docs] and [other].\n\n$$\n\\sum_{i=1}^n i\n$$\n\nText \\(a\\) and \\[b\\].\n\n[docs]: https://example.com/docs "Docs"\n\nMore [docs] later.\n\n[other]: https://example.com/other',
  '1. a\n\n2\n\n2. b\n\nfoo\n```a`\nbar\n\n- x\n\n-\n\n--\n\n* y\n\n<div>\n\n*raw*\n\n</div>\n\n***\n\n- [ ] task\n- [x] done',
  'A\n\n> quote\nlazy\n\n> another\n\n- item\n\n  continued\n\n      deep code\n\nback\n\n| h |\n| - |\n| r |\nrow2\n\nPrices $5 and $10, math $y$.',
]

/** Cut points from 1 to the end, in random steps of up to `maxStep` characters. */
function cuts(length: number, maxStep: number, next: () => number): number[] {
  const ends: number[] = []
  for (let end = 0; end < length; ) {
    end = Math.min(length, end + 1 + Math.floor(next() * maxStep))
    ends.push(end)
  }
  return ends
}

// Tokens as text, so comparing lexing at every cut stays cheap (the sanitiser is slow under happy-dom).
const asJson = (tokens: Token[]) => tokens.map((token) => JSON.stringify(token)).join('')

// Thousands of renders under a simulated DOM: slow on a busy machine, but not a measure of anything.
const HEAVY = 60_000

describe('incremental rendering', () => {
  it('lexes exactly like a full pass at every step, wherever the text is cut', () => {
    const next = random(7)
    for (const doc of DOCUMENTS) {
      for (const maxStep of [1, 4, 16, 48]) {
        const renderer = createIncrementalRenderer({ lex: lexChat, render: asJson })
        for (const end of cuts(doc.length, maxStep, next)) {
          const prefix = doc.slice(0, end)
          expect(renderer.render(prefix), JSON.stringify(prefix)).toBe(asJson(lexChat(prefix)))
        }
      }
    }
  }, HEAVY)

  it('gives exactly the HTML of a full render at every step', () => {
    const next = random(11)
    for (const doc of DOCUMENTS) {
      const renderer = createIncrementalRenderer()
      for (const end of cuts(doc.length, 40, next)) {
        const prefix = doc.slice(0, end)
        expect(renderer.render(prefix), JSON.stringify(prefix)).toBe(renderChatMarkdown(prefix))
      }
    }
  }, HEAVY)

  it('starts over when the text is replaced rather than extended', () => {
    const renderer = createIncrementalRenderer()
    renderer.render(DOCUMENTS[0] ?? '')
    expect(renderer.render('Something else\n\nentirely')).toBe(renderChatMarkdown('Something else\n\nentirely'))
  })

  it('renders each finished block a bounded number of times for a 200 KB answer', () => {
    const parts: string[] = []
    for (let i = 0; parts.join('').length < 200_000; i++) parts.push(DOCUMENTS[i % DOCUMENTS.length] ?? '', '\n\n')
    const answer = parts.join('')
    let lexed = 0
    let rendered = 0
    let renders = 0
    const renderer = createIncrementalRenderer({
      lex: (source, links) => {
        lexed += source.length
        return lexChat(source, links)
      },
      // Counting is the point here; the raw text stands in for HTML so the pieces can be checked.
      render: (tokens: Token[]) => {
        renders += 1
        const raw = tokens.map((token) => token.raw).join('')
        rendered += raw.length
        return raw
      },
    })
    let steps = 0
    let last = { chunks: [] as readonly string[], tail: '' }
    for (let end = 20; end < answer.length + 20; end += 20) {
      last = renderer.update(answer.slice(0, end))
      steps += 1
    }
    // Every block appears once, in order.
    expect(last.chunks.join('') + last.tail).toBe(answer)
    // One render for the tail per update plus one when blocks finish; re-rendering everything each
    // time would be thousands of times the answer's length, not a small multiple of it.
    expect(renders).toBeLessThanOrEqual(2 * steps)
    expect(rendered).toBeLessThan(25 * answer.length)
    expect(lexed).toBeLessThan(25 * answer.length)
    expect(last.chunks.length).toBeGreaterThan(100)
  }, HEAVY)
})

describe('MessageContent', () => {
  let writeText: ReturnType<typeof vi.fn<(text: string) => Promise<void>>>

  beforeEach(() => {
    writeText = vi.fn<(text: string) => Promise<void>>(() => Promise.resolve())
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } })
  })

  afterEach(() => {
    vi.useRealTimers()
    Reflect.deleteProperty(navigator, 'clipboard')
  })

  it('copies a code block when its button is clicked and says so for a moment', async () => {
    vi.useFakeTimers()
    const wrapper = mount(MessageContent, {
      props: { source: 'Run this:\n\n```bash\necho "$HOME" && ls\n```\n\nand this:\n\n```\nsecond\n```', streaming: false },
      attachTo: document.body,
    })
    const buttons = wrapper.findAll('button[data-copy-code]')
    expect(buttons).toHaveLength(2)
    await buttons[0]?.trigger('click')
    await vi.waitFor(() => expect(buttons[0]?.text()).toBe('Copied'))
    expect(writeText).toHaveBeenCalledWith('echo "$HOME" && ls')
    expect(buttons[1]?.text()).toBe('Copy')
    vi.advanceTimersByTime(1600)
    expect(buttons[0]?.text()).toBe('Copy')
  })

  it('updates the DOM at most once per frame while streaming, and at once when done', async () => {
    vi.useFakeTimers()
    const wrapper = mount(MessageContent, { props: { source: 'Hello', streaming: true }, attachTo: document.body })
    expect(wrapper.text()).toBe('Hello')
    await wrapper.setProps({ source: 'Hello wor' })
    await wrapper.setProps({ source: 'Hello world\n\nSecond' })
    expect(wrapper.text()).toBe('Hello')
    vi.advanceTimersToNextFrame()
    await wrapper.vm.$nextTick()
    expect(wrapper.findAll('p').map((p) => p.text())).toEqual(['Hello world', 'Second'])
    await wrapper.setProps({ source: 'Hello world\n\nSecond $x$', streaming: false })
    expect(wrapper.find('math').exists()).toBe(true)
    expect(wrapper.html()).not.toContain('$x$')
  })
})
