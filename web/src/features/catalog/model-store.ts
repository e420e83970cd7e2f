import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { CatalogModel, ModelDetails } from '../../../../shared/catalog'
import type { MemoryBudget } from '../../../../shared/memory-fit'
import { api, request, toApiError } from '../../api/client'
import { guarded } from '../auth/guarded'
import { failureOf, type Failure } from '../auth/store'
import { contextSteps, defaultContextFor, fitAt, nearestStep } from './fit'
import { readBudget, readDetails, readSummary, saveDetails } from './repository'
import { browserOffline, keepOnDevice, OFFLINE_SENTENCE, unreachable, type Source } from './sources'
import { useCatalogStore } from './store'

/** Offline, for a model this device never saved: the page adds how to keep one for next time. */
export const NOT_SAVED_CODE = 'not-saved-offline'

/**
 * One model's page of the catalog: its details and README, the memory fit at a chosen context, and
 * this device's copy offline. It reads the list's budget when this machine's own is not known yet,
 * and the list's query for the way back.
 */
export const useCatalogModelStore = defineStore('catalog-model', () => {
  const list = useCatalogStore()

  const modelId = ref<string | null>(null)
  const details = shallowRef<ModelDetails | null>(null)
  /** Offline, for a model that was listed but whose page was never opened: what the list knew. */
  const summary = shallowRef<CatalogModel | null>(null)
  const modelSource = ref<Source>('hub')
  const modelSyncedAt = ref<string | null>(null)
  const modelLoading = ref(false)
  const modelError = ref<Failure | null>(null)
  const modelOfflineReason = ref<string | null>(null)
  const modelBudget = shallowRef<MemoryBudget | null>(null)
  /** The context length on the fit slider. */
  const context = ref(defaultContextFor(null))
  let modelRun = 0

  const model = computed<CatalogModel | null>(() => details.value ?? summary.value)
  const steps = computed(() => contextSteps(model.value?.contextLength ?? null))
  /** The budget the fit is measured against: the manager's latest, else what this device saved. */
  const fitBudget = computed(() => modelBudget.value ?? list.budget)
  const fit = computed(() => {
    const current = model.value
    const budgetBytes = fitBudget.value?.budgetBytes ?? current?.fit?.budgetBytes ?? null
    return current === null || budgetBytes === null ? null : fitAt(current, context.value, budgetBytes)
  })

  function setContext(tokens: number): void {
    context.value = nearestStep(steps.value, tokens)
  }

  function showDetails(next: ModelDetails, syncedAt: string | null, from: Source): void {
    const fresh = details.value?.id !== next.id
    details.value = next
    summary.value = null
    modelSyncedAt.value = syncedAt
    modelSource.value = from
    if (fresh) context.value = defaultContextFor(next.contextLength)
  }

  async function openFromDevice(id: string, run: number, reason: string): Promise<void> {
    const [saved, listed, savedBudget] = await Promise.all([readDetails(id), readSummary(id), readBudget()])
    if (run !== modelRun) return
    modelBudget.value ??= savedBudget?.budget ?? null
    modelOfflineReason.value = reason
    if (saved !== null) {
      showDetails(saved.details, saved.syncedAt, 'device')
    } else if (listed !== null) {
      details.value = null
      summary.value = listed.model
      modelSyncedAt.value = listed.syncedAt
      modelSource.value = 'device'
      context.value = defaultContextFor(listed.model.contextLength)
    } else if (details.value === null) {
      modelError.value = {
        code: NOT_SAVED_CODE,
        message: `${id} has not been saved on this device. Open it once while the manager and the hub are reachable to keep it for offline use.`,
        retryAfterSeconds: null,
      }
    }
  }

  /** Shows this device's copy at once (if any), then the manager's answer. */
  async function openModel(id: string, options: { quiet?: boolean } = {}): Promise<void> {
    const run = ++modelRun
    if (modelId.value !== id) {
      details.value = null
      summary.value = null
      modelSyncedAt.value = null
    }
    modelId.value = id
    modelError.value = null
    if (!options.quiet) modelLoading.value = true
    try {
      if (details.value === null) {
        const saved = await readDetails(id)
        if (run !== modelRun) return
        if (saved !== null) showDetails(saved.details, saved.syncedAt, 'hub')
      }
      if (browserOffline()) return await openFromDevice(id, run, OFFLINE_SENTENCE)
      const [org = '', name = ''] = id.split('/')
      const [page, system] = await Promise.all([
        guarded(() => request(api.catalog.models({ org })({ name }).get())),
        // The budget adds the explanation under the fit; the page is still useful without it.
        guarded(() => request(api.catalog.system.get())).catch(() => null),
      ])
      if (run !== modelRun) return
      const syncedAt = new Date().toISOString()
      if (system !== null) modelBudget.value = system
      showDetails(page, syncedAt, 'hub')
      modelOfflineReason.value = null
      keepOnDevice(saveDetails(page, syncedAt, system))
    } catch (failure) {
      const apiError = toApiError(failure)
      if (run !== modelRun) return
      if (unreachable(apiError)) return await openFromDevice(id, run, apiError.message)
      if (!(options.quiet && details.value !== null)) {
        details.value = null
        modelError.value = failureOf(apiError)
      }
    } finally {
      if (run === modelRun) modelLoading.value = false
    }
  }

  /** The list the page was opened from, for its way back. */
  const query = computed(() => list.query)

  /** Back online: the list and this page replace this device's copy with the manager's answer, without a loading state. */
  async function refreshQuietly(): Promise<void> {
    await list.refreshQuietly()
    if (modelSource.value === 'device' && modelId.value !== null) await openModel(modelId.value, { quiet: true })
  }

  return {
    query,
    modelId,
    details,
    summary,
    model,
    modelSource,
    modelSyncedAt,
    modelLoading,
    modelError,
    modelOfflineReason,
    fitBudget,
    context,
    steps,
    fit,
    setContext,
    openModel,
    refreshQuietly,
  }
})
