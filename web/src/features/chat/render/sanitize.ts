import type { Config } from 'dompurify'
import { lazyPurifier, restrictLink } from '../../../untrusted-html'

/**
 * Everything a model writes passes through here. Answers can be steered by whatever the model
 * read (a web page, a file), so they are treated like any untrusted HTML: no scripts, handlers,
 * styles, frames or forms; links only to the web or mail, opening in a new tab; and no image
 * that would make the browser fetch an address the model chose.
 */

// Pasted or generated pictures can stay: they are already in the page and fetch nothing.
export const INLINE_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp);/i

const sanitizer = lazyPurifier((node) => {
  if (node.tagName === 'A') restrictLink(node, { keepFragments: false })
  if (node.tagName === 'IMG' && !INLINE_IMAGE.test(node.getAttribute('src') ?? '')) node.removeAttribute('src')
  // Task-list boxes are the only inputs marked makes; they show state and are never editable.
  if (node.tagName === 'INPUT') {
    node.setAttribute('type', 'checkbox')
    node.setAttribute('disabled', '')
  }
})

const CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  USE_PROFILES: { html: true, mathMl: true },
  // KaTeX keeps the TeX source in an annotation; without these two its text would show beside the formula.
  ADD_TAGS: ['semantics', 'annotation'],
  FORBID_TAGS: ['style', 'form', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'svg', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  // Ids and names could clobber globals or collide with the app's own elements.
  FORBID_ATTR: ['style', 'id', 'name', 'srcset', 'formaction', 'action'],
  RETURN_DOM_FRAGMENT: true,
}

/** Sanitised markup as a fragment of the current document, ready for the app to add its own controls. */
export function sanitizeToFragment(html: string): DocumentFragment {
  return sanitizer().sanitize(html, CONFIG)
}
