import type { LocalModel } from '../../../shared/local-models'
import { DEFAULT_FIT_CONTEXT, kvCacheBytes, type MemoryBudget } from '../../../shared/memory-fit'
import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import type { PoolMemory } from './room'

export interface PoolMemoryDeps {
  /** The same budget the catalog's fit shows: usable memory less what running servers hold. */
  budget: () => MemoryBudget
  servers: () => ServerStatus[]
  /** What servers hold (sampled memory or measured peak, the larger), as the budget counts it. */
  held: (servers: ServerStatus[]) => number
  /** The peak measured for what the profile runs (model, engine, context), if any. */
  measuredPeak: (profile: Profile) => number | null
  localModel: (modelId: string) => Promise<LocalModel | null>
  /** How many of a distributed profile's ranks run on this machine (0 when it has no hosts). */
  localRanks?: (profile: Profile) => number
}

/**
 * The pool's memory figures: a profile needs its measured peak where one is known, else its
 * weights plus the KV cache at its context (the catalog's estimate); unknown when the model is
 * not in the cache (then the engine is tried and says for itself).
 */
export function poolMemory(deps: PoolMemoryDeps): PoolMemory {
  /** A distributed profile's ranks hold equal shares; only the ones running here count against this machine. */
  const here = (profile: Profile, bytes: number): number => {
    const ranks = profile.distributedHosts.length
    if (ranks === 0) return bytes
    return Math.ceil((bytes / ranks) * (deps.localRanks?.(profile) ?? ranks))
  }
  return {
    async needBytes(profile) {
      const measured = deps.measuredPeak(profile)
      if (measured !== null) return measured
      const whole = await wholeModel(profile)
      return whole === null ? null : here(profile, whole)
    },
    freeBytes: () => deps.budget().budgetBytes,
    heldBytes: (profileId) => deps.held(deps.servers().filter((server) => server.profileId === profileId)),
    holders: () =>
      deps
        .servers()
        .map((server) => ({ name: server.name, bytes: deps.held([server]) }))
        .filter((holder) => holder.bytes > 0),
  }

  async function wholeModel(profile: Profile): Promise<number | null> {
    const model = await deps.localModel(profile.model)
    if (model === null || model.weightsBytes === 0) return null
    const { layers, kvHeads, headDim } = model
    if (layers === null || kvHeads === null || headDim === null) return model.weightsBytes
    const context = Math.min(profile.contextLength ?? DEFAULT_FIT_CONTEXT, model.contextLength ?? Number.POSITIVE_INFINITY)
    const architecture = { modelType: model.modelType, layers, attentionHeads: kvHeads, kvHeads, headDim, hiddenSize: kvHeads * headDim, maxContext: model.contextLength, slidingWindow: null, slidingLayers: 0 }
    return model.weightsBytes + kvCacheBytes(architecture, context)
  }
}
