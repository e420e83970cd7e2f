import { API_KEY_PREFIX } from '../../../shared/keys'
import type { Peer, RemoteProfile } from '../../../shared/peers'
import { AppError, badRequest, conflict, notFound } from '../../http/errors'
import type { Viewer } from '../access/viewer'
import { engineErrorMessage } from '../chat/upstream'
import type { EventBus } from '../events/bus'
import { PeerLink, reason, type LinkStatus } from './link'
import { DEFAULT_PEER_TIMING, type CreatePeerBody, type PeerTiming } from './model'
import type { PeerRepository, StoredPeer } from './repository'

export interface PeerServiceDeps {
  repo: PeerRepository
  bus: EventBus
  /** True for a key made on this very manager: a peer that is this manager would relay to itself. */
  ownKey: (apiKey: string) => boolean
  fetch?: typeof fetch
  timing?: Partial<PeerTiming>
  now?: () => Date
}

/** A followed peer: what is stored and its live link. */
export interface FollowedPeer {
  stored: StoredPeer
  link: PeerLink
}

/**
 * Other managers this one connects to: added and removed by admins, each followed over its feed
 * for as long as it is listed. Readers (the gateway, chat, the servers view) take each link's last
 * status as it stands and never wait for a peer.
 */
export class PeerService {
  readonly timing: PeerTiming
  private readonly followed = new Map<number, FollowedPeer>()
  private readonly fetcher: typeof fetch
  private readonly now: () => Date

  constructor(private readonly deps: PeerServiceDeps) {
    this.timing = { ...DEFAULT_PEER_TIMING, ...deps.timing }
    this.fetcher = deps.fetch ?? fetch
    this.now = deps.now ?? (() => new Date())
  }

  /** Follows every stored peer; called once the app is wired. */
  start(): void {
    for (const stored of this.deps.repo.list()) this.follow(stored)
  }

  close(): void {
    for (const { link } of this.followed.values()) link.close()
    this.followed.clear()
  }

  /** Every peer, as the viewer may see it: admins all with addresses and errors; members those shared with them. */
  list(viewer: Viewer): Peer[] {
    return [...this.followed.values()].filter(({ stored }) => viewer.isAdmin || stored.availableToMembers).map((peer) => this.view(peer, viewer))
  }

  /** The followed peers as they stand, for the relay (which checks who may use what). */
  all(): Iterable<FollowedPeer> {
    return this.followed.values()
  }

  find(id: number): FollowedPeer | null {
    return this.followed.get(id) ?? null
  }

  findByName(name: string): FollowedPeer | null {
    for (const peer of this.followed.values()) if (peer.stored.name === name) return peer
    return null
  }

  /**
   * Adds a peer once it answered with the key: a bad address, a manager that cannot be reached and a
   * refused key are each a 4xx that says what to do. The key is kept here and never shown again.
   */
  async create(viewer: Viewer, input: CreatePeerBody): Promise<Peer> {
    const name = input.name.trim()
    const url = normalUrl(input.url)
    const apiKey = input.apiKey.trim()
    if (!apiKey.startsWith(API_KEY_PREFIX) || /\s/.test(apiKey)) {
      throw badRequest('invalid-peer-key', `That is not an API key of MLX Manager (those start with ${API_KEY_PREFIX}). Make one on the other manager under API keys and paste it whole.`)
    }
    if (this.deps.ownKey(apiKey)) {
      throw badRequest('peer-is-self', 'That API key was made on this manager. Use a key made on the other manager, at the address you are connecting to.')
    }
    for (const { stored } of this.followed.values()) {
      if (stored.name.toLowerCase() === name.toLowerCase()) throw conflict('peer-name-taken', `A peer is already called ${stored.name}. Pick another name.`)
      if (stored.url === url) throw conflict('peer-url-taken', `${url} is already connected as ${stored.name}. Remove it first to connect it again with another key.`)
    }
    await this.check(url, apiKey)
    let stored: StoredPeer
    try {
      stored = this.deps.repo.insert({ name, url, apiKey, availableToMembers: input.availableToMembers ?? false, createdAt: this.now().toISOString() })
    } catch (error) {
      // Another admin added the same name or address while this one was being checked.
      if (error instanceof Error && /UNIQUE/.test(error.message)) throw conflict('peer-taken', `A peer named ${name} or at ${url} was just added. Reload the list.`)
      throw error
    }
    const peer = this.follow(stored)
    return this.view(peer, viewer)
  }

