import type { ChatEvent, ChatMessage, ChatRequest } from '../../../shared/chat'
import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { AppError, badRequest, conflict } from '../../http/errors'
import { serverFor, type Viewer } from '../access/viewer'
import type { ChatRequestRecord } from '../metrics/repository'
import { ThinkSplitter } from './think'
import { ReplyMeter, type UpstreamUsage } from './meter'
import { EngineCall, engineErrorMessage, type ChatUpstream } from './upstream'

export interface ChatServiceDeps {
  /** The profile the viewer wants, refused when it is not available to them. */
  profiles: { usable(viewer: Viewer, id: number): Profile }
  servers: { get(profileId: number): ServerStatus; start(profileId: number): Promise<ServerStatus>; isActive(profileId: number): boolean }
  upstream: ChatUpstream
  metrics: { record(record: ChatRequestRecord): void }
  now?: () => Date
  /** Milliseconds for durations (performance.now in production). */
  clock?: () => number
  /** An engine silent this long mid-reply is given up on, so a stream never hangs. */
  idleTimeoutMs?: number
}

/** A request checked against the profile and its server, ready to send upstream. */
export interface ChatPlan {
  profile: Profile
  url: string
  body: Record<string, unknown>
}

type Failure = { code: string; message: string }

/** Model types that do not chat. */
const NOT_CHAT = new Set(['embeddings', 'whisper', 'image-generation', 'image-edit'])

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

/** Proxies chat to a profile's running engine as typed events, measuring it on the way. */
export class ChatService {
  private readonly now: () => Date
  private readonly clock: () => number
  private readonly idleTimeoutMs: number

  constructor(private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? (() => new Date())
    this.clock = deps.clock ?? (() => performance.now())
    this.idleTimeoutMs = deps.idleTimeoutMs ?? 120_000
  }

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
    if (NOT_CHAT.has(profile.modelType)) {
      throw badRequest('not-a-chat-model', `${profile.name} serves a ${profile.modelType} model, which does not chat. Pick a language model profile.`)
    }
    if (hasImage(request.messages) && profile.engine !== 'custom' && profile.modelType !== 'multimodal') {
      throw badRequest('images-not-supported', `${profile.name} is not set up for images: its model type is ${profile.modelType}. Use a multimodal profile, or send text only.`)
    }
    const status = this.deps.servers.get(profile.id)
    if (status.state === 'starting') {
      throw new AppError(409, 'server-starting', `${profile.name} is still loading its model. Try again in a few seconds.`, { 'retry-after': '2' })
    }
    if (status.state !== 'ready') {
      throw conflict('server-not-running', `The server for ${profile.name} is not running (${status.state}). Start it from the chat, then send again.`)
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
    return { profile, url: `${status.baseUrl.replace(/\/$/, '')}/chat/completions`, body }
  }

  /**
   * The reply as events; ends with `done` or `error`. Stopping the iteration or `signal` aborts the
   * engine request. The engine call (watchdog, SSE reading) and the meter are shared with the
   * gateway; what is chat's own is mapping chunks to events.
   */
  async *reply(plan: ChatPlan, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    const call = new EngineCall(this.deps.upstream, this.idleTimeoutMs, signal)
    const meter = new ReplyMeter(this.clock, this.now())
    let finishReason: string | null = null
    let failure: Failure | null = null
    let completed = false
    const fail = (code: string, message: string): ChatEvent => {
      failure = { code, message }
      return { type: 'error', data: failure }
    }
    const name = plan.profile.name

    try {
      let response: Response
      try {
        response = await call.open(plan.url, plan.body)
      } catch (error) {
        if (signal.aborted) return
        yield fail('engine-unreachable', `${name} could not be reached: ${error instanceof Error ? error.message : String(error)}. Check its state on the Servers screen.`)
        return
      }
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '')
        yield fail('engine-error', `${name} answered ${response.status}: ${engineErrorMessage(text)}`)
        return
      }
      const splitter = new ThinkSplitter()
      let sawDone = false
      try {
        for await (const data of call.data(response.body)) {
          call.heard()
          if (data === '[DONE]') {
            sawDone = true
            break
          }
          let chunk: UpstreamChunk
          try {
            chunk = JSON.parse(data) as UpstreamChunk
          } catch {
            continue
          }
          if (chunk.error !== undefined && chunk.error !== null) {
            yield fail('engine-error', `${name} reported an error: ${engineErrorMessage(data)}`)
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
        if (call.timedOut) {
          yield fail('engine-timeout', `${name} sent nothing for ${Math.round(this.idleTimeoutMs / 1000)} s, so the reply was abandoned.`)
        } else {
          const detail = error instanceof Error ? error.message : String(error)
          yield fail('engine-disconnected', `${name} stopped answering mid-reply (${detail}). It may have crashed; see its log on the Servers screen.`)
        }
        return
      }
      for (const piece of splitter.flush()) yield { type: piece.kind, data: { text: piece.text } }
      if (!sawDone && finishReason === null) {
        yield fail('engine-disconnected', `${name} ended the reply before finishing. It may have crashed; see its log on the Servers screen.`)
        return
      }
      yield { type: 'metrics', data: meter.measure() }
      completed = true
      yield { type: 'done', data: { finishReason } }
    } finally {
      // Stopped early (client gone, consumer returned): let the engine stop generating too.
      call.close()
      const metrics = meter.measure()
      const outcome: Failure | null = failure ?? (completed ? null : { code: 'cancelled', message: 'The client stopped the reply.' })
      this.deps.metrics.record({
        profileId: plan.profile.id,
        model: plan.profile.model,
        startedAt: meter.startedAt,
        timeToFirstTokenMs: metrics.timeToFirstTokenMs,
        promptTokens: metrics.promptTokens,
        completionTokens: metrics.completionTokens,
        tokensPerSecond: metrics.generationTokensPerSecond,
        totalMs: metrics.totalMs,
        errorCode: outcome?.code ?? null,
        errorMessage: outcome?.message ?? null,
      })
    }
  }
}

type Delta = NonNullable<NonNullable<UpstreamChunk['choices']>[number]['delta']>

/** A chunk's delta as chat events: reasoning (either field, or `<think>` in the content), text and tool calls. */
function chatEvents(delta: Delta, splitter: ThinkSplitter): ChatEvent[] {
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
