import type { Links, Token, Tokens, TokensList } from 'marked'
import { lexChat, renderTokens } from './markdown'

/**
 * Rendering for an answer that grows token by token. Blocks that can no longer change are rendered
 * once and kept; each update lexes and renders only the unfinished tail, so a long answer costs
 * time in proportion to its length instead of its length squared.
 *
 * A block is finished once a blank line and a complete line of a later block follow it. That is
 * stricter than marked's own block boundaries on purpose: while a line is still arriving it can
 * change what the block before it is ("2" may become the list item "2."; a line under a paragraph
 * may turn out not to open a fence after all), and an unclosed fence runs to the end of the text,
 * so it stays in the tail until it closes.
 */

export interface RenderEngine {
  lex(source: string, links: Links): TokensList
  render(tokens: Token[]): string
}

export interface RenderedMessage {
  /** HTML of finished blocks, in order; an entry never changes once added. */
  readonly chunks: readonly string[]
  /** HTML of the unfinished rest. */
  readonly tail: string
}

export interface IncrementalRenderer {
  update(source: string): RenderedMessage
  /** The whole HTML: the same as rendering the source in one go. */
  render(source: string): string
}

const chatEngine: RenderEngine = { lex: lexChat, render: renderTokens }

const ENDS_WITH_BLANK_LINE = /\n[ \t]*\n$/

/** Index of the first token of the unfinished tail, and where it starts in the source. */
function unfinishedFrom(tokens: Token[], source: string): { index: number; offset: number } {
  let best = { index: 0, offset: 0 }
  let offset = 0
  for (const [index, token] of tokens.entries()) {
    // marked sometimes adds or drops a newline in a token's raw; then offsets cannot be trusted.
    if (source.startsWith(token.raw, offset) === false) return { index: 0, offset: 0 }
    const lineComplete = source.indexOf('\n', offset) !== -1
    if (index > 0 && token.type !== 'space' && lineComplete && ENDS_WITH_BLANK_LINE.test(source.slice(Math.max(0, offset - 64), offset))) {
      best = { index, offset }
    }
    offset += token.raw.length
  }
  return best
}

/** Reference definitions made by these tokens (nested ones too), first one winning as in marked. */
function definitions(tokens: Token[], into: Links): Links {
  const links: Links = { ...into }
  const visit = (list: Token[]): void => {
    for (const token of list) {
      if (token.type === 'def') {
        const { tag, href, title } = token as Tokens.Def
        links[tag] ??= { href, title }
      }
      if ('tokens' in token && Array.isArray(token.tokens)) visit(token.tokens)
      if ('items' in token && Array.isArray(token.items)) visit(token.items as Token[])
    }
  }
  visit(tokens)
  return links
}

function sameLinks(a: Links, b: Links): boolean {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  // marked leaves a missing title undefined; treat it like an empty one.
  return keys.every((key) => b[key] !== undefined && a[key]?.href === b[key].href && (a[key]?.title ?? '') === (b[key].title ?? ''))
}

export function createIncrementalRenderer(engine: RenderEngine = chatEngine): IncrementalRenderer {
  // The finished blocks are the first `doneLength` characters of `previous`.
  let doneLength = 0
  let previous = ''
  let chunks: string[] = []
  // Definitions made in the finished blocks, and all definitions their HTML was rendered with.
  let doneLinks: Links = {}
  let renderedWith: Links = {}
  let last: RenderedMessage = { chunks, tail: '' }

  function reset(): void {
    doneLength = 0
    chunks = []
    doneLinks = {}
    renderedWith = {}
  }

  function update(raw: string): RenderedMessage {
    // Whole-answer work on every token must stay native-fast: a regex only when there are CRs, and
    // string equality (a memory compare) rather than startsWith, which walks character by character.
    const source = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw
    if (source === previous) return last
    if (source.length < doneLength || source.slice(0, doneLength) !== previous.slice(0, doneLength)) reset()
    previous = source
    let tail = source.slice(doneLength)
    let tokens = engine.lex(tail, doneLinks)
    // A reference definition applies to the whole answer, finished blocks included: when the
    // set changes, the finished blocks are rendered again with it.
    if (!sameLinks(tokens.links, renderedWith)) {
      reset()
      tail = source
      tokens = engine.lex(tail, {})
      renderedWith = { ...tokens.links }
    }
    const { index, offset } = unfinishedFrom(tokens, tail)
    if (index > 0) {
      const finished = tokens.slice(0, index)
      chunks = [...chunks, engine.render(finished)]
      doneLinks = definitions(finished, doneLinks)
      doneLength += offset
    }
    last = { chunks, tail: engine.render(tokens.slice(index)) }
    return last
  }

  return {
    update,
    render: (source) => {
      const { chunks: finished, tail } = update(source)
      return finished.join('') + tail
    },
  }
}
