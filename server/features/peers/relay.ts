import type { ChatEvent, ChatRequest } from '../../../shared/chat'
import { peerModelName, type RemoteProfile } from '../../../shared/peers'
import { modelTypeChats } from '../../../shared/profiles'
import type { ServerState } from '../../../shared/servers'
import { AppError, badRequest, forbidden, notFound } from '../../http/errors'
import type { Viewer } from '../access/viewer'
import { ReplyMeter, type UpstreamUsage } from '../chat/meter'
import { chatEvents } from '../chat/service'
import { ThinkSplitter } from '../chat/think'
import { engineErrorMessage, sseData } from '../chat/upstream'
import type { KeyHolder } from '../keys/service'
import { reason } from './link'
import type { FollowedPeer, PeerService } from './service'

/** A peer's profile a request is for. */
export interface PeerTarget {
  peer: FollowedPeer
  profile: RemoteProfile
}

/** The gateway APIs a peer answers for itself, under the same paths. */
export type RelayedEndpoint = 'chat/completions' | 'completions' | 'embeddings' | 'messages'

/** A peer's model in OpenAI's list shape, as `/v1/models` lists local ones, labelled with the machine. */
export interface PeerGatewayModel {
  id: string
  object: 'model'
  created: number
  owned_by: string
  model: string
  alias_of: string | null
  state: ServerState
  loaded: boolean
  /** The manager that serves it. */
  peer: string
}

export interface RelayDeps {
  peers: PeerService
  /** True when a local profile is called exactly this (local names win over `profile@peer`). */
  localName: (model: string) => boolean
  fetch?: typeof fetch
  clock?: () => number
  now?: () => Date
}

interface Chunk {
  error?: unknown
  usage?: UpstreamUsage | null
  choices?: { finish_reason?: string | null; delta?: Parameters<typeof chatEvents>[0] }[]
}

/**
 * Requests for another manager's profiles, sent there with the key made there: the gateway's
 * APIs byte for byte (the peer's own gateway starts the model on demand, streams and measures),
 * and this manager's chat as its events. Matching a model is a map lookup and never waits for a
 * peer; a peer that is not online is refused at once with 503.
 */
export class PeerRelay {
  private readonly fetcher: typeof fetch
  private readonly clock: () => number
  private readonly now: () => Date

  constructor(private readonly deps: RelayDeps) {
    this.fetcher = deps.fetch ?? fetch
    this.clock = deps.clock ?? (() => performance.now())
    this.now = deps.now ?? (() => new Date())
  }

  /** The online peers' profiles the key may use, one entry per name (`profile@peer`, then each alias). */
  models(holder: KeyHolder): PeerGatewayModel[] {
    if (holder.key.profiles !== null) return []
    const models: PeerGatewayModel[] = []
    for (const peer of this.deps.peers.all()) {
      if (!mayUsePeer(holder.user, peer) || peer.link.status.state !== 'online') continue
      const created = Math.floor(Date.parse(peer.stored.createdAt) / 1000)
      for (const profile of peer.link.status.profiles) {
        const entry = (name: string, aliasOf: string | null): PeerGatewayModel => ({
          id: peerModelName(name, peer.stored.name),
          object: 'model',
          created,
          owned_by: peer.stored.name,
          model: profile.model,
          alias_of: aliasOf,
          state: profile.state,
          loaded: profile.state === 'ready',
          peer: peer.stored.name,
        })
        models.push(entry(profile.name, null), ...profile.aliases.map((alias) => entry(alias, peerModelName(profile.name, peer.stored.name))))
      }
    }
    return models
  }

