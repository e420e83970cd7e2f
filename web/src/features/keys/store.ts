import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { CreatedApiKey, ListedApiKey } from '../../../../shared/keys'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

export interface NewKey {
  name: string
  /** ISO time, or null for a key that never expires. */
  expiresAt: string | null
  /** Profile ids, or null for every profile the user may use. */
  profiles: number[] | null
  /** Tokens a day across the key's requests; null or left out for no limit. */
  dailyTokenLimit?: number | null
}

/** The signed-in user's API keys (admins: everyone's, when they ask). */
export const useKeysStore = defineStore('keys', () => {
  const keys = ref<ListedApiKey[]>([])
  /** Admins only: list everyone's keys instead of their own. */
  const everyone = ref(false)

  const { loaded, loading, loadError, load, forget } = useGuardedLoad(
    () => request(api.keys.get({ query: everyone.value ? { all: 'true' } : {} })),
    (list) => (keys.value = list),
  )

  async function showEveryone(value: boolean): Promise<void> {
    everyone.value = value
    await load()
  }

  /** Creates a key; the answer carries the whole key, which is never shown again. */
  async function create(input: NewKey): Promise<CreatedApiKey> {
    const created = await guarded(() => request(api.keys.post(input)))
    const { key: _secret, ...item } = created
    keys.value = [{ ...item, tokensToday: item.dailyTokenLimit === null ? null : 0 }, ...keys.value]
    return created
  }

  async function revoke(id: number): Promise<void> {
    await guarded(() => request(api.keys({ id }).delete()))
    keys.value = keys.value.filter((key) => key.id !== id)
  }

  function reset(): void {
    keys.value = []
    everyone.value = false
    forget()
  }

  return { keys, everyone, loaded, loading, loadError, load, showEveryone, create, revoke, reset }
})
