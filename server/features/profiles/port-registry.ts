import { FIRST_SUGGESTED_PORT, PROFILE_DEFAULTS, PROFILE_LIMITS, type Profile } from '../../../shared/profiles'
import { type AppError, badRequest, conflict } from '../../http/errors'
import type { PortProbe } from './ports'

export interface PortRegistryDeps {
  probe: PortProbe
  /** The saved profiles, whose ports are spoken for even while their servers are stopped. */
  profiles: { list(): Profile[]; find(id: number): Profile | null }
  /** Ports no profile may take (the manager's own). */
  reservedPorts: number[]
}

/**
 * The one owner of port allocation: which ports profiles keep, which ports running servers hold
 * (the supervisor says so as they start and exit), and what the OS says about the rest.
 */
export class PortRegistry {
  /** profileId → the port its running server holds. */
  private readonly held = new Map<number, number>()

  constructor(private readonly deps: PortRegistryDeps) {}

  hold(profileId: number, port: number): void {
    this.held.set(profileId, port)
  }

  release(profileId: number): void {
    this.held.delete(profileId)
  }

  /** The profile whose running server holds this port, if one of ours does. */
  holderOf(port: number): { profileId: number; name: string } | null {
    for (const [profileId, heldPort] of this.held) {
      if (heldPort !== port) continue
      return { profileId, name: this.deps.profiles.find(profileId)?.name ?? `profile ${profileId}` }
    }
    return null
  }

  assertNotReserved(port: number): void {
    if (this.deps.reservedPorts.includes(port)) {
      throw conflict('port-taken', `Port ${port} is where MLX Manager itself listens. Choose another port.`)
    }
  }

  /** The first port from `from` that no profile uses and the OS says is free on `host`. */
  async suggest(host: string = PROFILE_DEFAULTS.host, from = FIRST_SUGGESTED_PORT, excludeId: number | null = null): Promise<number> {
    const taken = new Set([...this.deps.reservedPorts, ...this.deps.profiles.list().filter((p) => p.id !== excludeId).map((p) => p.port)])
    let tries = 0
    for (let port = Math.max(from, PROFILE_LIMITS.portMin); port <= PROFILE_LIMITS.portMax && tries < 200; port++) {
      if (taken.has(port) || this.holderOf(port) !== null) continue
      tries++
      const check = await this.deps.probe.check(host, port)
      if (check === 'free') return port
      if (check === 'address-unavailable') throw hostError(host)
    }
    throw conflict('no-free-port', `No free port was found from ${from}; choose one yourself.`)
  }

  /** Refuses a port another running server of ours or another program holds; a profile's own server is no conflict. */
  async assertFree(host: string, port: number, profileId: number | null): Promise<void> {
    const holder = this.holderOf(port)
    if (holder !== null && holder.profileId !== profileId) {
      throw conflict('port-in-use', `Port ${port} is held by the running server of "${holder.name}". Choose another port or stop that server.`)
    }
    if (holder !== null) return
    const check = await this.deps.probe.check(host, port)
    if (check === 'free') return
    if (check === 'address-unavailable') throw hostError(host)
    if (check === 'forbidden') throw badRequest('port-forbidden', `This account may not listen on port ${port}. Choose a port from 1024 up.`)
    const next = await this.suggest(host, port + 1, profileId).catch(() => null)
    throw conflict(
      'port-in-use',
      `Port ${port} on ${host} is in use by another program.${next === null ? '' : ` Port ${next} is free.`} Stop that program or choose another port.`,
    )
  }
}

function hostError(host: string): AppError {
  return badRequest(
    'host-unavailable',
    `This machine has no address ${host}. Use 127.0.0.1 (this machine only) or 0.0.0.0 (reachable from your network).`,
  )
}
