/**
 * Words for the chat full-text index and the excerpts shown for a hit. Pure: the repository stores
 * `termsOf` in a multi-entry index and matches query words as prefixes of those terms, so this file
 * decides what "a word" is on both sides.
 */

/** Longer words are cut: a base64 blob or minified line must not become one huge index key. */
export const MAX_TERM_LENGTH = 40
/** Unique words kept from one text, so a pasted book does not add tens of thousands of index entries. */
export const MAX_TERMS_PER_TEXT = 2000

const WORD = /[\p{L}\p{N}]+/gu
const MARKS = /\p{M}+/gu
const IS_WORD_CHAR = /[\p{L}\p{N}]/u
const NON_ASCII = /[^\x00-\x7f]/

/** Letters Unicode does not decompose, spelled the way people type them without the key ("Tromsø" → "tromso"). */
const PLAIN: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i', ħ: 'h' }
const UNDECOMPOSED = /[øæœßđðłþıħ]/g

/**
 * Diacritics off (NFKD, marks dropped, so "café" and "cafe" meet), lower case. The final sigma is
 * the one context-dependent lower-casing in JavaScript; it is mapped so that folding a whole text
 * and folding it one character at a time (as `snippet` does) agree.
 */
function fold(text: string): string {
  // Plain ASCII (most chats) has nothing to decompose: skipping the normalization halves an import's word work.
  if (!NON_ASCII.test(text)) return text.toLowerCase()
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase().replace(/ς/g, 'σ').replace(UNDECOMPOSED, (letter) => PLAIN[letter] ?? letter)
}

/** Unique folded words of at least two characters, in order of first appearance, capped in length and number. */
export function termsOf(text: string, max = MAX_TERMS_PER_TEXT): string[] {
  const terms = new Set<string>()
  for (const match of fold(text).matchAll(WORD)) {
    const word = match[0].slice(0, MAX_TERM_LENGTH)
    if (word.length < 2) continue
    terms.add(word)
    if (terms.size >= max) break
  }
  return [...terms]
}

/** The words of a search box, folded like the index; one-letter words are dropped as the index drops them. */
export function queryTerms(query: string): string[] {
  return termsOf(query, 32)
}

export interface Snippet {
  /** A short excerpt with whitespace collapsed, "…" where it was cut. */
  text: string
  /** Spans of `text` (UTF-16 offsets, end exclusive) that matched a query word, in order, not overlapping. */
  matches: Array<{ start: number; end: number }>
}

/** The folded text with, for each of its code units, the original span it came from. */
interface FoldMap {
  folded: string
  from: (index: number) => number
  to: (index: number) => number
}

function foldWithMap(text: string): FoldMap {
  // Plain ASCII (most chats) folds to the same length: positions map one to one, no tables needed.
  if (!NON_ASCII.test(text)) return { folded: text.toLowerCase(), from: (i) => i, to: (i) => i + 1 }
  let folded = ''
  const from: number[] = []
  const to: number[] = []
  let i = 0
  for (const char of text) {
    const piece = fold(char)
    folded += piece
    for (let k = 0; k < piece.length; k++) {
      from.push(i)
      to.push(i + char.length)
    }
    i += char.length
  }
  return { folded, from: (index) => from[index] ?? text.length, to: (index) => to[index] ?? text.length }
}

function followsWordChar(text: string, at: number): boolean {
  if (at === 0) return false
  // The character before may be astral (two code units), e.g. a letter outside the Basic Multilingual Plane.
  const low = text.charCodeAt(at - 1)
  const start = low >= 0xdc00 && low <= 0xdfff && at >= 2 ? at - 2 : at - 1
  return IS_WORD_CHAR.test(String.fromCodePoint(text.codePointAt(start) ?? 0))
}

/**
 * Whether a query word matches whole words only. Two-letter words do: as prefixes they would match
 * a large share of the index (every word starting "ka"), which is slow and not what anyone wants.
 */
export const isWholeWord = (word: string): boolean => word.length < MIN_PREFIX_LENGTH
export const MIN_PREFIX_LENGTH = 3

