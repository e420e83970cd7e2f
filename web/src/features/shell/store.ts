import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { readThemePreference, saveThemePreference, type ThemePreference } from './repository'

/** Chrome's install prompt; not in the DOM typings because it is not a standard yet. */
export interface BeforeInstallPromptEvent extends Event {
  prompt: () => Promise<void>
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed'; platform: string }>
}

export const DARK_QUERY = '(prefers-color-scheme: dark)'
/** Below this width the sidebar becomes a bottom bar. */
export const PHONE_QUERY = '(max-width: 767px)'

function matches(query: string): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia(query).matches
}

function onMediaChange(query: string, listener: (matches: boolean) => void): void {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return
  window.matchMedia(query).addEventListener('change', (event) => listener(event.matches))
}

/** App-wide presentation: theme, phone or desktop layout, and the install prompt. */
export const useShellStore = defineStore('shell', () => {
  const themePreference = ref<ThemePreference>('system')
  const systemDark = ref(matches(DARK_QUERY))
  const isPhone = ref(matches(PHONE_QUERY))
  const installPrompt = shallowRef<BeforeInstallPromptEvent | null>(null)
  let started = false

  const isDark = computed(() =>
    themePreference.value === 'system' ? systemDark.value : themePreference.value === 'dark',
  )
  const canInstall = computed(() => installPrompt.value !== null)

  async function loadPreferences(): Promise<void> {
    themePreference.value = await readThemePreference()
  }

  async function setThemePreference(preference: ThemePreference): Promise<void> {
    themePreference.value = preference
    await saveThemePreference(preference).catch(() => undefined)
  }

  /** Follows the system colour scheme and viewport, and keeps the browser's install offer for later. */
  function start(): void {
    if (started || typeof window === 'undefined') return
    started = true
    onMediaChange(DARK_QUERY, (dark) => (systemDark.value = dark))
    onMediaChange(PHONE_QUERY, (phone) => (isPhone.value = phone))
    window.addEventListener('beforeinstallprompt', (event) => {
      // Keep the offer: the Install button shows it when the person asks.
      event.preventDefault()
      installPrompt.value = event as BeforeInstallPromptEvent
    })
    window.addEventListener('appinstalled', () => (installPrompt.value = null))
  }

  /** Shows the browser's install dialog; a prompt can be used once. */
  async function install(): Promise<boolean> {
    const prompt = installPrompt.value
    if (prompt === null) return false
    installPrompt.value = null
    await prompt.prompt()
    const choice = await prompt.userChoice
    return choice.outcome === 'accepted'
  }

  return {
    themePreference,
    systemDark,
    isPhone,
    isDark,
    canInstall,
    loadPreferences,
    setThemePreference,
    start,
    install,
  }
})
