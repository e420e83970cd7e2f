import { isValidModelId } from '../../../shared/model-id'
import type { EventBus } from '../events/bus'
import type { Serving } from '../servers/setup'
import type { LocalModelService } from './service'
import type { ModelUsage } from './usage'

/** A model is in use while any profile naming it has a server starting, ready or stopping. */
export function servingModelUsage(serving: Serving): ModelUsage {
  return {
    isInUse: (modelId) => serving.profiles.list().some((profile) => profile.model === modelId && serving.supervisor.isActive(profile.id)),
  }
}

/** Records "last used" for a model each time one of its servers becomes ready. */
export function recordModelUseOnReady(bus: EventBus, serving: { profiles: Pick<Serving['profiles'], 'find'> }, models: Pick<LocalModelService, 'recordUse'>): () => void {
  // A ready server publishes its state again whenever something about it changes (the pool moves its
  // idle-stop time on every request): only the change into ready is a use.
  const ready = new Set<number>()
  return bus.subscribe(({ event }) => {
    if (event.type !== 'servers.state') return
    if (event.data.state !== 'ready') {
      ready.delete(event.data.profileId)
      return
    }
    if (ready.has(event.data.profileId)) return
    ready.add(event.data.profileId)
    const model = serving.profiles.find(event.data.profileId)?.model
    // Local paths are not cache entries; only repo ids have a library row to update.
    if (model !== undefined && isValidModelId(model)) models.recordUse(model)
  })
}
