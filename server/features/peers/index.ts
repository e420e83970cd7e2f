import { Elysia } from 'elysia'
import { directStream } from '../../http/direct-stream'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import { feedFrames, type FeedDeps } from './feed'
import { createPeerRequest, peerIdParams } from './model'
import type { PeerService } from './service'

export interface PeerRouteDeps {
  peers: PeerService
  feed: FeedDeps
  watch: AccessWatch
  /** Whether an API key still works: a feed ends as soon as its key is revoked or its owner disabled. */
  keyValid: (keyId: number) => boolean
}

const same = (frame: string) => frame

/**
 * Admins connect and disconnect other managers; everyone signed in sees the peers shared with them
 * (for the servers view and chat). `GET /api/peers/feed` is the other direction: what this manager
 * shows a manager that follows it, with an API key made here.
 */
export function peerRoutes(deps: PeerRouteDeps, session: ReturnType<typeof sessionPlugin>) {
  const { peers } = deps
  return new Elysia({ prefix: '/api/peers' })
    .use(session)
    .get('/', ({ user }) => peers.list(user), { admin: true })
    .post('/', async ({ user, body, status }) => status(201, await peers.create(user, body)), { admin: true, body: createPeerRequest })
    .delete(
      '/:id',
      ({ params, status }) => {
        peers.remove(params.id)
        return status(204)
      },
      { admin: true, params: peerIdParams },
    )
    .get('/servers', ({ user }) => peers.list(user), { auth: true })
    .get(
      '/feed',
      ({ user, key, request }) => {
        const guard = deps.watch.guardWhile(() => deps.keyValid(key.id), request.signal)
        const frames = feedFrames(deps.feed, { user, key }, guard.signal)
        return new Response(directStream(frames, same, { heartbeatMs: peers.timing.heartbeatMs, ping: ': ping\n\n', onEnd: guard.release }), {
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        })
      },
      { apiKey: true },
    )
}
