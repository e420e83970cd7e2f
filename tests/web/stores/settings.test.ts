import { describe, expect, it } from 'vitest'
import type { AdminSettings, HubTokenState } from '../../../shared/settings'
import { useSettingsStore } from '../../../web/src/features/settings/store'
import { failure, fakeServer, json } from '../helpers'

const noToken: HubTokenState = { set: false, lastFour: null, source: null }
const ourToken: HubTokenState = { set: true, lastFour: 'wxyz', source: 'settings' }

const adminSettings: AdminSettings = {
  hfToken: noToken,
  hubEndpoint: 'https://huggingface.co',
  cache: { path: '/Users/me/.cache/huggingface/hub', freeBytes: 100, totalBytes: 200 },
  profileDefaults: { engine: 'mlx-openai-server', idleTimeoutMinutes: null },
}

function manager() {
  return fakeServer({
    'GET /api/settings': () => json(adminSettings),
    'POST /api/settings/password': () => json({ otherSessionsEnded: 2 }),
    'PUT /api/settings/hf-token': () => json(ourToken),
    'DELETE /api/settings/hf-token': () => json(noToken),
    'PATCH /api/settings/profile-defaults': ({ body }) => json({ ...adminSettings.profileDefaults, ...(body as object) }),
  })
}

describe('settings store', () => {
  it('loads the machine’s settings, or says why it could not', async () => {
    const server = manager()
    const store = useSettingsStore()
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.settings).toEqual(adminSettings)
    server.on('GET /api/settings', () => failure(403, 'forbidden', 'Only an administrator can see this.'))
    const other = useSettingsStore()
    await other.load()
    expect(other.loadError).toBe('Only an administrator can see this.')
  })

  it('changes the password and answers how many other sessions ended', async () => {
    const server = manager()
    const store = useSettingsStore()
    expect(await store.changePassword('old passphrase', 'new passphrase')).toBe(2)
    expect(server.callsTo('POST /api/settings/password')[0]?.body).toEqual({ currentPassword: 'old passphrase', newPassword: 'new passphrase' })
  })

  it('passes a refused password change on', async () => {
    const server = manager()
    server.on('POST /api/settings/password', () => failure(400, 'wrong-password', 'The current password is not right.'))
    await expect(useSettingsStore().changePassword('x', 'new passphrase')).rejects.toMatchObject({ code: 'wrong-password' })
  })

  it('sets and removes the hub token, showing the new state on the loaded settings', async () => {
    const server = manager()
    const store = useSettingsStore()
    await store.load()
    await store.setToken('hf_abcdwxyz')
    expect(server.callsTo('PUT /api/settings/hf-token')[0]?.body).toEqual({ token: 'hf_abcdwxyz' })
    expect(store.settings?.hfToken).toEqual(ourToken)
    expect(store.settings?.hubEndpoint).toBe('https://huggingface.co')
    await store.removeToken()
    expect(server.callsTo('DELETE /api/settings/hf-token')).toHaveLength(1)
    expect(store.settings?.hfToken).toEqual(noToken)
  })

  it('saves profile defaults and shows them on the loaded settings', async () => {
    const server = manager()
    const store = useSettingsStore()
    await store.load()
    await store.saveProfileDefaults({ idleTimeoutMinutes: 30 })
    expect(server.callsTo('PATCH /api/settings/profile-defaults')[0]?.body).toEqual({ idleTimeoutMinutes: 30 })
    expect(store.settings?.profileDefaults).toEqual({ engine: 'mlx-openai-server', idleTimeoutMinutes: 30 })
    expect(store.settings?.cache).toEqual(adminSettings.cache)
  })

  it('changes nothing on screen when the settings were never loaded', async () => {
    const server = manager()
    const store = useSettingsStore()
    await store.setToken('hf_abcdwxyz')
    await store.removeToken()
    await store.saveProfileDefaults({ idleTimeoutMinutes: 30 })
    expect(server.calls).toHaveLength(3)
    expect(store.settings).toBeNull()
  })

  it('keeps the settings as they were when a change is refused', async () => {
    const server = manager()
    const store = useSettingsStore()
    await store.load()
    server.on('PUT /api/settings/hf-token', () => failure(400, 'invalid-hf-token', 'That is not a token.'))
    server.on('PATCH /api/settings/profile-defaults', () => failure(400, 'invalid', 'No such engine.'))
    server.on('DELETE /api/settings/hf-token', () => failure(500, 'internal', 'The settings cannot be written.'))
    await expect(store.setToken('x')).rejects.toMatchObject({ code: 'invalid-hf-token' })
    await expect(store.saveProfileDefaults({ idleTimeoutMinutes: 5 })).rejects.toMatchObject({ code: 'invalid' })
    await expect(store.removeToken()).rejects.toMatchObject({ code: 'internal' })
    expect(store.settings).toEqual(adminSettings)
  })

  it('reads profile defaults for the editor, loading the settings only the first time', async () => {
    const server = manager()
    const store = useSettingsStore()
    expect(await store.profileDefaults()).toEqual(adminSettings.profileDefaults)
    expect(await store.profileDefaults()).toEqual(adminSettings.profileDefaults)
    expect(server.callsTo('GET /api/settings')).toHaveLength(1)
  })

  it('has no profile defaults to offer when the settings cannot be read', async () => {
    const server = manager()
    server.on('GET /api/settings', () => failure(403, 'forbidden', 'Only an administrator can see this.'))
    expect(await useSettingsStore().profileDefaults()).toBeNull()
  })
})
