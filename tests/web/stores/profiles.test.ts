import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import type { EngineInfo } from '../../../shared/profiles'
import { readSnapshot } from '../../../web/src/db/snapshots'
import { TEMPLATE_MAX_BYTES, type TemplateFile } from '../../../shared/templates'
import { templateFileProblem, templateUploadName, useProfilesStore } from '../../../web/src/features/profiles/store'
import { failure, fakeServer, json, makeEngineInfo, makeLocalModel, makeProfile } from '../helpers'

const NAME_RULE = 'A template name is 1 to 100 letters, digits, ".", "_" and "-", starting with a letter or digit, without "..".'

function engineInfo(name: EngineInfo['name'], installed: boolean): EngineInfo {
  return makeEngineInfo(name, installed ? { installed, path: `/usr/local/bin/${name}`, version: '1.0.0' } : {})
}

function template(name: string): TemplateFile {
  return { name, path: `/home/me/.mlx-manager/templates/${name}`, bytes: 120, modifiedAt: '2026-01-01T10:00:00.000Z' }
}

const names = (store: ReturnType<typeof useProfilesStore>) => store.profiles.map((profile) => `${profile.id}:${profile.name}`)

describe('profiles store: the list', () => {
  it('loads profiles sorted by name regardless of case, ties by id', async () => {
    fakeServer({
      'GET /api/profiles': () =>
        json([makeProfile({ id: 4, name: 'beta' }), makeProfile({ id: 3, name: 'alpha' }), makeProfile({ id: 2, name: 'Alpha' }), makeProfile({ id: 1, name: 'Gamma' })]),
    })
    const store = useProfilesStore()
    await store.load()
    expect(store.loaded).toBe(true)
    expect(names(store)).toEqual(['2:Alpha', '3:alpha', '4:beta', '1:Gamma'])
    expect(store.byId.get(4)?.name).toBe('beta')
    expect(store.byId.get(9)).toBeUndefined()
  })

  it('offline, a fresh page shows the list last saved on this device as "profiles"', async () => {
    const server = fakeServer({ 'GET /api/profiles': () => json([makeProfile({ id: 4, name: 'Qwen coder' })]) })
    await useProfilesStore().load()
    await vi.waitFor(async () => expect((await readSnapshot('profiles'))?.value).toHaveLength(1))
    setActivePinia(createPinia())
    server.offline()
    const store = useProfilesStore()
    await store.load()
    expect(store.fromDevice).toBe(true)
    expect(names(store)).toEqual(['4:Qwen coder'])
  })

  it('says why the list could not be loaded', async () => {
    fakeServer({ 'GET /api/profiles': () => failure(500, 'internal', 'The manager failed.') })
    const store = useProfilesStore()
    await store.load()
    expect(store.loaded).toBe(false)
    expect(store.loadError).toBe('The manager failed.')
  })

  it('upsert replaces a profile by id and keeps the order by name; drop removes one', () => {
    const store = useProfilesStore()
    store.upsert(makeProfile({ id: 1, name: 'Mid' }))
    store.upsert(makeProfile({ id: 2, name: 'Zed' }))
    store.upsert(makeProfile({ id: 3, name: 'Ant' }))
    store.upsert(makeProfile({ id: 2, name: 'Bee' }))
    expect(names(store)).toEqual(['3:Ant', '2:Bee', '1:Mid'])
    store.drop(3)
    expect(names(store)).toEqual(['2:Bee', '1:Mid'])
  })
})

