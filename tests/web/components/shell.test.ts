import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { needRefresh, updateCalls } from '../stubs/pwa-register'
import { useAuthStore } from '../../../web/src/features/auth/store'
import BottomNav from '../../../web/src/features/shell/BottomNav.vue'
import InstallButton from '../../../web/src/features/shell/InstallButton.vue'
import OfflineBanner from '../../../web/src/features/shell/OfflineBanner.vue'
import SideNav from '../../../web/src/features/shell/SideNav.vue'
import { useShellStore } from '../../../web/src/features/shell/store'
import UpdatePrompt from '../../../web/src/features/shell/UpdatePrompt.vue'
import MemoryMeter from '../../../web/src/features/system/MemoryMeter.vue'
import { useSystemStore } from '../../../web/src/features/system/store'
import { useUsersStore } from '../../../web/src/features/users/store'
import { routes } from '../../../web/src/router'
import { fakeServer, json, makeUser } from '../helpers'
import { byTestId, click, mountInApp, requireTestId } from './mount'

const GIB = 1024 ** 3

function navIds(): (string | undefined)[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid^="nav-"]')]
    .map((element) => element.dataset.testid)
    .filter((id) => id !== 'nav-users-badge')
}

async function mountNav(component: typeof SideNav, isAdmin: boolean) {
  useAuthStore().user = makeUser({ isAdmin })
  const router = createRouter({ history: createMemoryHistory(), routes })
  await router.push('/chat')
  mountInApp(component, { plugins: [router] })
  await flushPromises()
}

describe('navigation', () => {
  for (const [name, component] of [
    ['sidebar', SideNav],
    ['bottom bar', BottomNav],
  ] as const) {
    it(`${name}: members never see Profiles or Users`, async () => {
      await mountNav(component, false)
      // Settings and the observability pages have no room in the phone's bar: the account menu offers them there.
      const sidebar = name === 'sidebar'
      expect(navIds()).toEqual([
        ...(sidebar ? ['nav-dashboard'] : []),
        'nav-catalog',
        'nav-models',
        'nav-servers',
        ...(sidebar ? ['nav-usage', 'nav-requests'] : []),
        'nav-chat',
        'nav-connect',
        ...(sidebar ? ['nav-settings'] : []),
      ])
    })

    it(`${name}: admins see Users with the pending count`, async () => {
      await mountNav(component, true)
      expect(navIds()).toContain('nav-users')
      expect(navIds()).toContain('nav-profiles')
      expect(byTestId('nav-users-badge')).toBeNull()
      useUsersStore().setPendingCount(3)
      await flushPromises()
      expect(requireTestId('nav-users-badge').textContent?.trim()).toBe('3')
      useUsersStore().setPendingCount(0)
      await flushPromises()
      expect(byTestId('nav-users-badge')).toBeNull()
    })

    it(`${name}: marks the current screen`, async () => {
      await mountNav(component, false)
      expect(requireTestId('nav-chat').classList.contains('active')).toBe(true)
      expect(requireTestId('nav-models').classList.contains('active')).toBe(false)
    })
  }
})

describe('memory meter', () => {
  it('shows used and total memory and how full it is', async () => {
    mountInApp(MemoryMeter)
    expect(requireTestId('memory-meter-text').textContent).toBe('– / – GB')
    useSystemStore().setMemory({ totalBytes: 24 * GIB, usedBytes: 12.3 * GIB })
    await flushPromises()
    const meter = requireTestId('memory-meter')
    expect(requireTestId('memory-meter-text').textContent).toBe('12.3 / 24.0 GB')
    expect(meter.getAttribute('aria-valuenow')).toBe('51')
    expect(meter.classList.contains('normal')).toBe(true)
    useSystemStore().setMemory({ totalBytes: 24 * GIB, usedBytes: 22 * GIB })
    await flushPromises()
    expect(meter.classList.contains('high')).toBe(true)
  })

  it('starts from GET /api/system/memory', async () => {
    fakeServer({ 'GET /api/system/memory': () => json({ totalBytes: 16 * GIB, usedBytes: 4 * GIB }) })
    await useSystemStore().loadMemory()
    mountInApp(MemoryMeter)
    await flushPromises()
    expect(requireTestId('memory-meter-text').textContent).toBe('4.0 / 16.0 GB')
  })
})

describe('phone header labels', () => {
  it('the memory chip says "Memory" in words where its icon is hidden', async () => {
    mountInApp(MemoryMeter, { props: { compact: true } })
    useSystemStore().setMemory({ totalBytes: 24 * GIB, usedBytes: 12.3 * GIB })
    await flushPromises()
    expect(requireTestId('memory-meter-caption').textContent).toBe('Memory')
    expect(requireTestId('memory-meter-text').textContent).toBe('12.3/24.0 GB')
  })

  it('Install reads "Install app" on a phone too, never a bare icon', async () => {
    useShellStore().start()
    mountInApp(InstallButton, { props: { compact: true } })
    expect(byTestId('install-button')).toBeNull()
    window.dispatchEvent(Object.assign(new Event('beforeinstallprompt', { cancelable: true }), { prompt: () => Promise.resolve(), userChoice: Promise.resolve({ outcome: 'dismissed' }) }))
    await flushPromises()
    expect(requireTestId('install-button').textContent?.trim()).toBe('Install app')
    expect(requireTestId('install-button').querySelector('svg')).toBeNull()
  })
})

describe('offline banner', () => {
  it('appears only while the manager cannot be reached, and retries on request', async () => {
    const server = fakeServer({ 'GET /api/auth/me': () => json(makeUser()) })
    const auth = useAuthStore()
    mountInApp(OfflineBanner)
    expect(byTestId('offline-banner')).toBeNull()
    auth.offline = true
    await flushPromises()
    expect(requireTestId('offline-banner').textContent).toContain('Offline: showing what this device has.')
    await click('offline-retry')
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1)
    expect(byTestId('offline-banner')).toBeNull()
  })
})

describe('update prompt', () => {
  it('offers a reload when a new version is waiting and hands over to the new service worker', async () => {
    needRefresh.value = false
    updateCalls.length = 0
    mountInApp(UpdatePrompt)
    expect(byTestId('update-prompt')).toBeNull()
    needRefresh.value = true
    await flushPromises()
    expect(requireTestId('update-prompt').textContent).toContain('Update available')
    await click('update-reload')
    expect(updateCalls).toEqual([true])
  })
})
