import DOMPurify from 'dompurify'

type Purifier = ReturnType<typeof DOMPurify>

/**
 * A DOMPurify of its own for one kind of untrusted HTML, made on first use (it needs the window),
 * with `hook` run on every element after the library has removed what it forbids.
 */
export function lazyPurifier(hook: (node: Element) => void): () => Purifier {
  let purifier: Purifier | null = null
  return () => {
    if (purifier !== null) return purifier
    purifier = DOMPurify(window)
    purifier.addHook('afterSanitizeAttributes', hook)
    return purifier
  }
}

/**
 * The link rule for HTML nobody here wrote (model cards, model answers), run on each `<a>` after
 * DOMPurify: web and mail links open in a new tab with no opener and no referrer; anything else
 * (javascript:, data:, or a relative path that would point into this app) loses its href. In-page
 * `#fragments` stay where the rendered text has the anchors they point to.
 */
const WEB_LINK = /^(?:https?:|mailto:)/i

export function restrictLink(anchor: Element, options: { keepFragments: boolean }): void {
  const href = anchor.getAttribute('href') ?? ''
  if (WEB_LINK.test(href)) {
    anchor.setAttribute('target', '_blank')
    anchor.setAttribute('rel', 'noopener noreferrer nofollow')
  } else if (!(options.keepFragments && href.startsWith('#'))) {
    anchor.removeAttribute('href')
  }
}
