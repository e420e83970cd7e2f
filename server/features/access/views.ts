import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { hiddenProfile, mayUse, notAvailable, profileFor, serverFor, type Viewer } from './viewer'

export interface AccessDeps {
  profiles: { list(): Profile[]; get(id: number): Profile }
  servers: { list(): ServerStatus[]; get(profileId: number): ServerStatus }
}

/** Profiles and servers as the viewer may see them (admins: all; members: what is available to them). */
export class AccessViews {
  constructor(private readonly deps: AccessDeps) {}

  profiles(viewer: Viewer): Profile[] {
    return this.deps.profiles
      .list()
      .filter((profile) => mayUse(viewer, profile))
      .map((profile) => profileFor(viewer, profile))
  }

  profile(viewer: Viewer, id: number): Profile {
    return profileFor(viewer, this.visible(viewer, id))
  }

  servers(viewer: Viewer): ServerStatus[] {
    if (viewer.isAdmin) return this.deps.servers.list()
    const usable = new Set(this.profiles(viewer).map((profile) => profile.id))
    return this.deps.servers
      .list()
      .filter((status) => usable.has(status.profileId))
      .map((status) => serverFor(viewer, status))
  }

  server(viewer: Viewer, profileId: number): ServerStatus {
    this.visible(viewer, profileId)
    return serverFor(viewer, this.deps.servers.get(profileId))
  }

  /** The profile the viewer wants to chat with; a member gets 403 for one not available to them. */
  usable(viewer: Viewer, id: number): Profile {
    const profile = this.deps.profiles.get(id)
    if (!mayUse(viewer, profile)) throw notAvailable(profile)
    return profile
  }

  private visible(viewer: Viewer, id: number): Profile {
    const profile = this.deps.profiles.get(id)
    if (!mayUse(viewer, profile)) throw hiddenProfile(id)
    return profile
  }
}
