import { t } from 'elysia'
import { ARCH_FAMILIES, CAPABILITIES, CATALOG_QUERY_MAX_LENGTH, CATALOG_SORTS, QUANT_BITS } from '../../../shared/catalog'
import { MAX_FIT_CONTEXT, MIN_FIT_CONTEXT } from '../../../shared/memory-fit'

/** A comma-separated list drawn from `values`, e.g. `bits=4,8`. */
function listOf(values: readonly (string | number)[], name: string) {
  const one = values.map((value) => String(value).replace(/[.-]/g, '\\$&')).join('|')
  return t.String({
    pattern: `^(${one})(,(${one}))*$`,
    maxLength: 200,
    error: `${name} is a comma-separated list of: ${values.join(', ')}.`,
  })
}

const size = (name: string) =>
  t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, error: `${name} is a size in bytes: a whole number, 0 or more.` })

const context = t.Integer({
  minimum: MIN_FIT_CONTEXT,
  maximum: MAX_FIT_CONTEXT,
  error: `context is a number of tokens from ${MIN_FIT_CONTEXT} to ${MAX_FIT_CONTEXT}.`,
})

export const searchQuery = t.Object({
  q: t.Optional(t.String({ maxLength: CATALOG_QUERY_MAX_LENGTH, error: `q is at most ${CATALOG_QUERY_MAX_LENGTH} characters.` })),
  sort: t.Optional(t.UnionEnum(CATALOG_SORTS, { error: `sort is one of: ${CATALOG_SORTS.join(', ')}.` })),
  /** The hub's cursor from the previous page's `nextCursor`, passed back unchanged. */
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 2048, pattern: '^[A-Za-z0-9+/=_%.-]+$', error: 'cursor must be a nextCursor from an earlier page.' })),
  author: t.Optional(t.String({ pattern: '^[A-Za-z0-9][\\w.-]{0,95}$', error: 'author is a hub user or organisation name, such as mlx-community.' })),
  arch: t.Optional(listOf(ARCH_FAMILIES, 'arch')),
  bits: t.Optional(listOf(QUANT_BITS, 'bits')),
  capability: t.Optional(listOf(CAPABILITIES, 'capability')),
  minSize: t.Optional(size('minSize')),
  maxSize: t.Optional(size('maxSize')),
  fits: t.Optional(t.BooleanString({ error: 'fits is true or false.' })),
  context: t.Optional(context),
})

export type SearchQuery = typeof searchQuery.static

/** Loose here; the service checks the id against the one model-id rule and says why it is refused. */
export const modelParams = t.Object({
  org: t.String({ maxLength: 256 }),
  name: t.String({ maxLength: 256 }),
})

export const modelQuery = t.Object({ context: t.Optional(context) })

export type ModelQuery = typeof modelQuery.static
