import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { AppError, badRequest, forbidden, notFound } from '../../http/errors'
import { mayUse } from '../access/viewer'
import { EngineCall, engineErrorMessage, type ChatUpstream } from '../chat/upstream'
import type { KeyHolder } from '../keys/service'
import type { ChatCompletionRequest } from './model'

export interface GatewayDeps {
  profiles: { list(): Profile[] }
  servers: { get(profileId: number): ServerStatus }
  upstream: ChatUpstream
  /** An engine silent this long mid-stream is given up on, so a stream never hangs. */
  idleTimeoutMs?: number
}

/** A model in OpenAI's list shape, with what the manager knows beside it (clients ignore extra fields). */
export interface GatewayModel {
  id: string
  object: 'model'
  created: number
  owned_by: string
  /** The repo id or path the profile serves. */
  model: string
  state: ServerStatus['state']
  loaded: boolean
}

/** A request ready to send: the profile it goes to and the body the engine gets. */
export interface GatewayPlan {
  profile: Profile
  url: string
  body: Record<string, unknown>
  stream: boolean
}

/** An engine's answer, opened: its response, and the call to close when the relay ends. */
export interface OpenedReply {
  plan: GatewayPlan
  call: EngineCall
  response: Response
}

/** Model types that do not chat. */
const NOT_CHAT = new Set(['embeddings', 'whisper', 'image-generation', 'image-edit'])

/** Seconds a client is told to wait before asking a model that is not running again. */
const RETRY_STOPPED_S = 10
const RETRY_STARTING_S = 2

/**
 * The OpenAI-compatible gateway: which profiles a key may use, which one a request's `model`
 * names, and the engine call. Answers pass through as the engine sent them.
 */
export class GatewayService {
  constructor(private readonly deps: GatewayDeps) {}

  /** Every profile the key may use: its owner's role and its own allow-list. */
  models(holder: KeyHolder): GatewayModel[] {
    return this.usable(holder).map((profile) => {
      const state = this.deps.servers.get(profile.id).state
      return {
        id: profile.name,
        object: 'model',
        created: Math.floor(Date.parse(profile.createdAt) / 1000),
        owned_by: 'mlx-manager',
        model: profile.model,
        state,
        loaded: state === 'ready',
      }
    })
  }

  /**
   * The profile a request's `model` names: a profile name, or a model id that exactly one usable
   * profile serves. A profile hidden from the owner reads as unknown (404); one the owner may use
   * but the key does not list is 403.
   */
  resolve(holder: KeyHolder, model: string): Profile {
    const byRole = this.deps.profiles.list().filter((profile) => mayUse(holder.user, profile))
    const allowed = (profile: Profile) => holder.key.profiles === null || holder.key.profiles.includes(profile.id)
    const named = byRole.find((profile) => profile.name === model)
    if (named !== undefined) {
      if (!allowed(named)) throw notAllowed(holder, model)
      return named
    }
    const serving = byRole.filter((profile) => profile.model === model)
    const usable = serving.filter(allowed)
    if (usable.length === 1 && usable[0] !== undefined) return usable[0]
    if (usable.length > 1) {
      throw badRequest('ambiguous-model', `Several profiles serve ${model}: ${usable.map((p) => p.name).join(', ')}. Name one of them as the model.`)
    }
    if (serving.length > 0) throw notAllowed(holder, model)
    throw notFound('model-not-found', `There is no model named "${model}" for this key. GET /v1/models lists the ones it may use.`)
  }

