import { t } from 'elysia'

/**
 * A numeric id in a path: plain decimal digits only. Coercing with Number() would take "0x10",
 * "1e3" or " 16" as ids of other rows, so the text is checked before it becomes a number.
 */
export const ID_PATTERN = '^[1-9][0-9]{0,15}$'

export function idParam(what: string) {
  return t
    .Transform(t.String({ pattern: ID_PATTERN, error: `${what} id is a positive whole number written in plain digits, such as 12.` }))
    .Decode((value) => Number(value))
    .Encode((value: number) => String(value))
}
