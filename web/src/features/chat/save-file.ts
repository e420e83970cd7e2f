import type { ExportFile } from './history-store'

/** Hands a made file to the browser as a download. */
export function saveFile(file: ExportFile): void {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.type }))
  const link = document.createElement('a')
  link.href = url
  link.download = file.name
  link.click()
  // The download has started by the next tick; the URL can go a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
