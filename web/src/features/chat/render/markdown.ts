import { Marked, type Links, type Token, type Tokens, type TokensList } from 'marked'
import { decorateCodeBlocks } from './code-blocks'
import { escapeHtml, highlightCode, languageOf } from './highlight'
import { mathExtension } from './math'
import { INLINE_IMAGE, sanitizeToFragment } from './sanitize'

/**
 * Chat answers: GitHub-flavoured Markdown with line breaks kept as the model wrote them (what chat
 * UIs do), highlighted code, and math. Raw HTML in an answer is shown as text rather than
 * interpreted: models write tags in prose far more often than they mean markup, and it keeps
 * every block's HTML self-contained, which incremental rendering relies on.
 */
const chat = new Marked({ gfm: true, breaks: true }, mathExtension(), {
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = languageOf(lang)
      const { html, language: known } = highlightCode(text, language)
      const classes = [known === null ? '' : 'hljs', language === '' ? '' : `language-${language}`].filter(Boolean).join(' ')
      return `<pre><code${classes === '' ? '' : ` class="${classes}"`}>${html}</code></pre>\n`
    },
    html({ text, block }: Tokens.HTML | Tokens.Tag): string {
      const escaped = escapeHtml(text.trimEnd())
      return block === true ? `<p>${escaped.replace(/\n/g, '<br>')}</p>\n` : escaped
    },
    image({ href, text }: Tokens.Image): string {
      // A remote image would be a request to an address the model picked; its alt text says enough.
      if (!INLINE_IMAGE.test(href)) return escapeHtml(text)
      return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`
    },
  },
})

/** Block tokens for a piece of an answer; `links` seeds reference definitions made earlier in it. */
export function lexChat(source: string, links: Links = {}): TokensList {
  const lexer = new chat.Lexer(chat.defaults)
  Object.assign(lexer.tokens.links, links)
  return lexer.lex(source)
}

/** Sanitised HTML for a run of block tokens. */
export function renderTokens(tokens: Token[]): string {
  const fragment = sanitizeToFragment(chat.parser(tokens))
  decorateCodeBlocks(fragment)
  const box = fragment.ownerDocument.createElement('div')
  box.append(fragment)
  return box.innerHTML
}

export function renderChatMarkdown(source: string): string {
  return renderTokens(lexChat(source))
}
