import { COPY_ATTRIBUTE, COPY_LABEL } from './code-blocks'

/** How long a copy button says "Copied" before it reads "Copy" again. */
export const COPIED_FOR_MS = 1500

/**
 * The Clipboard API only exists in secure contexts; the app is also opened over plain HTTP from a
 * phone on the LAN, where the old selection-based copy still works.
 */
async function writeClipboard(text: string): Promise<boolean> {
  if (typeof navigator.clipboard?.writeText === 'function') {
    await navigator.clipboard.writeText(text)
    return true
  }
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.opacity = '0'
  document.body.append(area)
  area.select()
  try {
    // Deprecated, but the only way to copy outside a secure context.
    return document.execCommand('copy')
  } finally {
    area.remove()
  }
}

/** The copy button a click landed on, if any. */
export function copyButtonOf(target: EventTarget | null): HTMLElement | null {
  return target instanceof Element ? target.closest<HTMLElement>(`[${COPY_ATTRIBUTE}]`) : null
}

/** Copies the code of the block the button heads, and says so on the button for a moment. */
export async function copyCode(button: HTMLElement): Promise<void> {
  const code = button.closest('.code-block')?.querySelector('pre > code')
  if (code === null || code === undefined) return
  let copied = false
  try {
    copied = await writeClipboard(code.textContent ?? '')
  } catch {
    copied = false
  }
  button.textContent = copied ? 'Copied' : 'Copy failed'
  button.dataset.copied = String(copied)
  setTimeout(() => {
    button.textContent = COPY_LABEL
    delete button.dataset.copied
  }, COPIED_FOR_MS)
}
