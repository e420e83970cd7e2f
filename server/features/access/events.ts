import type { ServerEvent } from '../../../shared/events'
import { profileFor, serverFor, type Viewer } from './viewer'

/**
 * An event as the viewer may see it, or null when it is none of their business. Admins see all.
 * Members hear only of profiles available to them (a profile that stops being available is, to
 * them, deleted) and of those profiles' servers, without command lines or log lines.
 */
export function eventFor(viewer: Viewer, event: ServerEvent, available: (profileId: number) => boolean): ServerEvent | null {
  if (viewer.isAdmin) return event
  switch (event.type) {
    case 'profiles.changed':
      return event.data.availableToMembers
        ? { type: 'profiles.changed', data: profileFor(viewer, event.data) }
        : { type: 'profiles.deleted', data: { id: event.data.id } }
    case 'servers.state':
      return available(event.data.profileId) ? { type: 'servers.state', data: serverFor(viewer, event.data) } : null
    case 'servers.stats':
      return { type: 'servers.stats', data: { ...event.data, servers: event.data.servers.filter((sample) => available(sample.profileId)) } }
    case 'chat.metrics':
      return available(event.data.profileId) ? event : null
    case 'engines.install':
    case 'users.pending':
      return null
    default:
      return event
  }
}
