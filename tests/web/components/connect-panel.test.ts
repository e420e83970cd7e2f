import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ConnectPanel from '../../../web/src/features/connect/ConnectPanel.vue'
import { useShellStore } from '../../../web/src/features/shell/store'
import { routerStub } from '../servers-router'
import { byTestId, click, mountInApp, requireTestId } from './mount'

async function openPanel(phone: boolean) {
  useShellStore().isPhone = phone
  const router = routerStub()
  await router.push('/servers')
  mountInApp(ConnectPanel, { props: { profileId: 4, name: 'Qwen coder' }, plugins: [router] })
  await flushPromises()
  expect(byTestId('connect-panel')).toBeNull()
  await click('server-connect')
}

describe('a server tile’s Connect panel', () => {
  it('opens beside the button on wide screens, with the endpoint, the model’s name and a curl command', async () => {
    await openPanel(false)
    const panel = requireTestId('connect-panel')
    expect(panel.closest('.n-drawer')).toBeNull()
    expect(panel.closest('.n-popover')).not.toBeNull()
    expect(requireTestId('connect-panel-url').textContent).toBe(`${window.location.origin}/v1`)
    expect(requireTestId('connect-panel-model').textContent).toBe('Qwen coder')
    expect(panel.querySelector('pre')?.textContent).toContain('"model": "Qwen coder"')
  })

  it('opens as a sheet from the bottom on phones, where a popover would run off the screen', async () => {
    await openPanel(true)
    const panel = requireTestId('connect-panel')
    const sheet = panel.closest('.n-drawer')
    expect(sheet).not.toBeNull()
    expect(sheet?.classList.contains('n-drawer--bottom-placement')).toBe(true)
    expect(sheet?.textContent).toContain('Connect to Qwen coder')
    expect(requireTestId('connect-panel-model').textContent).toBe('Qwen coder')
    expect(requireTestId('connect-panel-more').getAttribute('href')).toBe('/connect?profile=4')
  })
})
