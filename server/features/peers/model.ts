import { t } from 'elysia'
import { PEER_LIMITS as L } from '../../../shared/peers'
import { idParam } from '../../http/ids'

export const createPeerRequest = t.Object(
  {
    name: t.String({
      minLength: 1,
      maxLength: L.nameMaxLength,
      pattern: L.namePattern,
      error: `A peer's name is 1 to ${L.nameMaxLength} letters, digits, dots, dashes or underscores (it labels its models, as in "qwen@studio").`,
    }),
    url: t.String({ minLength: 1, maxLength: L.urlMaxLength, error: 'url is the address of the other manager, such as http://192.168.1.20:8080.' }),
    apiKey: t.String({ minLength: 1, maxLength: L.keyMaxLength, error: 'apiKey is an API key made on the other manager (it starts with mlxm_).' }),
    availableToMembers: t.Optional(t.Boolean({ error: 'availableToMembers is true or false.' })),
  },
  { error: 'Send {"name": "studio", "url": "http://192.168.1.20:8080", "apiKey": "mlxm_…"}, optionally with availableToMembers.' },
)

export type CreatePeerBody = typeof createPeerRequest.static

export const peerIdParams = t.Object({ id: idParam('A peer') })

/** How often a feed says it is alive, and how long a follower waits in silence before giving up on it. */
export interface PeerTiming {
  /** A first answer (the check when adding, the feed's headers) must come within this. */
  connectTimeoutMs: number
  /** The feed sends a ping this often when nothing changes. */
  heartbeatMs: number
  /** A feed silent this long is taken as gone (a cut network sends no close). */
  silenceMs: number
  /** Reconnecting waits this long, doubling per failed try, up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
}

export const DEFAULT_PEER_TIMING: PeerTiming = {
  connectTimeoutMs: 5_000,
  heartbeatMs: 5_000,
  silenceMs: 15_000,
  retryBaseMs: 250,
  retryMaxMs: 5_000,
}
