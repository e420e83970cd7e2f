import { useMessage } from 'naive-ui'

/** Copies text and says so; where the browser forbids it (plain http on another host), says how instead. */
export function useCopy() {
  const message = useMessage()
  return async function copy(text: string, what: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text)
      message.success(`${what} copied`)
    } catch {
      message.error('Copying is not allowed here: select the text and copy it yourself.')
    }
  }
}