  remove(id: number): void {
    const peer = this.followed.get(id)
    if (peer === undefined) throw notFound('peer-not-found', `There is no peer with id ${id}. The list may be out of date; reload it.`)
    peer.link.close()
    this.followed.delete(id)
    this.deps.repo.remove(id)
    this.deps.bus.publish({ type: 'peers.removed', data: { id } })
  }

  /** Asks the other manager for its model list with the key, once, before anything is stored. */
  private async check(url: string, apiKey: string): Promise<void> {
    let response: Response
    try {
      response = await this.fetcher(`${url}/v1/models`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(this.timing.connectTimeoutMs),
      })
    } catch (error) {
      const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.timing.connectTimeoutMs / 1000} s` : reason(error)
      throw new AppError(
        422,
        'peer-unreachable',
        `Could not reach a manager at ${url} (${why}). Check the address and port, and that the manager there listens on the network (HOST=0.0.0.0 or its address) and that no firewall is in the way.`,
      )
    }
    const text = await response.text().catch(() => '')
    if (response.status === 401 || response.status === 403) {
      throw new AppError(422, 'peer-key-refused', `The manager at ${url} refused the API key (${engineErrorMessage(text)}). Make a new key there under API keys and paste it whole.`)
    }
    if (response.status === 421) {
      throw new AppError(422, 'peer-host-refused', `The manager at ${url} does not answer to that name (${engineErrorMessage(text)}). Add it to MLX_MANAGER_ALLOWED_HOSTS there, or connect by an address it answers to.`)
    }
    let body: unknown = null
    try {
      body = JSON.parse(text)
    } catch {
      // Not JSON: not a manager.
    }
    if (!response.ok || typeof body !== 'object' || body === null || (body as { object?: unknown }).object !== 'list') {
      throw new AppError(422, 'not-a-manager', `${url} answered ${response.status}, not like an MLX Manager. Check the address: it is the manager's own page address, without /v1.`)
    }
  }

  private follow(stored: StoredPeer): FollowedPeer {
    const link = new PeerLink(stored, this.timing, () => this.publish(peer), this.fetcher, this.now)
    const peer: FollowedPeer = { stored, link }
    this.followed.set(stored.id, peer)
    this.publish(peer)
    return peer
  }

  private publish(peer: FollowedPeer): void {
    if (this.followed.get(peer.stored.id) !== peer) return
    // The admin view; members' streams get their own view of it (see access/events.ts).
    this.deps.bus.publish({ type: 'peers.state', data: this.view(peer, { id: 0, isAdmin: true }) })
  }

  private view({ stored, link }: FollowedPeer, viewer: Viewer): Peer {
    return peerView(stored, link.status, viewer)
  }
}

/** A peer as the viewer may see it: members get neither its address, its key's start nor its errors. */
export function peerView(stored: Pick<StoredPeer, 'id' | 'name' | 'url' | 'apiKey' | 'availableToMembers' | 'createdAt'>, status: LinkStatus, viewer: Viewer): Peer {
  return {
    id: stored.id,
    name: stored.name,
    state: status.state,
    availableToMembers: stored.availableToMembers,
    profiles: status.profiles,
    since: status.since,
    url: viewer.isAdmin ? stored.url : null,
    keyPrefix: viewer.isAdmin ? stored.apiKey.slice(0, API_KEY_PREFIX.length + 12) : null,
    lastError: viewer.isAdmin ? status.lastError : null,
    createdAt: stored.createdAt,
  }
}

/** A peer as a member sees it, from the admin view an event carries. */
export function memberPeerView(peer: Peer): Peer {
  return { ...peer, url: null, keyPrefix: null, lastError: null }
}

/** The base URL of the other manager: http(s), no credentials, query or fragment; no trailing slash. */
export function normalUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    throw badRequest('invalid-peer-url', `"${text}" is not an address. Write it whole, such as http://192.168.1.20:8080.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid-peer-url', 'A peer address starts with http:// or https://.')
  if (url.username !== '' || url.password !== '') throw badRequest('invalid-peer-url', 'Leave the user name and password out of the address; the API key is what signs in.')
  if (url.search !== '' || url.hash !== '') throw badRequest('invalid-peer-url', 'The address is the manager\'s base address, without ? or #.')
  const path = url.pathname.replace(/\/+$/, '')
  if (/\/(v1|api)$/.test(path)) throw badRequest('invalid-peer-url', 'Give the manager\'s base address, without /v1 or /api at the end.')
  return `${url.origin}${path}`
}

export type { RemoteProfile }
