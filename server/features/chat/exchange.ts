import type { ChatMetrics } from '../../../shared/chat'
import type { Profile } from '../../../shared/profiles'
import { AppError } from '../../http/errors'
import type { ChatRequestRecord, RequestEndpoint } from '../metrics/repository'
import { ReplyMeter, type UpstreamUsage } from './meter'
import { EngineCall, engineErrorMessage, type ChatUpstream } from './upstream'

/** Where a request to an engine goes: the profile, the engine URL and the body the engine gets. */
export interface ExchangeTarget {
  profile: Profile
  url: string
  body: Record<string, unknown>
  stream: boolean
}

/** Who sent a request and through which API: what its record says besides the measurements. */
export interface ExchangeOrigin {
  userId: number
  keyId: number | null
  endpoint: RequestEndpoint
}

export interface ExchangeDeps {
  upstream: ChatUpstream
  record: (record: ChatRequestRecord) => void
  /** An engine silent this long mid-stream is given up on, so a stream never hangs. */
  idleTimeoutMs: number
  now: () => Date
  /** Milliseconds for durations (performance.now in production). */
  clock: () => number
}

/** A stream that failed after it began: what the client is told, in words and a code. */
export class EngineStreamError extends Error {
  constructor(
    readonly code: 'engine-timeout' | 'engine-disconnected',
    message: string,
  ) {
    super(message)
    this.name = 'EngineStreamError'
  }
}

/** What the manager adds to a finished stream's last chunks, under a field clients ignore. */
export const MEASUREMENTS_FIELD = 'x_mlx_manager'

