import hljs from 'highlight.js/lib/core'
import bash from 'highlight.js/lib/languages/bash'
import c from 'highlight.js/lib/languages/c'
import cpp from 'highlight.js/lib/languages/cpp'
import css from 'highlight.js/lib/languages/css'
import diff from 'highlight.js/lib/languages/diff'
import go from 'highlight.js/lib/languages/go'
import java from 'highlight.js/lib/languages/java'
import javascript from 'highlight.js/lib/languages/javascript'
import json from 'highlight.js/lib/languages/json'
import markdown from 'highlight.js/lib/languages/markdown'
import python from 'highlight.js/lib/languages/python'
import rust from 'highlight.js/lib/languages/rust'
import shell from 'highlight.js/lib/languages/shell'
import sql from 'highlight.js/lib/languages/sql'
import swift from 'highlight.js/lib/languages/swift'
import typescript from 'highlight.js/lib/languages/typescript'
import xml from 'highlight.js/lib/languages/xml'
import yaml from 'highlight.js/lib/languages/yaml'

/**
 * The languages models answer in most, registered one by one: the full highlight.js bundle is
 * ten times larger. Anything else is shown as escaped plain text, never guessed (auto-detection
 * is slow on long blocks and often wrong on short ones).
 */
const LANGUAGES = { bash, c, cpp, css, diff, go, java, javascript, json, markdown, python, rust, shell, sql, swift, typescript, xml, yaml }
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language)
hljs.registerAliases(['html', 'svg', 'vue'], { languageName: 'xml' })
hljs.registerAliases(['jsonl', 'ndjson'], { languageName: 'json' })

export interface HighlightedCode {
  /** Escaped HTML, with highlight.js token spans when the language is known. */
  html: string
  /** The canonical language name when it was highlighted, else null. */
  language: string | null
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char)
}

/** The first word of a fence's info string, if it is a plausible language name. */
export function languageOf(info: string | undefined): string {
  const word = (info ?? '').trim().split(/\s+/, 1)[0]?.toLowerCase() ?? ''
  return /^[a-z0-9][\w#+.-]{0,31}$/.test(word) ? word : ''
}

export function highlightCode(code: string, language: string): HighlightedCode {
  const known = language === '' ? undefined : hljs.getLanguage(language)
  if (known === undefined) return { html: escapeHtml(code), language: null }
  const result = hljs.highlight(code, { language, ignoreIllegals: true })
  return { html: result.value, language: result.language ?? language }
}
