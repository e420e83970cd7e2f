import type { ServerEvent } from '../../../shared/events'
import { memberPeerView } from '../peers/service'
import { benchmarkFor, chatMetricsFor, profileFor, serverFor, type Viewer } from './viewer'

/**
 * Live events as one viewer may see them, for the life of one stream. Admins see all. Members
 * hear only of profiles available to them (one that stops being available is, to them, deleted)
 * and of those profiles' servers, without command lines or log lines; nothing of the others,
 * not even that they changed.
 */
export class EventView {
  /** Profiles this stream has shown the member as available, so taking one away can be told. */
  private readonly shown = new Set<number>()

  constructor(
    private readonly available: (profileId: number) => boolean,
    shownAtStart: Iterable<number> = [],
  ) {
    for (const id of shownAtStart) this.shown.add(id)
  }

  /** The event to deliver instead of `event`, or null to deliver nothing. */
  of(viewer: Viewer, event: ServerEvent): ServerEvent | null {
    if (viewer.isAdmin) return event
    switch (event.type) {
      case 'profiles.changed':
        if (event.data.availableToMembers) {
          this.shown.add(event.data.id)
          return { type: 'profiles.changed', data: profileFor(viewer, event.data) }
        }
        return this.shown.delete(event.data.id) ? { type: 'profiles.deleted', data: { id: event.data.id } } : null
      case 'profiles.deleted':
        return this.shown.delete(event.data.id) ? event : null
      case 'servers.state':
        return this.available(event.data.profileId) ? { type: 'servers.state', data: serverFor(viewer, event.data) } : null
      case 'servers.stats':
        return { type: 'servers.stats', data: { ...event.data, servers: event.data.servers.filter((sample) => this.available(sample.profileId)) } }
      case 'chat.metrics':
        return this.available(event.data.profileId) ? { type: 'chat.metrics', data: chatMetricsFor(viewer, event.data) } : null
      case 'benchmarks.progress':
        return this.available(event.data.profileId) ? { type: 'benchmarks.progress', data: benchmarkFor(viewer, event.data) } : null
      case 'peers.state':
        // A peer no longer shared with members reads, to them, as removed.
        return event.data.availableToMembers ? { type: 'peers.state', data: memberPeerView(event.data) } : { type: 'peers.removed', data: { id: event.data.id } }
      case 'engines.install':
      case 'users.pending':
      case 'hosts.changed':
      case 'hosts.removed':
        return null
      default:
        return event
    }
  }
}
