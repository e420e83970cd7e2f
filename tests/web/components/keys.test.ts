import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import type { ApiKey, CreatedApiKey } from '../../../shared/keys'
import { useAuthStore } from '../../../web/src/features/auth/store'
import KeysView from '../../../web/src/features/keys/KeysView.vue'
import { fakeServer, json, makeApiKey, makeProfile, makeUser } from '../helpers'
import { routerStub } from '../servers-router'
import { byTestId, click, mountInApp, requireTestId, submit, type } from './mount'

const me = makeUser({ id: 1, email: 'me@example.com', isAdmin: false })
const admin = makeUser({ id: 2, email: 'admin@example.com', isAdmin: true })


const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="key-row"]')]

/** The open dialog with this test id; a closed Naive UI modal may linger hidden while it animates out. */
function shown(id: string): HTMLElement | null {
  const element = byTestId(id)
  return element !== null && element.style.display !== 'none' ? element : null
}

async function open(user = me, keys: ApiKey[] = [makeApiKey()], extra: Parameters<typeof fakeServer>[0] = {}) {
  const server = fakeServer({
    'GET /api/keys': () => json(keys),
    'GET /api/profiles': () => json([makeProfile({ id: 7, name: 'Qwen coder' }), makeProfile({ id: 8, name: 'Llama' })]),
    ...extra,
  })
  useAuthStore().user = user
  mountInApp(KeysView, { plugins: [routerStub()] })
  await flushPromises()
  return server
}

describe('API keys screen', () => {
  it('lists each key with its prefix, dates and the models it may use', async () => {
    await open(me, [
      makeApiKey({ id: 2, name: 'agent', profiles: [7, 99], expiresAt: '2030-06-01T00:00:00.000Z', lastUsedAt: '2026-03-02T08:00:00.000Z' }),
      makeApiKey(),
    ])
    expect(rows().map((row) => row.dataset.name)).toEqual(['agent', 'editor'])
    const [agent, editor] = rows()
    expect(agent?.textContent).toContain('mlxm_0123456789ab…')
    expect(agent?.querySelector('[data-testid="key-profiles"]')?.textContent).toBe('Qwen coder, #99')
    expect(agent?.querySelector('[data-testid="key-last-used"]')?.textContent).not.toContain('never')
    expect(editor?.querySelector('[data-testid="key-profiles"]')?.textContent).toBe('All your models')
    expect(editor?.textContent).toContain('Expires never')
    // Members have no switch for everyone's keys.
    expect(byTestId('keys-everyone')).toBeNull()
    // Each key opens the request log narrowed to it.
    expect(agent?.querySelector('[data-testid="key-requests"]')?.getAttribute('href')).toBe('/requests?keyId=2')
  })

  it('creates a key and shows it once, with a copy button', async () => {
    const created: CreatedApiKey = { ...makeApiKey({ id: 3, name: 'script' }), key: 'mlxm_0123456789ab_secretsecret' }
    const server = await open(me, [], { 'POST /api/keys': () => json(created, 201) })
    expect(byTestId('keys-empty')).not.toBeNull()
    await click('key-new')
    await type('key-name-input', 'script')
    await submit('key-form')
    expect(server.callsTo('POST /api/keys')[0]?.body).toEqual({ name: 'script', expiresAt: null, profiles: null, dailyTokenLimit: null })
    expect(requireTestId('key-secret').textContent).toBe(created.key)
    const writeText = vi.fn(() => Promise.resolve())
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    await click('key-copy')
    expect(writeText).toHaveBeenCalledWith(created.key)
    await click('key-done')
    expect(shown('key-created')).toBeNull()
    // The list never holds the secret.
    expect(rows().map((row) => row.textContent).join('')).not.toContain('secretsecret')
    expect(rows()).toHaveLength(1)
  })

  it('a daily token limit is set in the form, and a limited key shows how much of today it has used', async () => {
    const created: CreatedApiKey = { ...makeApiKey({ id: 4, name: 'agent', dailyTokenLimit: 50_000 }), key: 'mlxm_0123456789ab_secretsecret' }
    const server = await open(me, [{ ...makeApiKey({ dailyTokenLimit: 2_000_000 }), tokensToday: 1_234_567 } as ApiKey], { 'POST /api/keys': () => json(created, 201) })
    expect(requireTestId('key-limit').textContent).toBe('1,234,567 of 2,000,000 tokens today')
    await click('key-new')
    await type('key-name-input', 'agent')
    await type('key-limit-input', '50000')
    // The number field takes what was typed when it loses focus, as it does for a person.
    requireTestId('key-limit-input').dispatchEvent(new FocusEvent('blur'))
    await submit('key-form')
    expect(server.callsTo('POST /api/keys')[0]?.body).toEqual({ name: 'agent', expiresAt: null, profiles: null, dailyTokenLimit: 50_000 })
    await click('key-done')
    // The new key starts its day at nothing used; a key without a limit says nothing of it.
    expect(rows()[0]?.querySelector('[data-testid="key-limit"]')?.textContent).toBe('0 of 50,000 tokens today')
    expect(rows()).toHaveLength(2)
  })

  it('says why a key could not be made, and keeps the form', async () => {
    await open(me, [], {
      'POST /api/keys': () => json({ error: { code: 'invalid-key-profiles', message: 'There is no profile with id 8 that you may use.' } }, 400),
    })
    await click('key-new')
    await submit('key-form')
    expect(requireTestId('key-form-error').textContent).toContain('Give the key a name')
    await type('key-name-input', 'x')
    await submit('key-form')
    expect(requireTestId('key-form-error').textContent).toContain('no profile with id 8')
    expect(shown('key-created')).toBeNull()
  })

  it('revokes after asking', async () => {
    const server = await open(me, [makeApiKey()], { 'DELETE /api/keys/1': () => new Response(null, { status: 204 }) })
    await click('key-revoke')
    expect(shown('confirm-dialog')?.textContent).toContain('stop working at once')
    expect(server.callsTo('DELETE /api/keys/1')).toHaveLength(0)
    await click('confirm-ok')
    expect(server.callsTo('DELETE /api/keys/1')).toHaveLength(1)
    expect(rows()).toHaveLength(0)
  })

  it('lets admins see everyone’s keys, with their owners', async () => {
    const mine = makeApiKey({ userId: admin.id, ownerEmail: admin.email, name: 'mine' })
    const theirs = makeApiKey({ id: 5, name: 'theirs' })
    const server = await open(admin, [mine])
    server.on('GET /api/keys', () => json([theirs, mine]))
    requireTestId('keys-everyone').click()
    await flushPromises()
    expect(rows().map((row) => row.dataset.name)).toEqual(['theirs', 'mine'])
    expect(rows()[0]?.querySelector('[data-testid="key-owner"]')?.textContent).toContain(me.email)
  })
})
