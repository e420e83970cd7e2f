import { Marked } from 'marked'
import { lazyPurifier, restrictLink } from '../../untrusted-html'

/**
 * Model cards are Markdown written by anyone on the hub, with raw HTML allowed. They are turned
 * into HTML and then sanitised: no scripts, event handlers, styles, forms or frames survive, and
 * only web and mail links are kept (a relative link would point into this app, not the repo).
 */
const markdown = new Marked({ gfm: true, breaks: false })

const sanitizer = lazyPurifier((node) => {
  if (node.tagName === 'A') restrictLink(node, { keepFragments: true })
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src') ?? ''
    if (!/^https:/i.test(src)) node.removeAttribute('src')
    node.setAttribute('loading', 'lazy')
    node.setAttribute('referrerpolicy', 'no-referrer')
  }
})

export function renderMarkdown(source: string): string {
  const html = markdown.parse(source, { async: false })
  return sanitizer().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style', 'class', 'id'],
  })
}
