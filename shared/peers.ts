import type { ModelType, EngineName } from './profiles'
import type { ServerState } from './servers'

/** How this manager's link to another manager stands. */
export const PEER_STATES = ['connecting', 'online', 'unreachable', 'refused'] as const
export type PeerState = (typeof PEER_STATES)[number]

export const PEER_LIMITS = {
  nameMaxLength: 40,
  urlMaxLength: 500,
  keyMaxLength: 200,
  /** Peer names become part of model names (`profile@peer`), so they stay plain. */
  namePattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
} as const

/**
 * A profile of another manager as its key lets this one see it: enough to list, label, chat with
 * and start it, nothing about how it runs there (no command line, paths or log lines).
 */
export interface RemoteProfile {
  id: number
  name: string
  aliases: string[]
  model: string
  engine: EngineName
  modelType: ModelType
  state: ServerState
  /** Why its server failed there, in that manager's words. */
  failure: string | null
}

/** A peer as a signed-in user sees it; admins also get the address and the last error. */
export interface Peer {
  id: number
  name: string
  state: PeerState
  /** Members may see its profiles and chat with them; admins always may. */
  availableToMembers: boolean
  /** Its profiles as last heard; kept while it is unreachable, with their last known state. */
  profiles: RemoteProfile[]
  /** When the link last changed state. */
  since: string
  /** Admins only (null for members): its base URL, the key's visible start and what last went wrong. */
  url: string | null
  keyPrefix: string | null
  lastError: string | null
  createdAt: string
}

/** `POST /api/peers`: the key is one made on the other manager, kept on this server and never shown again. */
export interface CreatePeerRequest {
  name: string
  url: string
  apiKey: string
  availableToMembers?: boolean
}

/** The name a gateway client sends for a peer's profile: the profile's name (or alias) and the machine. */
export const peerModelName = (profileName: string, peerName: string) => `${profileName}@${peerName}`
