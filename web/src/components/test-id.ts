import type { HTMLAttributes } from 'vue'

/**
 * A `data-testid` for the props objects Naive UI spreads onto elements it renders itself (dropdown
 * options, native inputs). An object literal with a data-* key is refused by Vue's HTMLAttributes type; a record is not.
 */
export function testIdProps(id: string, extra: Record<string, string> = {}): HTMLAttributes {
  const props: Record<string, string> = { ...extra, 'data-testid': id }
  return props
}