  /** Everything that can be refused before the engine is asked. */
  plan(holder: KeyHolder, request: ChatCompletionRequest): GatewayPlan {
    const profile = this.resolve(holder, request.model)
    if (NOT_CHAT.has(profile.modelType)) {
      throw badRequest('not-a-chat-model', `${profile.name} serves a ${profile.modelType} model, which does not chat.`)
    }
    const status = this.deps.servers.get(profile.id)
    if (status.state === 'starting') {
      throw new AppError(503, 'model-loading', `${profile.name} is still loading its model. Try again in a few seconds.`, { 'retry-after': String(RETRY_STARTING_S) })
    }
    if (status.state !== 'ready') {
      throw new AppError(503, 'model-not-running', `${profile.name} is not running (${status.state}). Start it in the manager, then send again.`, {
        'retry-after': String(RETRY_STOPPED_S),
      })
    }
    // The engine loads another model when asked for one it was not started with (mlx_lm.server
    // fetches it from the hub), so it always gets its own `model` string.
    const body: Record<string, unknown> = { ...request, model: profile.model }
    // The profile's sampling settings are defaults; what the client sends wins.
    const defaults = { temperature: profile.temperature, top_p: profile.topP, max_tokens: profile.maxTokens }
    for (const [key, value] of Object.entries(defaults)) if (value !== null && body[key] === undefined) body[key] = value
    return { profile, url: `${status.baseUrl.replace(/\/$/, '')}/chat/completions`, body, stream: request.stream === true }
  }

  /**
   * Sends the request. An engine that cannot be reached is 502; one that refuses answers with its own
   * status for a request it found wrong (4xx) and 502 otherwise, its words in the message.
   */
  async open(plan: GatewayPlan, signal: AbortSignal): Promise<OpenedReply> {
    // A non-streamed answer is silent until it is whole, so only a stream is watched for silence.
    const call = new EngineCall(this.deps.upstream, plan.stream ? (this.deps.idleTimeoutMs ?? 120_000) : null, signal)
    let response: Response
    try {
      response = await call.open(plan.url, plan.body)
    } catch (error) {
      call.close()
      throw new AppError(502, 'engine-unreachable', `${plan.profile.name} could not be reached: ${error instanceof Error ? error.message : String(error)}.`)
    }
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '')
      call.close()
      const status = response.status >= 400 && response.status < 500 && response.status !== 404 ? response.status : 502
      throw new AppError(status, 'engine-error', `${plan.profile.name} answered ${response.status}: ${engineErrorMessage(text)}`)
    }
    return { plan, call, response }
  }

  private usable(holder: KeyHolder): Profile[] {
    return this.deps.profiles
      .list()
      .filter((profile) => mayUse(holder.user, profile) && (holder.key.profiles === null || holder.key.profiles.includes(profile.id)))
  }
}

function notAllowed(holder: KeyHolder, model: string) {
  return forbidden('model-not-allowed', `The API key "${holder.key.name}" may not use ${model}. Use a key that lists it, or change which models the key allows.`)
}

/**
 * The engine's stream as SSE frames for the client, each `data:` payload as sent (so tool calls,
 * usage, logprobs and unknown fields pass untouched). A failure mid-stream becomes a last chunk
 * carrying an OpenAI error, which the official clients raise, then the stream ends.
 */
export async function* relayFrames(reply: OpenedReply, idleTimeoutMs: number): AsyncGenerator<string> {
  const { call, response, plan } = reply
  let sawDone = false
  try {
    for await (const data of call.data(response.body as ReadableStream<Uint8Array>)) {
      call.heard()
      yield `data: ${data}\n\n`
      if (data === '[DONE]') {
        sawDone = true
        break
      }
    }
  } catch (error) {
    if (!call.signal.aborted || call.timedOut) {
      const message = call.timedOut
        ? `${plan.profile.name} sent nothing for ${Math.round(idleTimeoutMs / 1000)} s, so the reply was abandoned.`
        : `${plan.profile.name} stopped answering mid-reply (${error instanceof Error ? error.message : String(error)}).`
      yield streamError(message, call.timedOut ? 'engine_timeout' : 'engine_disconnected')
    }
    return
  } finally {
    call.close()
  }
  if (!sawDone) yield 'data: [DONE]\n\n'
}

function streamError(message: string, code: string): string {
  return `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code } })}\n\n`
}
