/**
 * The app's own chrome around each sanitised code block: a header naming the language and a copy
 * button. It is added after sanitising, so the sanitiser can keep refusing buttons in model output;
 * the label is set as text, never as markup. MessageContent finds the buttons by `data-copy-code`.
 */

export const COPY_ATTRIBUTE = 'data-copy-code'
export const COPY_LABEL = 'Copy'

function languageLabel(code: Element): string {
  for (const name of code.classList) {
    if (name.startsWith('language-')) return name.slice('language-'.length)
  }
  return 'text'
}

export function decorateCodeBlocks(root: DocumentFragment): void {
  const doc = root.ownerDocument
  for (const code of root.querySelectorAll('pre > code')) {
    const pre = code.parentElement
    if (pre === null) continue
    const block = doc.createElement('div')
    block.className = 'code-block'
    const header = doc.createElement('div')
    header.className = 'code-header'
    const label = doc.createElement('span')
    label.className = 'code-language'
    label.textContent = languageLabel(code)
    const button = doc.createElement('button')
    button.type = 'button'
    button.className = 'code-copy'
    button.setAttribute(COPY_ATTRIBUTE, '')
    button.setAttribute('aria-label', 'Copy code')
    button.textContent = COPY_LABEL
    header.append(label, button)
    pre.replaceWith(block)
    block.append(header, pre)
  }
}
