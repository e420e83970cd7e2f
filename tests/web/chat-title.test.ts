import { describe, expect, it } from 'vitest'
import { titleFor } from '../../web/src/features/chat/title'

describe('a new chat title', () => {
  it('keeps a first line of exactly 60 characters whole', () => {
    const line = `${'a'.repeat(29)} ${'b'.repeat(30)}`
    expect(line).toHaveLength(60)
    expect(titleFor(line)).toBe(line)
  })

  it('cuts a longer line at its last word break past the middle, and marks the cut', () => {
    const line = `${'a'.repeat(40)} ${'b'.repeat(30)}`
    expect(titleFor(line)).toBe(`${'a'.repeat(40)}…`)
  })

  it('cuts at 60 characters when the only word break is in the first half', () => {
    const line = `${'a'.repeat(10)} ${'b'.repeat(70)}`
    expect(titleFor(line)).toBe(`${'a'.repeat(10)} ${'b'.repeat(49)}…`)
  })

  it('drops indented and tilde fences, spaced rules, deep headings, task and numbered markers', () => {
    expect(titleFor('  ```python\nprint(1)\n  ```')).toBe('print(1)')
    expect(titleFor('~~~\ncode\n~~~')).toBe('code')
    expect(titleFor('- - -\nAfter the rule')).toBe('After the rule')
    expect(titleFor('######   Deep heading')).toBe('Deep heading')
    expect(titleFor('- [x] done task\n10) tenth step')).toBe('done task tenth step')
  })

  it('keeps the words inside single-letter emphasis, double ticks and a leading underscore', () => {
    expect(titleFor('*a* and ``b`` and _c_')).toBe('a and b and c')
    expect(titleFor('<span class="x">tagged</span> text')).toBe('tagged text')
  })
})
