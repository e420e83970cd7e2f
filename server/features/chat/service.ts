import type { ChatEvent, ChatMessage, ChatRequest } from '../../../shared/chat'
import { modelTypeChats, type Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { AppError, badRequest } from '../../http/errors'
import { serverFor, type Viewer } from '../access/viewer'
import type { ServingAccess } from '../serving/model'
import { EngineExchange, EngineStreamError, recordRefused, requestStart, type ExchangeDeps } from './exchange'
import type { UpstreamUsage } from './meter'
import { ThinkSplitter } from './think'
import { engineErrorMessage } from './upstream'

export interface ChatServiceDeps {
  /** The profile the viewer wants, refused when it is not available to them. */
  profiles: { usable(viewer: Viewer, id: number): Profile }
  servers: { get(profileId: number): ServerStatus; start(profileId: number): Promise<ServerStatus>; isActive(profileId: number): boolean }
  /** Ready servers, started on demand: the same pool the gateway uses. */
  serving: ServingAccess
  exchange: ExchangeDeps
}

/** A request checked against the profile, ready to send once its server is ready. */
export interface ChatPlan {
  profile: Profile
  userId: number
  body: Record<string, unknown>
}

interface UpstreamChunk {
  error?: unknown
  usage?: UpstreamUsage | null
  choices?: {
    finish_reason?: string | null
    delta?: {
      content?: string | null
      reasoning_content?: string | null
      reasoning?: string | null
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] | null
    }
  }[]
}

const hasImage = (messages: ChatMessage[]) => messages.some((m) => Array.isArray(m.content) && m.content.some((part) => part.type === 'image_url'))

/** Proxies chat to a profile's engine as typed events, starting its server on demand. */
export class ChatService {
  constructor(private readonly deps: ChatServiceDeps) {}

  /**
   * Starts the server of a profile the viewer may chat with: the one way a member starts anything.
   * A server already starting or running is not an error here; the caller follows its state.
   */
  async startServer(viewer: Viewer, profileId: number): Promise<ServerStatus> {
    this.deps.profiles.usable(viewer, profileId)
    const status = this.deps.servers.isActive(profileId) ? this.deps.servers.get(profileId) : await this.deps.servers.start(profileId)
    return serverFor(viewer, status)
  }

  /** Everything that can be refused is refused here, before the event stream opens. */
  open(request: ChatRequest, viewer: Viewer): ChatPlan {
    const profile = this.deps.profiles.usable(viewer, request.profileId)
    if (!modelTypeChats(profile.modelType)) {
      throw badRequest('not-a-chat-model', `${profile.name} serves a ${profile.modelType} model, which does not chat. Pick a language model profile.`)
    }
    if (hasImage(request.messages) && profile.engine !== 'custom' && profile.modelType !== 'multimodal') {
      throw badRequest('images-not-supported', `${profile.name} is not set up for images: its model type is ${profile.modelType}. Use a multimodal profile, or send text only.`)
    }
    const systemPrompt = request.systemPrompt ?? profile.systemPrompt ?? ''
    const messages = systemPrompt === '' || request.messages.some((m) => m.role === 'system')
      ? request.messages
      : [{ role: 'system', content: systemPrompt }, ...request.messages]
    const optional = {
      temperature: request.temperature ?? profile.temperature,
      top_p: request.topP ?? profile.topP,
      max_tokens: request.maxTokens ?? profile.maxTokens,
      stop: request.stop ?? null,
      tools: request.tools ?? null,
    }
    const body: Record<string, unknown> = { model: profile.model, messages, stream: true, stream_options: { include_usage: true } }
    for (const [key, value] of Object.entries(optional)) if (value !== null) body[key] = value
    return { profile, userId: viewer.id, body }
  }

  /**
   * The reply as events; ends with `done` or `error`. A stopped server is started first (the pool
   * joins a start under way). Stopping the iteration or `signal` aborts the engine request. The
   * exchange (watchdog, SSE reading, metering, the record) is shared with the gateway; what is
   * chat's own is mapping chunks to events.
   */
  async *reply(plan: ChatPlan, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    const state = this.deps.servers.get(plan.profile.id).state
    if (state !== 'ready') {
      const what = state === 'starting' ? 'is loading its model' : 'is not running, so it is being started'
      yield { type: 'loading', data: { message: `${plan.profile.name} ${what}; the answer follows once it is ready.` } }
    }
    const origin = { userId: plan.userId, keyId: null, endpoint: 'chat' as const }
    const start = requestStart(this.deps.exchange)
    let opened
    try {
      const lease = await this.deps.serving.acquire(plan.profile, signal).catch((error: unknown) => {
        recordRefused(this.deps.exchange, plan.profile, origin, start, error, signal)
        throw error
      })
      const target = { profile: plan.profile, url: `${lease.status.baseUrl.replace(/\/$/, '')}/chat/completions`, body: plan.body, stream: true }
      opened = await EngineExchange.open(this.deps.exchange, target, origin, signal, lease.release)
    } catch (error) {
      if (signal.aborted) return
      if (error instanceof AppError) yield { type: 'error', data: { code: error.code, message: error.message } }
      else throw error
      return
    }
    const { exchange, response } = opened
    const name = plan.profile.name
    const splitter = new ThinkSplitter()
    let finishReason: string | null = null
    try {
      for await (const data of exchange.payloads(response)) {
        let chunk: UpstreamChunk
        try {
          chunk = JSON.parse(data) as UpstreamChunk
        } catch {
          continue
        }
        if (chunk.error !== undefined && chunk.error !== null) {
          yield { type: 'error', data: { code: 'engine-error', message: `${name} reported an error: ${engineErrorMessage(data)}` } }
          return
        }
        const choice = chunk.choices?.[0]
        if (choice === undefined) continue
        if (choice.finish_reason) finishReason = choice.finish_reason
        yield* chatEvents(choice.delta ?? {}, splitter)
      }
    } catch (error) {
      if (signal.aborted || !(error instanceof EngineStreamError)) return
      yield { type: 'error', data: { code: error.code, message: error.message } }
      return
    } finally {
      // Stopped early (client gone, consumer returned): the engine stops generating too.
      exchange.close()
    }
    // The client went away: nothing more to tell it (the exchange recorded the cancel).
    if (signal.aborted) return
    for (const piece of splitter.flush()) yield { type: piece.kind, data: { text: piece.text } }
    yield { type: 'metrics', data: exchange.measure() }
    yield { type: 'done', data: { finishReason } }
  }
}

export type Delta = NonNullable<NonNullable<UpstreamChunk['choices']>[number]['delta']>

/** A chunk's delta as chat events: reasoning (either field, or `<think>` in the content), text and tool calls. */
export function chatEvents(delta: Delta, splitter: ThinkSplitter): ChatEvent[] {
  const events: ChatEvent[] = []
  for (const reasoning of [delta.reasoning_content, delta.reasoning]) {
    if (typeof reasoning === 'string' && reasoning !== '') events.push({ type: 'reasoning', data: { text: reasoning } })
  }
  if (typeof delta.content === 'string' && delta.content !== '') {
    for (const piece of splitter.push(delta.content)) events.push({ type: piece.kind, data: { text: piece.text } })
  }
  for (const call of delta.tool_calls ?? []) {
    events.push({
      type: 'tool_call',
      data: { index: call.index ?? 0, id: call.id, name: call.function?.name, arguments: call.function?.arguments },
    })
  }
  return events
}