describe('profiles store: changes through the API', () => {
  it('fetches one profile and puts it in the list', async () => {
    const server = fakeServer({ 'GET /api/profiles/7': () => json(makeProfile({ id: 7, name: 'Seven' })) })
    const store = useProfilesStore()
    store.upsert(makeProfile({ id: 7, name: 'Old name' }))
    const fetched = await store.fetchOne(7)
    expect(fetched.name).toBe('Seven')
    expect(names(store)).toEqual(['7:Seven'])
    expect(server.callsTo('GET /api/profiles/7')).toHaveLength(1)
  })

  it('creates, updates with only the change, duplicates and deletes, keeping the list in step', async () => {
    const server = fakeServer({
      'POST /api/profiles': ({ body }) => json(makeProfile({ id: 1, ...(body as object) }), 201),
      'PATCH /api/profiles/1': ({ body }) => json(makeProfile({ id: 1, name: 'Qwen', ...(body as object) })),
      'POST /api/profiles/1/duplicate': () => json(makeProfile({ id: 2, name: 'Qwen (copy)' }), 201),
      'DELETE /api/profiles/1': () => new Response(null, { status: 204 }),
    })
    const store = useProfilesStore()
    const { id: _id, createdAt: _created, updatedAt: _updated, ...fields } = makeProfile({ name: 'Qwen' })
    const created = await store.create(fields)
    expect(created.id).toBe(1)
    expect(server.callsTo('POST /api/profiles')[0]?.body).toEqual(fields)
    const updated = await store.update(1, { port: 8123, chatTemplateFile: null })
    expect(updated.port).toBe(8123)
    expect(server.callsTo('PATCH /api/profiles/1')[0]?.body).toEqual({ port: 8123, chatTemplateFile: null })
    expect(store.byId.get(1)?.port).toBe(8123)
    const copy = await store.duplicate(1)
    expect(copy.id).toBe(2)
    expect(names(store)).toEqual(['1:Qwen', '2:Qwen (copy)'])
    await store.remove(1)
    expect(server.callsTo('DELETE /api/profiles/1')).toHaveLength(1)
    expect(names(store)).toEqual(['2:Qwen (copy)'])
  })

  it('passes a refusal on and leaves the list as it was', async () => {
    fakeServer({
      'PATCH /api/profiles/1': () => failure(409, 'port-taken', 'Port 8000 is used by another profile.'),
      'DELETE /api/profiles/1': () => failure(409, 'server-running', 'Stop the server first.'),
      'POST /api/profiles': () => failure(400, 'invalid', 'The name is missing.'),
      'POST /api/profiles/1/duplicate': () => failure(404, 'not-found', 'No such profile.'),
      'GET /api/profiles/1': () => failure(404, 'not-found', 'No such profile.'),
    })
    const store = useProfilesStore()
    store.upsert(makeProfile({ id: 1, name: 'Qwen', port: 8000 }))
    await expect(store.update(1, { port: 8001 })).rejects.toMatchObject({ code: 'port-taken' })
    await expect(store.remove(1)).rejects.toMatchObject({ code: 'server-running' })
    await expect(store.create({ ...makeProfile(), name: '' })).rejects.toMatchObject({ code: 'invalid' })
    await expect(store.duplicate(1)).rejects.toMatchObject({ code: 'not-found' })
    await expect(store.fetchOne(1)).rejects.toMatchObject({ code: 'not-found' })
    expect(store.profiles).toEqual([makeProfile({ id: 1, name: 'Qwen', port: 8000 })])
  })
})

describe('profiles store: what the editor offers', () => {
  it('loads engines and local models, and finds an engine by name', async () => {
    fakeServer({
      'GET /api/engines': () => json([engineInfo('mlx-openai-server', true), engineInfo('mlx_lm.server', false)]),
      'GET /api/models': () => json([makeLocalModel()]),
    })
    const store = useProfilesStore()
    expect([store.engines, store.models, store.templates]).toEqual([[], [], []])
    await store.loadChoices()
    expect(store.engines.map((engine) => engine.name)).toEqual(['mlx-openai-server', 'mlx_lm.server'])
    expect(store.models.map((model) => model.id)).toEqual(['mlx-community/Qwen3-4B-4bit'])
    expect(store.engine('mlx_lm.server')?.installed).toBe(false)
    expect(store.engine('custom')).toBeUndefined()
  })

  it('keeps whichever of engines and models arrived when the other fails', async () => {
    const server = fakeServer({
      'GET /api/engines': () => failure(500, 'internal', 'No engines.'),
      'GET /api/models': () => json([makeLocalModel()]),
    })
    const store = useProfilesStore()
    await store.loadChoices()
    expect(store.engines).toEqual([])
    expect(store.models).toHaveLength(1)
    server.on('GET /api/engines', () => json([engineInfo('mlx_lm.server', true)]))
    server.on('GET /api/models', () => failure(500, 'internal', 'No models.'))
    await store.loadChoices()
    expect(store.engines.map((engine) => engine.name)).toEqual(['mlx_lm.server'])
    expect(store.models).toHaveLength(1)
  })

  it('asks for a free port on a host, and has none to offer when the manager cannot say', async () => {
    const server = fakeServer({ 'GET /api/profiles/suggest-port': () => json({ port: 8042 }) })
    const store = useProfilesStore()
    expect(await store.suggestPort('0.0.0.0')).toBe(8042)
    const asked = new URL(server.fetch.mock.calls[0]?.[0] as string)
    expect(asked.searchParams.get('host')).toBe('0.0.0.0')
    server.offline()
    expect(await store.suggestPort('127.0.0.1')).toBeNull()
  })
})

