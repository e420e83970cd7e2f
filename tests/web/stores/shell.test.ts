import { describe, expect, it, vi } from 'vitest'
import { db } from '../../../web/src/db/database'
import { useShellStore, type BeforeInstallPromptEvent } from '../../../web/src/features/shell/store'

/** A matchMedia whose answers the test controls, with change events like the browser's. */
function fakeMatchMedia(initial: Record<string, boolean>) {
  const state = { ...initial }
  const lists = new Map<string, EventTarget & { matches: boolean; media: string }>()
  vi.stubGlobal('matchMedia', (query: string) => {
    let list = lists.get(query)
    if (list === undefined) {
      const target = new EventTarget()
      list = Object.assign(target, { media: query, matches: state[query] ?? false })
      lists.set(query, list)
    }
    return list
  })
  return {
    set(query: string, matches: boolean) {
      state[query] = matches
      const list = lists.get(query)
      if (list === undefined) return
      list.matches = matches
      list.dispatchEvent(Object.assign(new Event('change'), { matches, media: query }))
    },
  }
}

describe('theme preference', () => {
  it('follows the system colour scheme by default, live', () => {
    const media = fakeMatchMedia({ '(prefers-color-scheme: dark)': true })
    const shell = useShellStore()
    shell.start()
    expect(shell.themePreference).toBe('system')
    expect(shell.isDark).toBe(true)
    media.set('(prefers-color-scheme: dark)', false)
    expect(shell.isDark).toBe(false)
  })

  it('an explicit choice wins over the system and is stored in Dexie', async () => {
    fakeMatchMedia({ '(prefers-color-scheme: dark)': true })
    const shell = useShellStore()
    await shell.setThemePreference('light')
    expect(shell.isDark).toBe(false)
    expect(await db.settings.get('theme')).toEqual({ key: 'theme', value: 'light' })
    await shell.setThemePreference('dark')
    expect(shell.isDark).toBe(true)
  })

  it('loads the stored choice', async () => {
    fakeMatchMedia({ '(prefers-color-scheme: dark)': false })
    await db.settings.put({ key: 'theme', value: 'dark' })
    const shell = useShellStore()
    await shell.loadPreferences()
    expect(shell.themePreference).toBe('dark')
    expect(shell.isDark).toBe(true)
  })
})

describe('layout and install', () => {
  it('switches to the phone layout on narrow screens', () => {
    const media = fakeMatchMedia({ '(max-width: 767px)': false })
    const shell = useShellStore()
    shell.start()
    expect(shell.isPhone).toBe(false)
    media.set('(max-width: 767px)', true)
    expect(shell.isPhone).toBe(true)
  })

  it('offers Install only after the browser fires beforeinstallprompt, and uses the prompt once', async () => {
    fakeMatchMedia({})
    const shell = useShellStore()
    shell.start()
    expect(shell.canInstall).toBe(false)

    const prompt = vi.fn(() => Promise.resolve())
    const event = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
      prompt,
      userChoice: Promise.resolve({ outcome: 'accepted' as const, platform: 'web' }),
    }) satisfies BeforeInstallPromptEvent
    window.dispatchEvent(event)
    expect(event.defaultPrevented).toBe(true)
    expect(shell.canInstall).toBe(true)

    await expect(shell.install()).resolves.toBe(true)
    expect(prompt).toHaveBeenCalledOnce()
    expect(shell.canInstall).toBe(false)
    await expect(shell.install()).resolves.toBe(false)
  })

  it('reports a dismissed install, and drops the offer once the app is installed another way', async () => {
    fakeMatchMedia({})
    const shell = useShellStore()
    shell.start()
    const offer = () =>
      Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
        prompt: () => Promise.resolve(),
        userChoice: Promise.resolve({ outcome: 'dismissed' as const, platform: 'web' }),
      }) satisfies BeforeInstallPromptEvent
    window.dispatchEvent(offer())
    await expect(shell.install()).resolves.toBe(false)

    window.dispatchEvent(offer())
    expect(shell.canInstall).toBe(true)
    window.dispatchEvent(new Event('appinstalled'))
    expect(shell.canInstall).toBe(false)
  })

  it('works in a browser without matchMedia: light, desktop layout, nothing to follow', () => {
    vi.stubGlobal('matchMedia', undefined)
    const shell = useShellStore()
    expect(() => shell.start()).not.toThrow()
    expect(shell.systemDark).toBe(false)
    expect(shell.isPhone).toBe(false)
  })
})
