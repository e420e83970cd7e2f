import type { PeerState } from '../../../../shared/peers'

export const PEER_STATE_LABELS: Record<PeerState, { label: string; type: 'default' | 'info' | 'success' | 'warning' | 'error' }> = {
  connecting: { label: 'Connecting', type: 'info' },
  online: { label: 'Online', type: 'success' },
  unreachable: { label: 'Unreachable', type: 'error' },
  refused: { label: 'Key refused', type: 'warning' },
}

/** "3 profiles · 1 ready" for a peer's row. */
export function peerSummary(profiles: { state: string }[]): string {
  if (profiles.length === 0) return 'No profiles shared with this manager'
  const ready = profiles.filter((profile) => profile.state === 'ready').length
  return `${profiles.length} ${profiles.length === 1 ? 'profile' : 'profiles'} · ${ready} ready`
}
