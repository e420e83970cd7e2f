import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AdminSettings, ProfileDefaults } from '../../../../shared/settings'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

/** The Settings page: the signed-in user's password, and for admins the machine's settings. */
export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<AdminSettings | null>(null)

  const { loaded, loading, loadError, load } = useGuardedLoad(
    () => request(api.settings.get()),
    (value) => (settings.value = value),
  )

  /** Answers how many other sessions of the account were signed out. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<number> {
    const { otherSessionsEnded } = await guarded(() => request(api.settings.password.post({ currentPassword, newPassword })))
    return otherSessionsEnded
  }

  async function setToken(token: string): Promise<void> {
    const state = await guarded(() => request(api.settings['hf-token'].put({ token })))
    if (settings.value !== null) settings.value = { ...settings.value, hfToken: state }
  }

  async function removeToken(): Promise<void> {
    const state = await guarded(() => request(api.settings['hf-token'].delete()))
    if (settings.value !== null) settings.value = { ...settings.value, hfToken: state }
  }

  async function saveProfileDefaults(change: Partial<ProfileDefaults>): Promise<void> {
    const defaults = await guarded(() => request(api.settings['profile-defaults'].patch(change)))
    if (settings.value !== null) settings.value = { ...settings.value, profileDefaults: defaults }
  }

  /** What a new profile starts with (admins; the profile editor asks). Null when it cannot be read: the editor keeps its own. */
  async function profileDefaults(): Promise<ProfileDefaults | null> {
    if (!loaded.value) await load()
    return settings.value?.profileDefaults ?? null
  }

  return { settings, loaded, loading, loadError, load, changePassword, setToken, removeToken, saveProfileDefaults, profileDefaults }
})
