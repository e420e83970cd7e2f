import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Host, HostCheck } from '../../../../shared/hosts'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

/** What the host form sends; the manager validates it with the same rules (shared/hosts.ts). */
export interface HostInput {
  name: string
  address: string
  sshUser: string | null
  pythonEnv: string
  local: boolean
  rdmaDevice: string | null
}

/** The machines that run ranks of distributed profiles (admins only), and each one's latest check. */
export const useHostsStore = defineStore('hosts', () => {
  const hosts = ref<Host[]>([])
  const checks = ref<Record<number, HostCheck>>({})
  const checking = ref<Record<number, boolean>>({})

  const { loaded, loading, loadError, load, forget } = useGuardedLoad(
    () => request(api.hosts.get()),
    (list) => (hosts.value = list),
  )

  function keep(host: Host): void {
    const others = hosts.value.filter((item) => item.id !== host.id)
    hosts.value = [...others, host].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }))
  }

  async function add(input: HostInput): Promise<Host> {
    const host = await guarded(() => request(api.hosts.post(input)))
    keep(host)
    return host
  }

  async function update(id: number, input: Partial<HostInput>): Promise<Host> {
    const host = await guarded(() => request(api.hosts({ id }).patch(input)))
    keep(host)
    // A changed host is checked afresh.
    forgetCheck(id)
    return host
  }

  async function remove(id: number): Promise<void> {
    await guarded(() => request(api.hosts({ id }).delete()))
    drop(id)
  }

  /** A host another page added or edited (`hosts.changed`): an edited one's check no longer holds. */
  function apply(host: Host): void {
    const known = hosts.value.find((item) => item.id === host.id)
    if (known !== undefined && known.updatedAt !== host.updatedAt) forgetCheck(host.id)
    keep(host)
  }

  /** A host removed here or on another page (`hosts.removed`). */
  function drop(id: number): void {
    hosts.value = hosts.value.filter((host) => host.id !== id)
    forgetCheck(id)
  }

  function forgetCheck(id: number): void {
    const { [id]: _, ...rest } = checks.value
    checks.value = rest
  }

  /** Runs the host's preflight (SSH, versions, memory; with a profile, its model too). */
  async function check(id: number, profileId?: number): Promise<HostCheck> {
    checking.value = { ...checking.value, [id]: true }
    try {
      const result = await guarded(() => request(api.hosts({ id }).check.post(profileId === undefined ? {} : { profileId })))
      checks.value = { ...checks.value, [id]: result }
      return result
    } finally {
      checking.value = { ...checking.value, [id]: false }
    }
  }

  function reset(): void {
    hosts.value = []
    checks.value = {}
    forget()
  }

  return { hosts, checks, checking, loaded, loading, loadError, load, add, update, remove, check, apply, drop, reset }
})