describe('profiles store: chat templates', () => {
  it('loads the uploaded templates, and keeps the last list when they cannot be fetched', async () => {
    const server = fakeServer({ 'GET /api/templates': () => json([template('a.jinja')]) })
    const store = useProfilesStore()
    await store.loadTemplates()
    expect(store.templates.map((file) => file.name)).toEqual(['a.jinja'])
    server.offline()
    await expect(store.loadTemplates()).resolves.toBeUndefined()
    expect(store.templates.map((file) => file.name)).toEqual(['a.jinja'])
  })

  it('uploads a file under a name the manager accepts, and lists the saved one by name once', async () => {
    const server = fakeServer({
      'GET /api/templates': () => json([template('b.jinja'), template('my-chat.jinja')]),
      'POST /api/templates': ({ body }) => json(template((body as { name: string }).name), 201),
    })
    const store = useProfilesStore()
    await store.loadTemplates()
    const saved = await store.uploadTemplate(new File(['{{ messages }}'], 'my chat.jinja'))
    expect(server.callsTo('POST /api/templates')[0]?.body).toEqual({ name: 'my-chat.jinja', content: '{{ messages }}' })
    expect(saved.path).toBe('/home/me/.mlx-manager/templates/my-chat.jinja')
    await store.uploadTemplate(new File(['x'], 'a.jinja'))
    expect(store.templates.map((file) => file.name)).toEqual(['a.jinja', 'b.jinja', 'my-chat.jinja'])
  })

  it('refuses an empty, huge or badly named file without sending it', async () => {
    const server = fakeServer()
    const store = useProfilesStore()
    await expect(store.uploadTemplate(new File([], 'empty.jinja'))).rejects.toMatchObject({
      code: 'template-invalid',
      message: '“empty.jinja” is empty.',
    })
    await expect(store.uploadTemplate(new File(['x'], '---'))).rejects.toMatchObject({ code: 'template-invalid', message: NAME_RULE })
    expect(server.calls).toEqual([])
    expect(store.templates).toEqual([])
  })

  it('passes the manager’s refusal of an upload on', async () => {
    fakeServer({ 'POST /api/templates': () => failure(409, 'template-exists', 'A template has that name.') })
    const store = useProfilesStore()
    await expect(store.uploadTemplate(new File(['x'], 'a.jinja'))).rejects.toMatchObject({ code: 'template-exists' })
    expect(store.templates).toEqual([])
  })
})

describe('template file names and sizes', () => {
  it('makes a file name one the manager accepts', () => {
    expect(templateUploadName('my template (v2).jinja')).toBe('my-template-v2-.jinja')
    expect(templateUploadName('a...b..jinja')).toBe('a.b.jinja')
    expect(templateUploadName('__.-x.jinja')).toBe('x.jinja')
    expect(templateUploadName(`${'n'.repeat(120)}.jinja`)).toBe('n'.repeat(100))
  })

  it('allows sizes from 1 byte up to the limit, and names the file in the refusal', () => {
    expect(templateFileProblem({ name: 'ok.jinja', size: 1 })).toBeNull()
    expect(templateFileProblem({ name: 'ok.jinja', size: TEMPLATE_MAX_BYTES })).toBeNull()
    expect(templateFileProblem({ name: 'big.jinja', size: TEMPLATE_MAX_BYTES + 1 })).toBe('“big.jinja” is larger than 512 KB; chat templates are a few KB.')
    expect(templateFileProblem({ name: 'empty.jinja', size: 0 })).toBe('“empty.jinja” is empty.')
    expect(templateFileProblem({ name: '.hidden', size: 10 })).toBeNull()
    expect(templateFileProblem({ name: '...', size: 10 })).toBe(NAME_RULE)
  })
})
