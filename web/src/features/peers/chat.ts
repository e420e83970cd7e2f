import type { ChatRequest } from '../../../../shared/chat'
import { peerModelName, type Peer } from '../../../../shared/peers'
import { modelTypeChats, PROFILE_DEFAULTS, type Profile } from '../../../../shared/profiles'

/**
 * Chat keeps one number per conversation for the profile that answers. A peer's profile gets a
 * negative one, -(peer id × SPAN + its id there), so it never meets a local profile's id and a saved
 * conversation still names it after a reload.
 */
const SPAN = 1_000_000

export function peerChatId(peerId: number, profileId: number): number {
  return -(peerId * SPAN + profileId)
}

export function fromPeerChatId(id: number): { peerId: number; profileId: number } | null {
  if (id >= 0) return null
  return { peerId: Math.floor(-id / SPAN), profileId: -id % SPAN }
}

/** The peers' chat models as profiles the chat can list, named `model@machine`. */
export function peerChatProfiles(peers: readonly Peer[]): Profile[] {
  return peers.flatMap((peer) =>
    peer.profiles
      .filter((remote) => modelTypeChats(remote.modelType) && remote.id < SPAN)
      .map((remote) => ({
        ...PROFILE_DEFAULTS,
        aliases: [],
        extraArgs: [],
        id: peerChatId(peer.id, remote.id),
        name: peerModelName(remote.name, peer.name),
        description: `On ${peer.name}`,
        model: remote.model,
        engine: remote.engine,
        modelType: remote.modelType,
        port: 0,
        createdAt: peer.createdAt,
        updatedAt: peer.since,
      })),
  )
}

/** The chat request for a peer's profile names the peer and the profile's id there. */
export function routedToPeer(request: ChatRequest): ChatRequest {
  const peer = fromPeerChatId(request.profileId)
  return peer === null ? request : { ...request, peerId: peer.peerId, profileId: peer.profileId }
}
