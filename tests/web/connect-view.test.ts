import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import type { ApiKey, CreatedApiKey } from '../../shared/keys'
import { useAuthStore } from '../../web/src/features/auth/store'
import ConnectView from '../../web/src/features/connect/ConnectView.vue'
import { byTestId, click, mountInApp, requireTestId, submit, type } from './components/mount'
import { fakeServer, json, makeApiKey, makeProfile, makeUser } from './helpers'
import { routerStub } from './servers-router'

const me = makeUser({ id: 1, email: 'me@example.com', isAdmin: false })


const PROFILES = [
  makeProfile({ id: 7, name: 'Qwen coder' }),
  makeProfile({ id: 8, name: `Bob's model` }),
  makeProfile({ id: 9, name: 'Embedder', modelType: 'embeddings' }),
]

async function open(keys: ApiKey[] = [makeApiKey()], path = '/connect', extra: Parameters<typeof fakeServer>[0] = {}) {
  const server = fakeServer({
    'GET /api/keys': () => json(keys),
    'GET /api/profiles': () => json(PROFILES),
    ...extra,
  })
  useAuthStore().user = me
  const router = routerStub()
  await router.push(path)
  mountInApp(ConnectView, { plugins: [router] })
  await flushPromises()
  return server
}

const snippetCode = (id: string) => document.querySelector(`[data-testid="snippet"][data-id="${id}"] [data-testid="snippet-code"]`)?.textContent ?? ''
const keyRows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="connect-key-row"]')]

describe('Connect page', () => {
  it('shows the endpoint this browser reaches, the user’s own keys by prefix, and snippets reading the key from the environment', async () => {
    await open([
      makeApiKey({ id: 2, name: 'agent', profiles: [7], expiresAt: '2030-06-01T00:00:00.000Z' }),
      makeApiKey(),
      // An admin may have listed everyone's keys on the keys page; this page shows only the user's.
      makeApiKey({ id: 3, name: 'theirs', userId: 99, ownerEmail: 'other@example.com' }),
    ])
    expect(requireTestId('connect-endpoint').textContent).toBe(`${location.origin}/v1`)
    expect(requireTestId('connect-anthropic').textContent).toBe(location.origin)
    expect(keyRows().map((row) => row.dataset.name)).toEqual(['agent', 'editor'])
    expect(keyRows()[0]?.textContent).toContain('mlxm_0123456789ab…')
    expect(keyRows()[0]?.textContent).toContain('Qwen coder')
    expect(keyRows()[1]?.textContent).toContain('All your models')
    // The first chat model by name (embeddings do not chat), quoted for the shell.
    expect(snippetCode('curl-chat')).toContain(`"model": "Bob'\\''s model"`)
    expect(snippetCode('curl-chat')).toContain('$MLX_MANAGER_API_KEY')
    expect(requireTestId('connect-key-note').textContent).toContain('MLX_MANAGER_API_KEY')
    // The prefix is never passed off as a key.
    expect(document.querySelector('[data-testid="connect-tabs"]')?.textContent).not.toContain('mlxm_')
  })

  it('starts from the model a server tile linked to', async () => {
    await open([], '/connect?profile=7')
    expect(snippetCode('curl-chat')).toContain('"model": "Qwen coder"')
    // Each language has its tab.
    expect(snippetCode('python-openai')).toBe('')
    await click('connect-tab-python')
    expect(requireTestId('connect-tab-python').getAttribute('aria-selected')).toBe('true')
    // Arrow keys move along the tab list, as in any tab list.
    requireTestId('connect-tab-python').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }))
    await flushPromises()
    expect(requireTestId('connect-tab-javascript').getAttribute('aria-selected')).toBe('true')
    expect(document.activeElement).toBe(requireTestId('connect-tab-javascript'))
    requireTestId('connect-tab-javascript').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))
    await flushPromises()
    expect(snippetCode('python-openai')).toContain('model="Qwen coder"')
    expect(byTestId('connect-keys-empty')).not.toBeNull()
  })

  it('creates a key inline, shows it once with a copy button, and puts it in the snippets', async () => {
    const created: CreatedApiKey = { ...makeApiKey({ id: 5, name: 'laptop', profiles: [8] }), key: 'mlxm_0123456789ab_secretsecret' }
    const server = await open([], '/connect?profile=8', { 'POST /api/keys': () => json(created, 201) })
    await submit('connect-key-form')
    expect(requireTestId('connect-key-error').textContent).toContain('Give the key a name')
    expect(server.callsTo('POST /api/keys')).toHaveLength(0)

    await type('connect-key-name', 'laptop')
    requireTestId('connect-key-only').click()
    await flushPromises()
    await submit('connect-key-form')
    expect(server.callsTo('POST /api/keys')[0]?.body).toEqual({ name: 'laptop', expiresAt: null, profiles: [8] })
    expect(requireTestId('connect-key-secret').textContent).toBe(created.key)
    expect(snippetCode('curl-chat')).toContain(`Authorization: Bearer ${created.key}`)
    expect(snippetCode('curl-chat')).not.toContain('MLX_MANAGER_API_KEY')
    expect(keyRows().map((row) => row.dataset.name)).toEqual(['laptop'])
    expect(byTestId('connect-key-not-allowed')).toBeNull()

    const writeText = vi.fn(() => Promise.resolve())
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    await click('connect-key-copy')
    expect(writeText).toHaveBeenCalledWith(created.key)
    const curl = document.querySelector('[data-testid="snippet"][data-id="curl-chat"] [data-testid="snippet-copy"]') as HTMLElement
    curl.click()
    await flushPromises()
    expect(writeText).toHaveBeenLastCalledWith(snippetCode('curl-chat'))
  })

  it('warns when the new key may not use the chosen model', async () => {
    const created: CreatedApiKey = { ...makeApiKey({ id: 6, name: 'coder only', profiles: [7] }), key: 'mlxm_0123456789ab_othersecret' }
    await open([], '/connect?profile=8', { 'POST /api/keys': () => json(created, 201) })
    await type('connect-key-name', 'coder only')
    await submit('connect-key-form')
    expect(requireTestId('connect-key-not-allowed').textContent).toContain(`may not use Bob's model`)
  })

  it('says why a key could not be made', async () => {
    await open([], '/connect', {
      'POST /api/keys': () => json({ error: { code: 'invalid-key-name', message: 'A key with that name exists already.' } }, 400),
    })
    await type('connect-key-name', 'editor')
    await submit('connect-key-form')
    expect(requireTestId('connect-key-error').textContent).toContain('exists already')
    expect(byTestId('connect-key-secret')).toBeNull()
    expect(snippetCode('curl-chat')).toContain('$MLX_MANAGER_API_KEY')
  })

  it('says there is nothing to connect to when no profile chats', async () => {
    fakeServer({ 'GET /api/keys': () => json([]), 'GET /api/profiles': () => json([PROFILES[2]]) })
    useAuthStore().user = me
    const router = routerStub()
    await router.push('/connect')
    mountInApp(ConnectView, { plugins: [router] })
    await flushPromises()
    expect(requireTestId('connect-no-models').textContent).toContain('Ask an administrator')
    expect(byTestId('snippet')).toBeNull()
  })
})