// Cheap checks on the raw payload, so a token passes through without being parsed: only the
// chunks that finish, report usage or carry an error are parsed.
const OUTPUT = /"(?:content|reasoning_content|reasoning|text)": ?"[^"]|"tool_calls": ?\[\{/
const FINISH = /"finish_reason": ?"/

interface FinalChunk {
  usage?: UpstreamUsage | null
  error?: unknown
  [field: string]: unknown
}

/**
 * One request to an engine from the moment it is sent until its answer is read or abandoned:
 * the silence watchdog, the measurements, and one record of how it went. Shared by the manager's
 * chat and every gateway API; what each does with the payloads is its own.
 */
export class EngineExchange {
  private readonly meter: ReplyMeter
  private finishReason: string | null = null
  private outcome: { status: number; code: string | null; message: string | null } | null = null
  private released = false

  private constructor(
    readonly target: ExchangeTarget,
    private readonly origin: ExchangeOrigin,
    private readonly deps: ExchangeDeps,
    private readonly call: EngineCall,
    private readonly release: () => void,
    meter: ReplyMeter,
  ) {
    this.meter = meter
  }

  /**
   * Sends the request. An engine that cannot be reached is 502; one that refuses answers with its own
   * status for a request it found wrong (4xx) and 502 otherwise, its words in the message. Either
   * way the request is recorded and `release` called.
   */
  static async open(deps: ExchangeDeps, target: ExchangeTarget, origin: ExchangeOrigin, signal: AbortSignal, release: () => void = () => {}): Promise<{ exchange: EngineExchange; response: Response }> {
    // A non-streamed answer is silent until it is whole, so only a stream is watched for silence.
    const call = new EngineCall(deps.upstream, target.stream ? deps.idleTimeoutMs : null, signal)
    const exchange = new EngineExchange(target, origin, deps, call, release, new ReplyMeter(deps.clock, deps.now()))
    const name = target.profile.name
    let response: Response
    try {
      response = await call.open(target.url, target.body)
    } catch (error) {
      if (signal.aborted) {
        exchange.end(499, 'cancelled', 'The client went away before the engine answered.')
        throw error
      }
      const message = `${name} could not be reached: ${error instanceof Error ? error.message : String(error)}. Check its state on the Servers screen.`
      exchange.end(502, 'engine-unreachable', message)
      throw new AppError(502, 'engine-unreachable', message)
    }
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '')
      const status = response.status >= 400 && response.status < 500 && response.status !== 404 ? response.status : 502
      const message = `${name} answered ${response.status}: ${engineErrorMessage(text)}`
      exchange.end(status, 'engine-error', message)
      throw new AppError(status, 'engine-error', message)
    }
    return { exchange, response }
  }

  /** A non-streamed answer, whole, as the engine sent it; its usage is recorded. */
  async text(response: Response): Promise<string> {
    try {
      const text = await response.text()
      const body = parseObject(text)
      // No time to first token: a whole answer arrives at once.
      if (body?.usage) this.meter.usage = body.usage
      this.end(200, null, null)
      return text
    } catch (error) {
      const message = `${this.target.profile.name} stopped answering mid-reply (${error instanceof Error ? error.message : String(error)}).`
      this.end(this.call.signal.aborted && !this.call.timedOut ? 499 : 502, 'engine-disconnected', message)
      throw new AppError(502, 'engine-disconnected', message)
    }
  }

  /**
   * The `data:` payloads of a streamed answer as the engine sent them, without the closing
   * `[DONE]`. With `annotate`, the chunk that finishes and the one with usage also carry the
   * manager's measurements. A stream that breaks off, goes silent or ends unfinished throws
   * EngineStreamError after what came; an error chunk from the engine is passed on and recorded.
   * Stopping the iteration early ends the engine's request too.
   */
  async *payloads(response: Response, annotate = false): AsyncGenerator<string> {
    const name = this.target.profile.name
    let sawDone = false
    // False while the consumer may still stop early: then the finally block records a cancel.
    let ran = false
    try {
      for await (const data of this.call.data(response.body as ReadableStream<Uint8Array>)) {
        this.call.heard()
        if (data === '[DONE]') {
          sawDone = true
          break
        }
        if (OUTPUT.test(data)) this.meter.output()
        const finishes = FINISH.test(data)
        if (finishes || data.includes('"usage"') || data.includes('"error"')) {
          const chunk = parseObject(data)
          if (chunk !== null) {
            if (chunk.error !== undefined && chunk.error !== null) this.outcome ??= { status: 502, code: 'engine-error', message: `${name} reported an error: ${engineErrorMessage(data)}` }
            if (chunk.usage) this.meter.usage = chunk.usage
            if (finishes) this.finishReason = finishReasonOf(chunk) ?? this.finishReason ?? 'stop'
            if (annotate && (finishes || chunk.usage)) {
              yield JSON.stringify({ ...chunk, [MEASUREMENTS_FIELD]: this.measurements() })
              continue
            }
          }
        }
        yield data
      }
      ran = true
    } catch (error) {
      ran = true
      if (this.call.signal.aborted && !this.call.timedOut) {
        this.end(499, 'cancelled', 'The client stopped the reply.')
        return
      }
      const failure = this.call.timedOut
        ? new EngineStreamError('engine-timeout', `${name} sent nothing for ${Math.round(this.deps.idleTimeoutMs / 1000)} s, so the reply was abandoned.`)
        : new EngineStreamError('engine-disconnected', `${name} stopped answering mid-reply (${error instanceof Error ? error.message : String(error)}). It may have crashed; see its log on the Servers screen.`)
      this.end(502, failure.code, failure.message)
      throw failure
    } finally {
      // Ended early by the consumer (client gone): the engine stops generating too.
      if (!ran) this.end(499, 'cancelled', 'The client stopped the reply.')
    }
    if (!sawDone && this.finishReason === null && this.outcome === null) {
      const failure = new EngineStreamError('engine-disconnected', `${name} ended the reply before finishing. It may have crashed; see its log on the Servers screen.`)
      this.end(502, failure.code, failure.message)
      throw failure
    }
    this.end(200, null, null)
  }

  /** The manager's measurements so far: time to first token, token rates, duration. */
  measure(): ChatMetrics {
    return this.meter.measure()
  }

  /** The last finish reason the engine gave, if any. */
  get finished(): string | null {
    return this.finishReason
  }

  /** A failure the consumer found in the answer (the chat relay's own checks); the record says so. */
  fail(code: string, message: string): void {
    this.outcome ??= { status: 502, code, message }
  }

  /** Ends the exchange, recording it once: a consumer that stops reading calls this. */
  close(): void {
    this.end(499, 'cancelled', 'The client stopped the reply.')
  }

  private measurements() {
    const measured = this.meter.measure()
    return {
      time_to_first_token_ms: measured.timeToFirstTokenMs,
      tokens_per_second: measured.generationTokensPerSecond,
      prompt_tokens_per_second: measured.promptTokensPerSecond ?? null,
      total_ms: measured.totalMs,
    }
  }

  /** Records the request once, with the first outcome noted (a failure seen mid-stream wins over a later end). */
  private end(status: number, code: string | null, message: string | null): void {
    if (this.released) return
    this.released = true
    this.call.close()
    this.release()
    const outcome = this.outcome ?? { status, code, message }
    const metrics = this.meter.measure()
    this.deps.record({
      profileId: this.target.profile.id,
      model: this.target.profile.model,
      startedAt: this.meter.startedAt,
      userId: this.origin.userId,
      keyId: this.origin.keyId,
      endpoint: this.origin.endpoint,
      status: outcome.status,
      timeToFirstTokenMs: metrics.timeToFirstTokenMs,
      promptTokens: metrics.promptTokens,
      cachedTokens: this.meter.usage?.prompt_tokens_details?.cached_tokens ?? null,
      completionTokens: this.target.url.endsWith('/embeddings') ? 0 : metrics.completionTokens,
      tokensPerSecond: metrics.generationTokensPerSecond,
      totalMs: metrics.totalMs,
      errorCode: outcome.code,
      errorMessage: outcome.message,
    })
  }
}

