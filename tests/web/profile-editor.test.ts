import { flushPromises } from '@vue/test-utils'
import { NSelect } from 'naive-ui'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { RouterView, createMemoryHistory, createRouter } from 'vue-router'
import type { Profile } from '../../shared/profiles'
import type { TemplateFile } from '../../shared/templates'
import { useAuthStore } from '../../web/src/features/auth/store'
import ProfileEditor from '../../web/src/features/profiles/ProfileEditor.vue'
import { templateFileProblem, templateUploadName } from '../../web/src/features/profiles/store'
import { byTestId, click, mountInApp, requireTestId, type } from './components/mount'
import { failure, fakeServer, json, makeProfile, makeUser } from './helpers'

const Blank = defineComponent({ render: () => h('div') })

const uploaded: TemplateFile = { name: 'chatml.jinja', path: '/home/me/.mlx-manager/templates/chatml.jinja', bytes: 2048, modifiedAt: '2026-01-01T10:00:00.000Z' }

function manager(extra: Record<string, Parameters<ReturnType<typeof fakeServer>['on']>[1]> = {}) {
  useAuthStore().user = makeUser({ isAdmin: true })
  return fakeServer({
    'GET /api/engines': () => json([]),
    'GET /api/models': () => json([]),
    'GET /api/servers': () => json([]),
    'GET /api/templates': () => json([uploaded]),
    'GET /api/profiles/suggest-port': () => json({ port: 8001 }),
    'POST /api/profiles': ({ body }) => json(makeProfile({ ...(body as Partial<Profile>), id: 9 }), 201),
    ...extra,
  })
}

async function openEditor(path = '/profiles/new?model=mlx-community/Qwen3-4B-4bit') {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/profiles', component: Blank },
      { path: '/profiles/new', component: ProfileEditor },
      { path: '/profiles/:id', component: ProfileEditor, props: true },
    ],
  })
  await router.push(path)
  await router.isReady()
  mountInApp(RouterView, { plugins: [router] })
  for (let i = 0; i < 4; i++) await flushPromises()
  return router
}

const text = (id: string) => requireTestId(id).textContent?.replace(/\s+/g, ' ').trim() ?? ''

describe('profile editor: sharing with members', () => {
  it('has an "Available to members" switch, off by default, that is saved with the profile', async () => {
    const server = manager()
    await openEditor()
    const field = requireTestId('field-available-to-members')
    expect(field.getAttribute('aria-checked')).toBe('false')
    expect(document.querySelector('[data-field="availableToMembers"]')?.textContent).toContain('Approved members can see it and chat with it')
    await click('field-available-to-members')
    await click('profile-save')
    expect(server.callsTo('POST /api/profiles')[0]?.body).toMatchObject({ availableToMembers: true, model: 'mlx-community/Qwen3-4B-4bit' })
  })

  it('shows a saved profile’s sharing and sends only a change to it', async () => {
    const server = manager({
      'GET /api/profiles/4': () => json(makeProfile({ id: 4, availableToMembers: true })),
      'PATCH /api/profiles/4': ({ body }) => json(makeProfile({ id: 4, ...(body as Partial<Profile>) })),
    })
    await openEditor('/profiles/4')
    expect(requireTestId('field-available-to-members').getAttribute('aria-checked')).toBe('true')
    await click('field-available-to-members')
    await click('profile-save')
    expect(server.callsTo('PATCH /api/profiles/4')[0]?.body).toEqual({ availableToMembers: false })
  })
})

