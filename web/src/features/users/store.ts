import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { PublicUser, UserStatus } from '../../../../shared/users'
import { api, request } from '../../api/client'
import { forgetSnapshot } from '../../db/snapshots'
import { sortUsers } from './order'
import { guarded, useGuardedLoad } from '../auth/guarded'

export interface UserChange {
  status?: UserStatus
  isAdmin?: boolean
}

/** Accounts as administrators see them, and the pending count that badges the Users item. */
export const useUsersStore = defineStore('users', () => {
  const users = ref<PublicUser[]>([])
  /** Accounts waiting for approval; set by the `users.pending` event, never polled. */
  const pendingCount = ref(0)

  // Kept on this device too, so offline the Users screen shows its last-known copy.
  const { loaded, loading, loadError, updatedAt, fromDevice, load, forget } = useGuardedLoad(
    () => request(api.users.get()),
    (list) => (users.value = sortUsers(list)),
    { snapshot: 'users' },
  )

  function replace(updated: PublicUser): void {
    users.value = sortUsers(users.value.map((user) => (user.id === updated.id ? updated : user)))
  }

  async function update(id: number, change: UserChange): Promise<PublicUser> {
    const updated = await guarded(() => request(api.users({ id }).patch(change)))
    replace(updated)
    return updated
  }

  const approve = (id: number) => update(id, { status: 'approved' })
  const disable = (id: number) => update(id, { status: 'disabled' })
  const enable = (id: number) => update(id, { status: 'approved' })
  const setAdmin = (id: number, isAdmin: boolean) => update(id, { isAdmin })

  /** Sets a new password; the server signs that account out everywhere. */
  async function resetPassword(id: number, password: string): Promise<void> {
    await guarded(() => request(api.users({ id }).password.post({ password })))
  }

  async function remove(id: number): Promise<void> {
    await guarded(() => request(api.users({ id }).delete()))
    users.value = users.value.filter((user) => user.id !== id)
  }

  function setPendingCount(count: number): void {
    pendingCount.value = count
  }

  /** Forgets everything admin-only, e.g. after signing out or losing admin rights. */
  function reset(): void {
    // Whoever is signed in now may not see accounts: the saved copy goes with the list.
    void forgetSnapshot('users').catch(() => undefined)
    users.value = []
    forget()
    pendingCount.value = 0
  }

  return {
    users,
    loaded,
    loading,
    loadError,
    updatedAt,
    fromDevice,
    pendingCount,
    load,
    approve,
    disable,
    enable,
    setAdmin,
    resetPassword,
    remove,
    setPendingCount,
    reset,
  }
})
