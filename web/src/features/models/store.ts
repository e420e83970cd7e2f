import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { LocalModel } from '../../../../shared/local-models'
import { isValidModelId } from '../../../../shared/model-id'
import { api, ApiError, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

/** Download state changes arrive in bursts (queued → downloading); one reload covers them. */
export const LIBRARY_RELOAD_DELAY_MS = 300

/**
 * The models in the HuggingFace cache on the manager's machine. Fetched when the screen opens and
 * again when `models.changed` (or a download changing state) says the folder changed; never polled.
 */
export const useLibraryStore = defineStore('library', () => {
  const models = ref<LocalModel[]>([])
  let pending: ReturnType<typeof setTimeout> | null = null

  // Kept on this device too, so offline the Library shows its last-known copy.
  const { loaded, loading, loadError, updatedAt, fromDevice, load, forget } = useGuardedLoad(
    () => request(api.models.get()),
    (list) => (models.value = list),
    { snapshot: 'library' },
  )

  /** Reloads soon, once, when the list is on screen; a later change before then joins the same reload. */
  function changed(): void {
    if (!loaded.value || pending !== null) return
    pending = setTimeout(() => {
      pending = null
      void load()
    }, LIBRARY_RELOAD_DELAY_MS)
  }

  /** After the live stream (re)opens: changes made while it was down were never sent. */
  async function catchUp(): Promise<void> {
    if (loaded.value) await load()
  }

  /** Deletes the model's folder; the manager refuses (with a sentence) while a server uses it. */
  async function remove(id: string): Promise<void> {
    if (!isValidModelId(id)) throw new ApiError('invalid-model-id', 'A model id is org/name, such as mlx-community/Qwen3-4B-4bit.', 400)
    const [org = '', name = ''] = id.split('/')
    await guarded(() => request(api.models({ org })({ name }).delete()))
    models.value = models.value.filter((model) => model.id !== id)
  }

  function reset(): void {
    if (pending !== null) clearTimeout(pending)
    pending = null
    models.value = []
    forget()
  }

  return { models, loaded, loading, loadError, updatedAt, fromDevice, load, changed, catchUp, remove, reset }
})