describe('profile editor: what the risky fields allow', () => {
  it('says what extra arguments, remote code and the chat template file allow', async () => {
    manager()
    await openEditor()
    expect(text('risk-extra-args')).toContain('read other files, run code or listen elsewhere')
    expect(text('risk-trust-remote-code')).toContain('Runs Python code from the model')
    expect(text('risk-chat-template')).toContain("the model's folder, the HuggingFace cache or the manager's templates folder")
    expect(byTestId('risk-custom-command')).toBeNull()
  })

  it('says a custom command runs with the manager’s account', async () => {
    manager({ 'GET /api/profiles/5': () => json(makeProfile({ id: 5, engine: 'custom', customCommand: 'my-server --port {port}' })) })
    await openEditor('/profiles/5')
    expect(text('risk-custom-command')).toContain("Runs this program on this machine with the manager's account")
  })

  it('warns while the host is not loopback, and not otherwise', async () => {
    manager()
    await openEditor()
    expect(byTestId('profile-exposed-warning')).toBeNull()
    await type('field-host', '0.0.0.0')
    const warning = text('profile-exposed-warning')
    expect(warning).toContain('Listens on 0.0.0.0')
    expect(warning).toContain('Other machines can reach this engine directly, without signing in')
    expect(warning).toContain('engines have no authentication of their own')
    await type('field-host', 'localhost')
    expect(byTestId('profile-exposed-warning')).toBeNull()
  })
})

describe('profile editor: chat templates', () => {
  it('uploads a local file, then uses the path the manager gives back', async () => {
    const saved: TemplateFile = { ...uploaded, name: 'my-template.jinja', path: '/home/me/.mlx-manager/templates/my-template.jinja', bytes: 17 }
    const server = manager({ 'POST /api/templates': () => json(saved, 201) })
    await openEditor()
    const input = requireTestId('template-file-input') as HTMLInputElement
    const file = new File(['{{ messages }}\n'], 'my template.jinja', { type: 'text/plain' })
    Object.defineProperty(input, 'files', { value: [file], configurable: true })
    input.dispatchEvent(new Event('change'))
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(server.callsTo('POST /api/templates')[0]?.body).toEqual({ name: 'my-template.jinja', content: '{{ messages }}\n' })
    expect((requireTestId('field-chat-template') as HTMLInputElement).value).toBe(saved.path)
    expect(document.querySelector('[data-field="chatTemplateFile"]')?.textContent).toContain('Uploaded template “my-template.jinja”')
  })

  it('puts the manager’s refusal of an upload under the field', async () => {
    manager({ 'POST /api/templates': () => failure(413, 'template-too-large', 'A chat template is at most 512 KiB.') })
    await openEditor()
    const input = requireTestId('template-file-input') as HTMLInputElement
    Object.defineProperty(input, 'files', { value: [new File(['x'], 'big.jinja')], configurable: true })
    input.dispatchEvent(new Event('change'))
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(document.querySelector('[data-field="chatTemplateFile"]')?.textContent).toContain('A chat template is at most 512 KiB.')
  })

  it('still takes a path typed by hand', async () => {
    const server = manager()
    await openEditor()
    await type('field-chat-template', '/models/qwen/chat_template.jinja')
    await click('profile-save')
    expect(server.callsTo('POST /api/profiles')[0]?.body).toMatchObject({ chatTemplateFile: '/models/qwen/chat_template.jinja' })
  })

  it('names uploads the way the manager accepts, and refuses empty or huge files before sending', () => {
    expect(templateUploadName('my template (v2).jinja')).toBe('my-template-v2-.jinja')
    expect(templateUploadName('..hidden.jinja')).toBe('hidden.jinja')
    expect(templateFileProblem({ name: 'ok.jinja', size: 100 })).toBeNull()
    expect(templateFileProblem({ name: 'empty.jinja', size: 0 })).toContain('empty')
    expect(templateFileProblem({ name: 'huge.jinja', size: 600 * 1024 })).toContain('larger than 512 KB')
  })
})

