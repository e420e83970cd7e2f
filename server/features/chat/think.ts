/** A piece of streamed text, sorted into the model's thinking or its answer. */
export interface TextPiece {
  kind: 'reasoning' | 'token'
  text: string
}

const OPEN = '<think>'
const CLOSE = '</think>'

/** Length of the longest end of `text` that could be the start of `tag`. */
function partialTagLength(text: string, tag: string): number {
  // Nearly every chunk has no '<' near its end: skip the slicing (this runs once per token).
  const lt = text.lastIndexOf('<')
  if (lt === -1 || text.length - lt >= tag.length) return 0
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (tag.startsWith(text.slice(text.length - length))) return length
  }
  return 0
}

/**
 * Splits `<think>…</think>` out of streamed content. Tags may be cut anywhere between chunks,
 * so a possible partial tag at a chunk's end is held back until the next chunk settles it.
 */
export class ThinkSplitter {
  private pending = ''
  private thinking = false
  /** Models put a blank line after `</think>`; it is not part of the answer. */
  private trimAnswerStart = false

  push(text: string): TextPiece[] {
    const out: TextPiece[] = []
    this.pending += text
    for (;;) {
      const tag = this.thinking ? CLOSE : OPEN
      const at = this.pending.indexOf(tag)
      if (at === -1) break
      this.emit(out, this.pending.slice(0, at))
      this.pending = this.pending.slice(at + tag.length)
      this.thinking = !this.thinking
      this.trimAnswerStart = !this.thinking
    }
    const hold = partialTagLength(this.pending, this.thinking ? CLOSE : OPEN)
    this.emit(out, this.pending.slice(0, this.pending.length - hold))
    this.pending = this.pending.slice(this.pending.length - hold)
    return out
  }

  /** The stream ended: whatever was held back is plain text after all. */
  flush(): TextPiece[] {
    const out: TextPiece[] = []
    this.emit(out, this.pending)
    this.pending = ''
    return out
  }

  private emit(out: TextPiece[], raw: string): void {
    let text = raw
    if (!this.thinking && this.trimAnswerStart) {
      text = text.replace(/^\s+/, '')
      if (text !== '') this.trimAnswerStart = false
    }
    if (text === '') return
    const kind = this.thinking ? 'reasoning' : 'token'
    const last = out.at(-1)
    if (last?.kind === kind) last.text += text
    else out.push({ kind, text })
  }
}