/** Whether `word` found at `at` starts a word of the folded text: the same rule as matching the index. */
function startsWordAt(folded: string, word: string, at: number): boolean {
  if (followsWordChar(folded, at)) return false
  return !isWholeWord(word) || !IS_WORD_CHAR.test(String.fromCodePoint(folded.codePointAt(at + word.length) ?? 32))
}

/** Where query words start words of the folded text, merged, looking no further than `until`. */
function findMatches(folded: string, words: readonly string[], until = Infinity): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  for (const word of words) {
    for (let at = folded.indexOf(word); at !== -1 && at <= until; at = folded.indexOf(word, at + 1)) {
      if (startsWordAt(folded, word, at)) spans.push([at, at + word.length])
    }
  }
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const merged: Array<[number, number]> = []
  for (const span of spans) {
    const last = merged[merged.length - 1]
    if (last !== undefined && span[0] <= last[1]) last[1] = Math.max(last[1], span[1])
    else merged.push([span[0], span[1]])
  }
  return merged
}

/** The earliest place any query word starts a word of the folded text; stops at the first hit per word. */
function firstMatch(folded: string, words: readonly string[]): number {
  let first = -1
  for (const word of words) {
    for (let at = folded.indexOf(word); at !== -1 && (first === -1 || at < first); at = folded.indexOf(word, at + 1)) {
      if (startsWordAt(folded, word, at)) {
        first = at
        break
      }
    }
  }
  return first
}

/** True when some query word starts a word of `text`: the cheap test before building an excerpt. */
export function matchesQuery(text: string, words: readonly string[]): boolean {
  return words.length > 0 && firstMatch(fold(text), words) !== -1
}

/**
 * An excerpt of about `radius` characters either side of the first match of any query word, cut at
 * spaces, with every match inside it marked for highlighting; null when nothing matches.
 */
export function snippet(text: string, query: string, radius = 60): Snippet | null {
  const words = queryTerms(query)
  if (words.length === 0) return null
  const { folded, from, to } = foldWithMap(text)
  const start = firstMatch(folded, words)
  if (start === -1) return null
  // Only matches that can fall inside the excerpt are looked for: a long text can hold thousands of
  // "the". Folding expands a character to at most a few (ligatures, ß), hence the generous bound.
  const until = start + Math.max(...words.map((word) => word.length)) + radius * 4
  const spans = findMatches(folded, words, until).map(([s, e]) => [from(s), to(e - 1)] as const)
  const first = spans[0]
  if (first === undefined) return null

  let begin = Math.max(0, first[0] - radius)
  let end = Math.min(text.length, first[1] + radius)
  // Start and stop at whitespace so no word is cut in half (unless one word fills the whole window).
  if (begin > 0) {
    const space = text.slice(begin, first[0]).search(/\s/)
    begin = space === -1 ? begin : begin + space + 1
  }
  if (end < text.length) {
    const space = text.slice(first[1], end).search(/\s\S*$/)
    end = space === -1 ? end : first[1] + space
  }
  // Never split a surrogate pair.
  if (begin > 0 && /[\uDC00-\uDFFF]/.test(text.charAt(begin))) begin--
  if (end < text.length && /[\uDC00-\uDFFF]/.test(text.charAt(end))) end++

  // Collapse whitespace runs (excerpts show on one line) while remembering where each original index lands.
  let out = begin > 0 ? '…' : ''
  const at = new Map<number, number>()
  let inSpace = false
  for (let i = begin; i < end; i++) {
    const char = text.charAt(i)
    if (/\s/.test(char)) {
      if (!inSpace && out !== '' && out !== '…') out += ' '
      inSpace = true
      at.set(i, out.length)
      continue
    }
    inSpace = false
    at.set(i, out.length)
    out += char
  }
  out = out.trimEnd()
  const length = out.length
  if (end < text.length) out += '…'
  const matches = spans
    .filter(([start, stop]) => start >= begin && stop <= end)
    .map(([start, stop]) => ({ start: at.get(start) ?? 0, end: Math.min(length, (at.get(stop - 1) ?? 0) + 1) }))
  return { text: out, matches }
}
