import { NO_PROFILE } from '../../../shared/observability'
import { modelTypeChats, type Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { AppError, badRequest, forbidden, notFound } from '../../http/errors'
import { mayUse } from '../access/viewer'
import { EngineExchange, recordRefused, requestStart, type ExchangeDeps } from '../chat/exchange'
import type { KeyHolder } from '../keys/service'
import type { RequestEndpoint } from '../metrics/repository'
import type { ServingAccess } from '../serving/model'

export interface GatewayDeps {
  profiles: { list(): Profile[] }
  servers: { get(profileId: number): ServerStatus }
  serving: ServingAccess
  exchange: ExchangeDeps
  /** Tokens a key has used since a time, for its daily limit. */
  usage: { keyTokensSince(keyId: number, since: string): number }
}

/** A request body as the gateway needs it: the model it names, streamed or not, the rest for the engine. */
export type GatewayBody = Record<string, unknown> & { model: string; stream?: boolean | null }

/** A model in OpenAI's list shape, with what the manager knows beside it (clients ignore extra fields). */
export interface GatewayModel {
  id: string
  object: 'model'
  created: number
  owned_by: string
  /** The repo id or path the profile serves. */
  model: string
  /** The profile's name when this entry is one of its aliases. */
  alias_of: string | null
  state: ServerStatus['state']
  loaded: boolean
}

/** The engine path each API is answered from: Anthropic's Messages are translated to chat completions. */
const ENGINE_PATH: Record<Exclude<RequestEndpoint, 'chat'>, string> = {
  'chat/completions': 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
  messages: 'chat/completions',
}

/**
 * The OpenAI-compatible gateway: which profiles a key may use, which one a request's `model`
 * names, and the engine call. Answers pass through as the engine sent them.
 */
export class GatewayService {
  constructor(private readonly deps: GatewayDeps) {}

  private now(): Date {
    return this.deps.exchange.now()
  }

  /** Every profile the key may use: its owner's role and its own allow-list. */
  models(holder: KeyHolder): GatewayModel[] {
    // One entry per name a client may send: the profile's name, then each alias.
    return this.usable(holder).flatMap((profile) => {
      const state = this.deps.servers.get(profile.id).state
      const entry = (id: string, aliasOf: string | null): GatewayModel => ({
        id,
        object: 'model',
        created: Math.floor(Date.parse(profile.createdAt) / 1000),
        owned_by: 'mlx-manager',
        model: profile.model,
        alias_of: aliasOf,
        state,
        loaded: state === 'ready',
      })
      return [entry(profile.name, null), ...profile.aliases.map((alias) => entry(alias, profile.name))]
    })
  }

  /**
   * The profile a request's `model` names: a profile name or alias, or a model id that exactly one usable
   * profile serves. A profile hidden from the owner reads as unknown (404); one the owner may use
   * but the key does not list is 403.
   */
  resolve(holder: KeyHolder, model: string): Profile {
    const byRole = this.deps.profiles.list().filter((profile) => mayUse(holder.user, profile))
    const allowed = (profile: Profile) => holder.key.profiles === null || holder.key.profiles.includes(profile.id)
    const named = byRole.find((profile) => profile.name === model || profile.aliases.includes(model))
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

  /**
   * Sends a request to the engine of the profile it names, starting the server if need be: the
   * key's allow-list and daily limit are checked first, and the engine always gets its own `model`.
   */
  async forward(holder: KeyHolder, endpoint: Exclude<RequestEndpoint, 'chat'>, body: GatewayBody, signal: AbortSignal) {
    const origin = { userId: holder.user.id, keyId: holder.key.id, endpoint }
    const start = requestStart(this.deps.exchange)
    let profile
    try {
      profile = this.resolve(holder, body.model)
    } catch (error) {
      // A client asking for a model that is not there (or not its key's) shows in the log, so a
      // misconfigured editor or agent can be found; the name it asked for stands in for the model.
      recordRefused(this.deps.exchange, { id: NO_PROFILE, name: body.model, model: body.model }, origin, start, error, signal)
      throw error
    }
    let lease
    try {
      this.assertServes(profile, endpoint)
      this.assertWithinLimit(holder)
      lease = await this.deps.serving.acquire(profile, signal)
    } catch (error) {
      recordRefused(this.deps.exchange, profile, origin, start, error, signal)
      throw error
    }
    const sent: Record<string, unknown> = { ...body, model: profile.model }
    if (endpoint !== 'embeddings') {
      // The profile's sampling settings are defaults; what the client sends wins.
      const defaults = { temperature: profile.temperature, top_p: profile.topP, max_tokens: profile.maxTokens }
      for (const [field, value] of Object.entries(defaults)) if (value !== null && sent[field] === undefined) sent[field] = value
    }
    const target = { profile, url: `${lease.status.baseUrl.replace(/\/$/, '')}/${ENGINE_PATH[endpoint]}`, body: sent, stream: body.stream === true }
    return EngineExchange.open(this.deps.exchange, target, origin, signal, lease.release)
  }

  private assertServes(profile: Profile, endpoint: Exclude<RequestEndpoint, 'chat'>): void {
    // A custom engine may serve anything: it is asked, and answers for itself.
    if (profile.engine === 'custom') return
    if (endpoint === 'embeddings' && profile.modelType !== 'embeddings') {
      throw badRequest('not-an-embeddings-model', `${profile.name} serves a ${profile.modelType} model, which does not make embeddings. Use a profile of model type embeddings.`)
    }
    if (endpoint !== 'embeddings' && !modelTypeChats(profile.modelType)) {
      throw badRequest('not-a-chat-model', `${profile.name} serves a ${profile.modelType} model, which does not generate text.`)
    }
  }

  /** The tokens a key's requests used since local midnight: what its daily limit counts. */
  tokensToday(keyId: number): number {
    const now = this.now()
    return this.deps.usage.keyTokensSince(keyId, new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString())
  }

  /** 429 once the key's tokens since local midnight reach its daily limit, until the next midnight. */
  private assertWithinLimit(holder: KeyHolder): void {
    const limit = holder.key.dailyTokenLimit
    if (limit === null) return
    const used = this.tokensToday(holder.key.id)
    if (used < limit) return
    const now = this.now()
    const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
    const seconds = Math.max(1, Math.ceil((tomorrow.getTime() - now.getTime()) / 1000))
    // A key's limit is fixed when it is made: more today means a key with a higher one.
    throw new AppError(429, 'daily-token-limit', `The API key "${holder.key.name}" has used ${used} of its ${limit} tokens today. It works again at midnight; for more today, create a key with a higher limit under API keys.`, {
      'retry-after': String(seconds),
    })
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

