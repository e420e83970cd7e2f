import { Marked } from 'marked'
import { lazyPurifier, restrictLink } from '../../untrusted-html'

/**
 * Model cards are Markdown written by anyone on the hub, with raw HTML allowed. They are turned
 * into HTML and then sanitised: no scripts, event handlers, styles, forms or frames survive, and
 * only web and mail links are kept (a relative link would point into this app, not the repo).
 */
const markdown = new Marked({ gfm: true, breaks: false })

/** Set for the length of one (synchronous) sanitize call: whether images from other sites may load. */
let loadRemoteImages = false

const sanitizer = lazyPurifier((node) => {
  if (node.tagName === 'A') restrictLink(node, { keepFragments: true })
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src') ?? ''
    node.removeAttribute('src')
    // An image from another site tells that site who looked at which model, so it waits for a click.
    if (/^https:/i.test(src)) node.setAttribute(loadRemoteImages ? 'src' : REMOTE_IMAGE_ATTRIBUTE, src)
    node.setAttribute('loading', 'lazy')
    node.setAttribute('referrerpolicy', 'no-referrer')
  }
})

/** Where a held-back image keeps its address until the reader asks for images. */
export const REMOTE_IMAGE_ATTRIBUTE = 'data-remote-src'

/** How many images from other sites a rendered card holds back. */
export function heldBackImages(html: string): number {
  return html.split(`${REMOTE_IMAGE_ATTRIBUTE}=`).length - 1
}

export function renderMarkdown(source: string, options: { remoteImages?: boolean } = {}): string {
  const html = markdown.parse(source, { async: false })
  loadRemoteImages = options.remoteImages === true
  return sanitizer().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style', 'class', 'id'],
  })
}