  /**
   * The peer profile a gateway `model` names (`profile@peer` or `alias@peer`), or null for anything
   * else (then it is a local model, or unknown). A key limited to some local profiles may use no
   * peer's (403), nor may a key with a daily token limit: a relayed request's tokens are counted on
   * the peer, so this manager could not hold the key to its limit. A peer not online answers 503 at once.
   */
  match(holder: KeyHolder, model: string): PeerTarget | null {
    const at = model.lastIndexOf('@')
    if (at <= 0) return null
    const peer = this.deps.peers.findByName(model.slice(at + 1))
    if (peer === null || !mayUsePeer(holder.user, peer) || this.deps.localName(model)) return null
    const name = model.slice(0, at)
    const profile = peer.link.status.profiles.find((p) => p.name === name || p.aliases.includes(name))
    if (holder.key.profiles !== null) {
      throw forbidden('model-not-allowed', `The API key "${holder.key.name}" is limited to some of this manager's profiles, so it may not use ${model} on ${peer.stored.name}. Use a key without a profile list.`)
    }
    if (holder.key.dailyTokenLimit !== null) {
      throw forbidden(
        'model-not-allowed',
        `The API key "${holder.key.name}" has a daily token limit, which this manager cannot keep for models on ${peer.stored.name} (their tokens are counted there), so it may not use ${model}. Use a key without a daily limit.`,
      )
    }
    this.assertOnline(peer)
    if (profile === undefined) throw notFound('model-not-found', `${peer.stored.name} has no model named "${name}" for this manager. GET /v1/models lists the ones it may use.`)
    return { peer, profile }
  }

  /** A chat target: the peer's profile by its id there, for a viewer who may use that peer. */
  chatTarget(viewer: Viewer, peerId: number, profileId: number): PeerTarget {
    const peer = this.deps.peers.find(peerId)
    if (peer === null || !mayUsePeer(viewer, peer)) throw notFound('peer-not-found', `There is no peer with id ${peerId}. The list may be out of date; reload it.`)
    this.assertOnline(peer)
    const profile = peer.link.status.profiles.find((p) => p.id === profileId)
    if (profile === undefined) throw notFound('profile-not-found', `${peer.stored.name} has no profile with id ${profileId} for this manager. The list may be out of date; reload it.`)
    if (!modelTypeChats(profile.modelType)) {
      throw badRequest('not-a-chat-model', `${profile.name} on ${peer.stored.name} serves a ${profile.modelType} model, which does not chat. Pick a language model profile.`)
    }
    return { peer, profile }
  }

  /**
   * Sends a gateway request to the peer under the same path, with `model` set to the profile's name
   * there, and answers with the peer's response as it streams. The peer's errors are already in the
   * API's shape and pass through; only a refused key and an unreachable peer are this manager's to say.
   * `onEnd` runs once the answer is through or refused.
   */
  async forward(target: PeerTarget, endpoint: RelayedEndpoint, body: Record<string, unknown>, signal: AbortSignal, onEnd: () => void = () => {}): Promise<Response> {
    let response: Response
    try {
      response = await this.open(target, endpoint, { ...body, model: target.profile.name }, signal)
      if (response.status === 401) throw await refusedKey(target, response)
    } catch (error) {
      onEnd()
      throw error
    }
    const headers: Record<string, string> = { 'content-type': response.headers.get('content-type') ?? 'application/json' }
    const retryAfter = response.headers.get('retry-after')
    if (retryAfter !== null) headers['retry-after'] = retryAfter
    if (headers['content-type']?.startsWith('text/event-stream')) headers['cache-control'] = 'no-cache'
    if (response.body === null) {
      onEnd()
      return new Response(null, { status: response.status, headers })
    }
    // `onEnd` once the answer is through; a client that leaves aborts `signal`, which ends it too.
    return new Response(response.body.pipeThrough(new TransformStream({ flush: onEnd })), { status: response.status, headers })
  }

