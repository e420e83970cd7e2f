import DOMPurify from 'dompurify'
import { Marked } from 'marked'
import { restrictLink } from '../../safe-links'

/**
 * Model cards are Markdown written by anyone on the hub, with raw HTML allowed. They are turned
 * into HTML and then sanitised: no scripts, event handlers, styles, forms or frames survive, and
 * only web and mail links are kept (a relative link would point into this app, not the repo).
 */
const markdown = new Marked({ gfm: true, breaks: false })

let purifier: ReturnType<typeof DOMPurify> | null = null

function sanitizer(): ReturnType<typeof DOMPurify> {
  if (purifier !== null) return purifier
  const instance = DOMPurify(window)
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') restrictLink(node, { keepFragments: true })
    if (node.tagName === 'IMG') {
      const src = node.getAttribute('src') ?? ''
      if (!/^https:/i.test(src)) node.removeAttribute('src')
      node.setAttribute('loading', 'lazy')
      node.setAttribute('referrerpolicy', 'no-referrer')
    }
  })
  purifier = instance
  return instance
}

export function renderMarkdown(source: string): string {
  const html = markdown.parse(source, { async: false })
  return sanitizer().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style', 'class', 'id'],
  })
}
