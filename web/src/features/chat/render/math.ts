import katex from 'katex'
import type { MarkedExtension, TokenizerAndRendererExtension, Tokens } from 'marked'

/**
 * LaTeX the way models write it: `$…$` and `\(…\)` inline, `$$…$$` and `\[…\]` for display.
 * KaTeX emits MathML only, which browsers lay out natively, so no KaTeX stylesheet or fonts ship.
 * Being a marked extension (not a pass over the HTML) means code spans and fences, which marked
 * tokenises first, keep their dollar signs.
 */

interface MathToken extends Tokens.Generic {
  type: 'blockMath' | 'inlineMath'
  raw: string
  tex: string
  display: boolean
}

// A display block owns its lines; a blank line inside means the `$$` was never meant to close there.
const BLOCK = [/^ {0,3}\$\$([\s\S]+?)\$\$[ \t]*(?:\n|$)/, /^ {0,3}\\\[([\s\S]+?)\\\][ \t]*(?:\n|$)/]
const BLOCK_START = /^ {0,3}(?:\$\$|\\\[)/m
const BLANK_LINE = /\n[ \t]*\n/

// Pandoc's rule keeps prices out: after the opening `$` and before the closing one comes a
// non-space, and the closing `$` is not followed by a digit ("$5 and $10" stays text). TeX math
// has no use for a backtick, so one means the dollars belong to prose around a code span.
const INLINE: { pattern: RegExp; display: boolean }[] = [
  { pattern: /^\$\$((?:\\[\s\S]|[^\\$`]|\$(?!\$))+?)\$\$/, display: true },
  { pattern: /^\\\[([\s\S]+?)\\\]/, display: true },
  { pattern: /^\\\(([\s\S]+?)\\\)/, display: false },
  { pattern: /^\$(?![\s$])((?:\\[\s\S]|[^\\$`])+?)(?<=\S)\$(?!\d)/, display: false },
]
const INLINE_START = /\$|\\[([]/

// Streaming re-renders the unfinished paragraph many times; its formulas need not be re-typeset each time.
const CACHE_LIMIT = 500
const cache = new Map<string, string>()

export function typeset(tex: string, display: boolean): string {
  const key = `${display ? 'D' : 'I'}${tex}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const html = katex.renderToString(tex, {
    displayMode: display,
    output: 'mathml',
    throwOnError: false,
    // Models mix Unicode into math; KaTeX would only warn about it on the console.
    strict: 'ignore',
    trust: false,
  })
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(key, html)
  return html
}

function mathToken(type: MathToken['type'], raw: string, tex: string, display: boolean): MathToken {
  return { type, raw, tex: tex.trim(), display }
}

const blockMath: TokenizerAndRendererExtension = {
  name: 'blockMath',
  level: 'block',
  start(src) {
    return src.match(BLOCK_START)?.index
  },
  tokenizer(src) {
    for (const pattern of BLOCK) {
      const match = pattern.exec(src)
      if (match === null) continue
      const tex = match[1] ?? ''
      if (BLANK_LINE.test(tex) || tex.trim() === '') return undefined
      return mathToken('blockMath', match[0], tex, true)
    }
    return undefined
  },
  renderer(token) {
    return `<div class="math math-display">${typeset(String(token.tex), true)}</div>\n`
  },
}

const inlineMath: TokenizerAndRendererExtension = {
  name: 'inlineMath',
  level: 'inline',
  start(src) {
    return src.match(INLINE_START)?.index
  },
  tokenizer(src) {
    for (const { pattern, display } of INLINE) {
      const match = pattern.exec(src)
      if (match === null) continue
      const tex = match[1] ?? ''
      if (tex.trim() === '') return undefined
      return mathToken('inlineMath', match[0], tex, display)
    }
    return undefined
  },
  renderer(token) {
    const display = token.display === true
    // A span even for display math: a block element would split the surrounding paragraph.
    return `<span class="math ${display ? 'math-display' : 'math-inline'}">${typeset(String(token.tex), display)}</span>`
  },
}

export function mathExtension(): MarkedExtension {
  return { extensions: [blockMath, inlineMath] }
}