  /**
   * A chat reply from a peer's profile as this manager's chat events, through the peer's
   * `/v1/chat/completions` (which starts the model there on demand). Ends with `done` or `error`.
   */
  async *chat(target: PeerTarget, request: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    const { peer, profile } = target
    const label = peerModelName(profile.name, peer.stored.name)
    if (profile.state !== 'ready') {
      const what = profile.state === 'starting' ? 'is loading its model' : 'is not running, so it is being started there'
      yield { type: 'loading', data: { message: `${label} ${what}; the answer follows once it is ready.` } }
    }
    const messages = request.systemPrompt === undefined || request.systemPrompt === '' || request.messages.some((m) => m.role === 'system')
      ? request.messages
      : [{ role: 'system', content: request.systemPrompt }, ...request.messages]
    const body: Record<string, unknown> = { model: profile.name, messages, stream: true, stream_options: { include_usage: true } }
    const optional = { temperature: request.temperature, top_p: request.topP, max_tokens: request.maxTokens, stop: request.stop, tools: request.tools }
    for (const [field, value] of Object.entries(optional)) if (value !== undefined) body[field] = value
    const meter = new ReplyMeter(this.clock, this.now())
    let response: Response
    try {
      response = await this.open(target, 'chat/completions', body, signal)
      if (response.status === 401) throw await refusedKey(target, response)
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '')
        throw new AppError(502, 'engine-error', `${label} answered ${response.status}: ${engineErrorMessage(text)}`)
      }
    } catch (error) {
      if (signal.aborted) return
      if (error instanceof AppError) yield { type: 'error', data: { code: error.code, message: error.message } }
      else throw error
      return
    }
    const splitter = new ThinkSplitter()
    let finishReason: string | null = null
    try {
      for await (const data of sseData(response.body, AbortSignal.any([signal, peer.link.alive]))) {
        if (data === '[DONE]') break
        let chunk: Chunk
        try {
          chunk = JSON.parse(data) as Chunk
        } catch {
          continue
        }
        if (chunk.error !== undefined && chunk.error !== null) {
          yield { type: 'error', data: { code: 'engine-error', message: `${label} reported an error: ${engineErrorMessage(data)}` } }
          return
        }
        if (chunk.usage) meter.usage = chunk.usage
        const choice = chunk.choices?.[0]
        if (choice === undefined) continue
        if (choice.finish_reason) finishReason = choice.finish_reason
        const events = chatEvents(choice.delta ?? {}, splitter)
        if (events.length > 0) meter.output()
        yield* events
      }
    } catch (error) {
      if (signal.aborted) return
      yield { type: 'error', data: { code: 'peer-disconnected', message: `${label} stopped answering mid-reply (${error instanceof Error ? error.message : String(error)}).` } }
      return
    }
    if (signal.aborted) return
    for (const piece of splitter.flush()) yield { type: piece.kind, data: { text: piece.text } }
    yield { type: 'metrics', data: meter.measure() }
    yield { type: 'done', data: { finishReason } }
  }

  private async open(target: PeerTarget, endpoint: RelayedEndpoint, body: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
    const { peer } = target
    try {
      return await this.fetcher(`${peer.stored.url}/v1/${endpoint}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${peer.stored.apiKey}`, 'content-type': 'application/json', accept: body.stream === true ? 'text/event-stream' : 'application/json' },
        body: JSON.stringify(body),
        // The peer going away (its feed drops) ends a request waiting on it, as does the client leaving.
        signal: AbortSignal.any([signal, peer.link.alive]),
      })
    } catch (error) {
      if (signal.aborted) throw error
      throw new AppError(502, 'peer-unreachable', `${peer.stored.name} could not be reached at ${peer.stored.url} (${reason(error)}). It is shown on the Peers page; this manager reconnects by itself.`)
    }
  }

  private assertOnline(peer: FollowedPeer): void {
    const { state, lastError } = peer.link.status
    if (state === 'online') return
    const why = state === 'refused' ? 'refuses this manager\'s key' : state === 'connecting' ? 'is still being connected' : 'cannot be reached'
    throw new AppError(503, 'peer-unavailable', `${peer.stored.name} ${why}${lastError === null ? '' : ` (${lastError})`}. Try again shortly; this manager reconnects by itself.`, { 'retry-after': '5' })
  }
}

/** Admins use every peer; members those an admin shared with them. */
export function mayUsePeer(viewer: Viewer, peer: FollowedPeer): boolean {
  return viewer.isAdmin || peer.stored.availableToMembers
}

async function refusedKey(target: PeerTarget, response: Response): Promise<AppError> {
  const text = await response.text().catch(() => '')
  return new AppError(502, 'peer-key-refused', `${target.peer.stored.name} refused this manager's key (${engineErrorMessage(text)}). An administrator can make a new key there and add the peer again.`)
}
