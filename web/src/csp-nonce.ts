/**
 * The page's Content-Security-Policy lets in only styles that carry this page's nonce. naive-ui
 * writes its component styles into <style> elements at run time and has no nonce option, so
 * every <style> element the app creates is given the nonce the server put in the page. Imported
 * first in main.ts, before any component can create one.
 */
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? ''

if (nonce !== '') {
  const create: (tagName: string, options?: ElementCreationOptions) => HTMLElement = document.createElement.bind(document)
  const createWithNonce = (tagName: string, options?: ElementCreationOptions): HTMLElement => {
    const element = create(tagName, options)
    if (tagName.toLowerCase() === 'style') element.setAttribute('nonce', nonce)
    return element
  }
  document.createElement = createWithNonce
}

export {}
