import { flushPromises } from '@vue/test-utils'
import { NInputNumber, NSelect } from 'naive-ui'
import { describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { RouterView, createMemoryHistory, createRouter } from 'vue-router'
import type { Profile } from '../../shared/profiles'
import type { AdminSettings, HubTokenState } from '../../shared/settings'
import { useAuthStore } from '../../web/src/features/auth/store'
import ProfileEditor from '../../web/src/features/profiles/ProfileEditor.vue'
import SettingsView from '../../web/src/features/settings/SettingsView.vue'
import { byTestId, click, mountInApp, requireTestId, submit, type } from './components/mount'
import { failure, fakeServer, json, makeProfile, makeUser } from './helpers'

const SECRET = 'hf_abcdefghijklmnopqrstuvwxyz_5678'

function adminSettings(overrides: Partial<AdminSettings> = {}): AdminSettings {
  return {
    hfToken: { set: false, lastFour: null, source: null },
    hubEndpoint: 'https://huggingface.co',
    cache: { path: '/Users/me/.cache/huggingface/hub', freeBytes: 412 * 2 ** 30, totalBytes: 994 * 2 ** 30 },
    profileDefaults: { engine: 'mlx-openai-server', idleTimeoutMinutes: null },
    ...overrides,
  }
}

async function openSettings(isAdmin: boolean) {
  useAuthStore().user = makeUser({ isAdmin, email: isAdmin ? 'admin@example.com' : 'member@example.com' })
  const wrapper = mountInApp(SettingsView)
  for (let i = 0; i < 3; i++) await flushPromises()
  return wrapper
}

const text = (id: string) => requireTestId(id).textContent?.replace(/\s+/g, ' ').trim() ?? ''

function form(section: string): HTMLFormElement {
  const found = requireTestId(section).querySelector('form')
  if (found === null) throw new Error(`${section} has no form`)
  return found
}

async function send(section: string): Promise<void> {
  form(section).dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
  for (let i = 0; i < 3; i++) await flushPromises()
}

describe('settings: your password (every user)', () => {
  it('a member sees only the password form and the page never asks for the admin settings', async () => {
    const server = fakeServer({})
    await openSettings(false)
    expect(text('settings-email')).toBe('member@example.com')
    expect(byTestId('settings-password')).not.toBeNull()
    expect(byTestId('settings-token')).toBeNull()
    expect(byTestId('settings-cache')).toBeNull()
    expect(byTestId('settings-defaults')).toBeNull()
    expect(server.callsTo('GET /api/settings')).toEqual([])
  })

  it('checks the new password twice and its length before sending, then sends current and new', async () => {
    const server = fakeServer({ 'POST /api/settings/password': () => json({ otherSessionsEnded: 2 }) })
    await openSettings(false)
    await type('password-current', 'the old one here')
    await type('password-new', 'short')
    await type('password-repeat', 'shorter')
    await send('settings-password')
    expect(text('settings-password')).toContain('at least 8 characters')
    expect(text('settings-password')).toContain('The two new passwords differ')
    expect(server.callsTo('POST /api/settings/password')).toEqual([])

    await type('password-new', 'a brand new password')
    await type('password-repeat', 'a brand new password')
    await send('settings-password')
    expect(server.callsTo('POST /api/settings/password')[0]?.body).toEqual({ currentPassword: 'the old one here', newPassword: 'a brand new password' })
    expect(document.body.textContent).toContain('Signed out on 2 other devices')
    expect((requireTestId('password-current') as HTMLInputElement).value).toBe('')
  })

  it('shows the manager\'s sentence when the current password is wrong, and keeps what was typed', async () => {
    fakeServer({ 'POST /api/settings/password': () => failure(400, 'wrong-password', 'Your current password is not right. Type it again.') })
    await openSettings(false)
    await type('password-current', 'not the password')
    await type('password-new', 'a brand new password')
    await type('password-repeat', 'a brand new password')
    await send('settings-password')
    expect(text('password-error')).toBe('Your current password is not right. Type it again.')
    expect((requireTestId('password-new') as HTMLInputElement).value).toBe('a brand new password')
  })
})

describe('settings: the HuggingFace token (admins)', () => {
  it('shows whether a token is set and where from, saves a new one without ever showing it whole', async () => {
    const saved: HubTokenState = { set: true, lastFour: '5678', source: 'settings' }
    const server = fakeServer({
      'GET /api/settings': () => json(adminSettings({ hfToken: { set: true, lastFour: '9876', source: 'environment' } })),
      'PUT /api/settings/hf-token': () => json(saved),
    })
    await openSettings(true)
    expect(text('token-status')).toContain('ending in 9876, from HF_TOKEN or hf auth login')
    // A token from the environment cannot be removed here.
    expect(byTestId('token-remove')).toBeNull()
    expect(requireTestId('token-input').getAttribute('type')).toBe('password')

    await type('token-input', `  ${SECRET} `)
    await send('settings-token')
    expect(server.callsTo('PUT /api/settings/hf-token')[0]?.body).toEqual({ token: SECRET })
    expect(text('token-status')).toContain('ending in 5678, set here')
    expect((requireTestId('token-input') as HTMLInputElement).value).toBe('')
    expect(document.body.textContent).not.toContain('abcdefghijklmnop')
  })

  it('refuses a token with spaces before sending it, and removes a stored token after asking', async () => {
    const server = fakeServer({
      'GET /api/settings': () => json(adminSettings({ hfToken: { set: true, lastFour: '5678', source: 'settings' } })),
      'DELETE /api/settings/hf-token': () => json({ set: false, lastFour: null, source: null }),
    })
    await openSettings(true)
    await type('token-input', 'two words')
    await send('settings-token')
    expect(text('token-error')).toContain('without spaces')
    expect(server.callsTo('PUT /api/settings/hf-token')).toEqual([])

    await click('token-remove')
    expect(server.callsTo('DELETE /api/settings/hf-token')).toEqual([])
    const confirm = [...document.querySelectorAll('button')].find((button) => button.textContent?.trim() === 'Remove token')
    confirm?.click()
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(server.callsTo('DELETE /api/settings/hf-token')).toHaveLength(1)
    expect(text('token-status')).toContain('No token')
    expect(byTestId('token-remove')).toBeNull()
  })
})

describe('settings: cache and new-profile defaults (admins)', () => {
  it('shows the cache folder and its free disk space', async () => {
    fakeServer({ 'GET /api/settings': () => json(adminSettings()) })
    await openSettings(true)
    expect(text('cache-path')).toBe('/Users/me/.cache/huggingface/hub')
    expect(text('cache-free')).toBe('412 GB free of 994 GB')
  })

  it('saves the default engine and idle time', async () => {
    const server = fakeServer({
      'GET /api/settings': () => json(adminSettings()),
      'PATCH /api/settings/profile-defaults': ({ body }) => json(body),
    })
    const wrapper = await openSettings(true)
    expect(requireTestId('defaults-save').hasAttribute('disabled')).toBe(true)
    wrapper.findAllComponents(NSelect).find((select) => select.attributes('data-testid') === 'defaults-engine')?.vm.$emit('update:value', 'mlx_lm.server')
    wrapper.findAllComponents(NInputNumber)[0]?.vm.$emit('update:value', 45)
    await flushPromises()
    await send('settings-defaults')
    expect(server.callsTo('PATCH /api/settings/profile-defaults')[0]?.body).toEqual({ engine: 'mlx_lm.server', idleTimeoutMinutes: 45 })
  })

  it('a load failure says why and offers to try again', async () => {
    fakeServer({ 'GET /api/settings': () => failure(500, 'internal-error', 'Something went wrong.') })
    await openSettings(true)
    expect(text('settings-error')).toContain('Something went wrong.')
    expect(byTestId('settings-token')).toBeNull()
  })
})

describe('the profile editor starts new profiles from the defaults in Settings', () => {
  const Blank = defineComponent({ render: () => h('div') })

  it('a new profile gets the default engine and idle time, and saves them', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = fakeServer({
      'GET /api/settings': () => json(adminSettings({ profileDefaults: { engine: 'mlx_lm.server', idleTimeoutMinutes: 30 } })),
      'GET /api/engines': () => json([]),
      'GET /api/models': () => json([]),
      'GET /api/servers': () => json([]),
      'GET /api/templates': () => json([]),
      'GET /api/profiles/suggest-port': () => json({ port: 8001 }),
      'POST /api/profiles': ({ body }) => json(makeProfile({ ...(body as Partial<Profile>), id: 9 }), 201),
    })
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/profiles', component: Blank },
        { path: '/profiles/new', component: ProfileEditor },
      ],
    })
    await router.push('/profiles/new?model=mlx-community/Qwen3-4B-4bit')
    await router.isReady()
    mountInApp(RouterView, { plugins: [router] })
    for (let i = 0; i < 4; i++) await flushPromises()
    expect((requireTestId('field-idle-timeout') as HTMLInputElement).value).toBe('30')
    await submit('profile-form')
    expect(server.callsTo('POST /api/profiles')[0]?.body).toMatchObject({ engine: 'mlx_lm.server', idleTimeoutMinutes: 30 })
  })
})
