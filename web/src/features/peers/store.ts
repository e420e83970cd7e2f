import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { CreatePeerRequest, Peer } from '../../../../shared/peers'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

/**
 * Other managers this one follows, as the signed-in user may see them (admins: all, with address
 * and last error; members: the ones shared with them). States arrive as `peers.state` events.
 */
export const usePeersStore = defineStore('peers', () => {
  const peers = ref<Peer[]>([])

  const { loaded, loading, loadError, load, forget } = useGuardedLoad(
    () => request(api.peers.servers.get()),
    (list) => (peers.value = list),
  )

  const byId = computed(() => new Map(peers.value.map((peer) => [peer.id, peer])))

  /** A peer's change, from the event stream: replaces it in place or adds it in name order. */
  function apply(peer: Peer): void {
    const index = peers.value.findIndex((item) => item.id === peer.id)
    if (index >= 0) peers.value.splice(index, 1, peer)
    else peers.value = [...peers.value, peer].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }))
  }

  function drop(id: number): void {
    peers.value = peers.value.filter((peer) => peer.id !== id)
  }

  /** Connects another manager; the manager checks the address and key before it keeps them. */
  async function add(input: CreatePeerRequest): Promise<Peer> {
    const peer = await guarded(() => request(api.peers.post(input)))
    // Its link may have come online before this answer arrived: the event's state is the newer one.
    if (!byId.value.has(peer.id)) apply(peer)
    return peer
  }

  async function remove(id: number): Promise<void> {
    await guarded(() => request(api.peers({ id }).delete()))
    drop(id)
  }

  function reset(): void {
    peers.value = []
    forget()
  }

  return { peers, byId, loaded, loading, loadError, load, apply, drop, add, remove, reset }
})
