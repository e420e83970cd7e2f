import { describe, expect, it } from 'vitest'
import { defaultQuery, fromRouteQuery, routeHasQuery, sameRouteQuery, toRouteQuery } from '../../web/src/features/catalog/query'

const GIB = 1024 ** 3

describe('the catalog query in the address', () => {
  it('writes only what differs from the defaults, lists in their fixed order and sizes in GB', () => {
    expect(toRouteQuery(defaultQuery())).toEqual({})
    const query = { ...defaultQuery(), q: 'qwen3 8b', sort: 'likes' as const, author: 'mlx-community', bits: [4, 8] as (4 | 8)[], capability: ['tools' as const], minSize: 2 * GIB, maxSize: 8.5 * GIB, fits: true }
    expect(toRouteQuery(query)).toEqual({ q: 'qwen3 8b', sort: 'likes', author: 'mlx-community', bits: '4,8', capability: 'tools', min: '2', max: '8.5', fits: '1' })
    expect(fromRouteQuery(toRouteQuery(query))).toEqual(query)
    expect(sameRouteQuery(query, fromRouteQuery(toRouteQuery(query)))).toBe(true)
  })

  it('reads a hand-edited or old link leniently: unknown values are dropped, a backwards range is turned round', () => {
    expect(fromRouteQuery({ sort: 'random', bits: '8,4,7,x', arch: 'qwen,nonsense', capability: ['vision', 'tools'], min: '9', max: '3', fits: 'yes', author: '../etc' })).toEqual({
      ...defaultQuery(),
      bits: [4, 8],
      arch: ['qwen'],
      capability: ['vision'],
      minSize: 3 * GIB,
      maxSize: 9 * GIB,
    })
    expect(fromRouteQuery({ q: 'x'.repeat(500) }).q).toHaveLength(200)
  })

  it('tells a bare /catalog from one that names a query', () => {
    expect(routeHasQuery({})).toBe(false)
    expect(routeHasQuery({ redirect: '/x' })).toBe(false)
    expect(routeHasQuery({ q: '' })).toBe(true)
    expect(routeHasQuery({ fits: '1' })).toBe(true)
  })
})