/** When a request began, on both clocks a record needs: the wall clock and the one for durations. */
export interface RequestStart {
  at: Date
  ms: number
}

export const requestStart = (deps: Pick<ExchangeDeps, 'now' | 'clock'>): RequestStart => ({ at: deps.now(), ms: deps.clock() })

/**
 * Records a request for a profile that never reached its engine: refused for the key's daily limit
 * or the profile's kind, or by the serving pool (the model cannot load now, its queue is full, the
 * wait ran out), or given up by its client while it waited; or one whose model named no profile
 * the key may use (NO_PROFILE, with the name asked for as its model). Its duration is the wait;
 * nothing else was measured. The requests log shows it like any other failure, and so do a key's
 * figures on its server (NO_PROFILE has no server).
 */
export function recordRefused(
  deps: ExchangeDeps,
  profile: Pick<Profile, 'id' | 'name' | 'model'>,
  origin: ExchangeOrigin,
  start: RequestStart,
  error: unknown,
  signal: AbortSignal,
): void {
  const outcome = signal.aborted
    ? { status: 499, code: 'cancelled', message: `The client went away while the request waited for ${profile.name}.` }
    : error instanceof AppError
      ? { status: error.status, code: error.code, message: error.message }
      : { status: 500, code: 'internal-error', message: error instanceof Error ? error.message : String(error) }
  deps.record({
    profileId: profile.id,
    model: profile.model,
    startedAt: start.at.toISOString(),
    userId: origin.userId,
    keyId: origin.keyId,
    endpoint: origin.endpoint,
    status: outcome.status,
    timeToFirstTokenMs: null,
    promptTokens: null,
    cachedTokens: null,
    completionTokens: 0,
    tokensPerSecond: null,
    totalMs: Math.max(0, deps.clock() - start.ms),
    errorCode: outcome.code,
    errorMessage: outcome.message,
  })
}

function parseObject(text: string): FinalChunk | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as FinalChunk) : null
  } catch {
    return null
  }
}

function finishReasonOf(chunk: FinalChunk): string | null {
  const choices = chunk.choices
  if (!Array.isArray(choices)) return null
  for (const choice of choices as { finish_reason?: unknown }[]) if (typeof choice.finish_reason === 'string') return choice.finish_reason
  return null
}
