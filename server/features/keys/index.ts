import { Elysia } from 'elysia'
import type { ApiKey, ListedApiKey } from '../../../shared/keys'
import type { sessionPlugin } from '../auth/session'
import { createKeyRequest, keyIdParams, listKeysQuery } from './model'
import type { ApiKeyService } from './service'

/** Each signed-in user manages their own API keys; admins may list and revoke everyone's. */
export function keyRoutes(keys: ApiKeyService, session: ReturnType<typeof sessionPlugin>, usage: { tokensToday(keyId: number): number }) {
  // A limited key's list entry says how much of today's limit is gone.
  const listed = (key: ApiKey): ListedApiKey => ({ ...key, tokensToday: key.dailyTokenLimit === null ? null : usage.tokensToday(key.id) })
  return new Elysia({ prefix: '/api/keys' })
    .use(session)
    .get('/', ({ user, query }) => keys.list(user, query.all === 'true').map(listed), { auth: true, query: listKeysQuery })
    .post('/', ({ user, body, status }) => status(201, keys.create(user, body)), { auth: true, body: createKeyRequest })
    .delete(
      '/:id',
      ({ user, params, status }) => {
        keys.remove(user, params.id)
        return status(204)
      },
      { auth: true, params: keyIdParams },
    )
}
