import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { modelParams, modelQuery, searchQuery } from './model'
import type { CatalogService } from './service'

export function catalogRoutes(catalog: CatalogService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/catalog' })
    .use(session)
    .get('/search', ({ query }) => catalog.search(query), { auth: true, query: searchQuery })
    .get('/models/:org/:name', ({ params, query }) => catalog.model(`${params.org}/${params.name}`, query), {
      auth: true,
      params: modelParams,
      query: modelQuery,
    })
    .get('/system', () => catalog.system(), { auth: true })
}