describe('profile editor: parsers the user chose', () => {
  it('fills parsers from the model until the user picks one; then changing the model keeps the choice', async () => {
    manager()
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/profiles/new', component: ProfileEditor }, { path: '/profiles', component: Blank }] })
    await router.push('/profiles/new')
    await router.isReady()
    const wrapper = mountInApp(RouterView, { plugins: [router] })
    for (let i = 0; i < 4; i++) await flushPromises()
    const toolParser = () => wrapper.findAllComponents(NSelect).find((select) => select.attributes('data-testid') === 'field-tool-call-parser')
    await type('field-model', 'mlx-community/Qwen3-4B-4bit')
    expect(toolParser()?.props('value')).toBe('qwen3')
    // Picking a parser by hand is a choice the model field must not undo.
    toolParser()?.vm.$emit('update:value', 'hermes')
    await flushPromises()
    await type('field-model', 'mlx-community/gpt-oss-20b-4bit')
    expect(toolParser()?.props('value')).toBe('hermes')
  })
})

/** The open confirmation; a closed Naive UI modal may linger hidden while it animates out. */
function leaveDialog(): HTMLElement | null {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="confirm-dialog"]')].find((element) => element.style.display !== 'none') ?? null
}

describe('profile editor: leaving with unsaved changes', () => {
  it('asks in the app’s own dialog, stays on Keep editing and leaves on Discard changes', async () => {
    manager({ 'GET /api/profiles/4': () => json(makeProfile({ id: 4, name: 'Qwen3 4B' })) })
    // The browser's own box, were it asked, would say yes and leave at once.
    const browserBox = vi.fn(() => true)
    vi.stubGlobal('confirm', browserBox)
    const router = await openEditor('/profiles/4')
    await type('field-name', 'Qwen3 4B renamed')

    void router.push('/profiles')
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(leaveDialog()?.textContent).toContain('Leave without saving?')
    expect(leaveDialog()?.textContent).toContain('“Qwen3 4B”')
    expect(router.currentRoute.value.path).toBe('/profiles/4')
    await click('confirm-cancel', leaveDialog() ?? document)
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(router.currentRoute.value.path).toBe('/profiles/4')
    expect(leaveDialog()).toBeNull()
    expect((requireTestId('field-name') as HTMLInputElement).value).toBe('Qwen3 4B renamed')

    void router.push('/profiles')
    for (let i = 0; i < 4; i++) await flushPromises()
    await click('confirm-ok', leaveDialog() ?? document)
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(router.currentRoute.value.path).toBe('/profiles')
    expect(browserBox).not.toHaveBeenCalled()
    vi.unstubAllGlobals()
  })

  it('leaves without asking when nothing changed, and asks the browser only when the tab closes with changes', async () => {
    manager({ 'GET /api/profiles/4': () => json(makeProfile({ id: 4, name: 'Qwen3 4B' })) })
    const router = await openEditor('/profiles/4')
    const closing = () => {
      const event = new Event('beforeunload', { cancelable: true })
      window.dispatchEvent(event)
      return event.defaultPrevented
    }
    expect(closing()).toBe(false)
    await type('field-name', 'Changed')
    expect(closing()).toBe(true)
    await type('field-name', 'Qwen3 4B')
    expect(closing()).toBe(false)
    await router.push('/profiles')
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(router.currentRoute.value.path).toBe('/profiles')
    expect(leaveDialog()).toBeNull()
    // Gone with the editor: closing the tab elsewhere asks nothing.
    expect(closing()).toBe(false)
  })
})

describe('profile editor: aliases', () => {
  it('adds an alias with a labelled button and saves it with the profile', async () => {
    const server = manager()
    await openEditor()
    const add = requireTestId('add-alias')
    expect(add.textContent?.trim()).toBe('Add alias')
    await click('add-alias')
    const input = document.querySelector<HTMLInputElement>('input[aria-label="New alias"]')
    if (input === null) throw new Error('no input for the new alias')
    input.value = 'gpt-4o-mini'
    input.dispatchEvent(new Event('input', { bubbles: true }))
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    input.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter', bubbles: true }))
    input.dispatchEvent(new Event('blur'))
    await flushPromises()
    expect(requireTestId('field-aliases').textContent).toContain('gpt-4o-mini')
    await click('profile-save')
    expect(server.callsTo('POST /api/profiles')[0]?.body).toMatchObject({ aliases: ['gpt-4o-mini'] })
  })
})
