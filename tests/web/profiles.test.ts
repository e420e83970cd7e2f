import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { Profile } from '../../shared/profiles'
import { useEventsStore } from '../../web/src/features/events/store'
import { changesOf, draftOf, emptyDraft, fieldOfError, fieldsOf } from '../../web/src/features/profiles/form'
import { useProfilesStore } from '../../web/src/features/profiles/store'
import { failure, fakeServer, FakeEventSource, json, makeProfile, makeUser, useFakeEventSource } from './helpers'


describe('profile form', () => {
  it('fills a new profile from the model: name, model type and parsers', () => {
    const draft = emptyDraft('mlx-community/Qwen3-4B-4bit')
    expect(draft.name).toBe('Qwen3-4B-4bit')
    expect(draft.toolCallParser).toBe('qwen3')
    expect(draft.reasoningParser).toBe('qwen3')
    expect(emptyDraft('mlx-community/whisper-large-v3').modelType).toBe('whisper')
  })

  it('checks fields with the shared rules and puts each sentence on its field', () => {
    const draft = { ...emptyDraft(), name: '', model: 'not a repo', port: 80, temperature: 3, extraArgs: "--flag 'open" }
    const result = fieldsOf(draft)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors.name).toMatch(/name/i)
    expect(result.errors.model).toContain('neither a repo id')
    expect(result.errors.port).toContain('at least 1024')
    expect(result.errors.temperature).toContain('at most 2')
    expect(result.errors.extraArgs).toContain('unclosed single quote')
    expect(fieldsOf({ ...emptyDraft('a/b'), port: null }).ok).toBe(false)
  })

  it('sends only the changes, and null for a cleared optional field', () => {
    const saved = makeProfile({ description: 'Coding', contextLength: 8192, temperature: 0.7, extraArgs: ['--max-concurrency', '2'] })
    const draft = { ...draftOf(saved), description: '  ', contextLength: null, extraArgs: '--max-concurrency 4' }
    const result = fieldsOf(draft)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(changesOf(saved, result.fields)).toEqual({ description: null, contextLength: null, extraArgs: ['--max-concurrency', '4'] })
    const unchanged = fieldsOf(draftOf(saved))
    expect(unchanged.ok && changesOf(saved, unchanged.fields)).toEqual({})
  })

  it('round-trips extra arguments with spaces and quotes', () => {
    const saved = makeProfile({ extraArgs: ['--chat-template-args', '{"enable_thinking": false}', "it's"] })
    const result = fieldsOf(draftOf(saved))
    expect(result.ok && result.fields.extraArgs).toEqual(saved.extraArgs)
  })

  it('maps the manager refusals to the field they are about', () => {
    expect(fieldOfError('name-taken')).toBe('name')
    expect(fieldOfError('port-in-use')).toBe('port')
    expect(fieldOfError('host-unavailable')).toBe('host')
    expect(fieldOfError('server-running')).toBeNull()
  })
})

describe('profiles store', () => {
  it('creates, patches with nulls, duplicates and deletes through the API', async () => {
    const server = fakeServer({
      'GET /api/profiles': () => json([makeProfile({ id: 2, name: 'b' }), makeProfile({ name: 'A' })]),
      'POST /api/profiles': ({ body }) => json(makeProfile({ ...(body as Partial<Profile>), id: 3 }), 201),
      'PATCH /api/profiles/1': ({ body }) => json(makeProfile({ ...(body as Partial<Profile>) })),
      'POST /api/profiles/1/duplicate': () => json(makeProfile({ id: 4, name: 'A (copy)', port: 8001 }), 201),
      'DELETE /api/profiles/2': () => failure(409, 'server-running', 'The server of "b" is running. Stop it before deleting the profile.'),
      'DELETE /api/profiles/4': () => new Response(null, { status: 204 }),
    })
    const store = useProfilesStore()
    await store.load()
    expect(store.profiles.map((p) => p.name)).toEqual(['A', 'b'])
    const { id: _id, createdAt: _created, updatedAt: _updated, ...fields } = makeProfile({ name: 'C', port: 8002 })
    const created = await store.create(fields)
    expect(server.callsTo('POST /api/profiles')[0]?.body).toMatchObject({ name: 'C', port: 8002 })
    expect(created.id).toBe(3)
    expect(store.byId.get(3)?.name).toBe('C')
    await store.update(1, { description: null, temperature: 0.5 })
    expect(server.callsTo('PATCH /api/profiles/1')[0]?.body).toEqual({ description: null, temperature: 0.5 })
    const copy = await store.duplicate(1)
    expect(copy.name).toBe('A (copy)')
    await expect(store.remove(2)).rejects.toMatchObject({ code: 'server-running', message: 'The server of "b" is running. Stop it before deleting the profile.' })
    expect(store.byId.has(2)).toBe(true)
    await store.remove(4)
    expect(store.byId.has(4)).toBe(false)
  })

  it('follows profiles.changed and profiles.deleted events', async () => {
    useFakeEventSource()
    fakeServer({ 'GET /api/profiles': () => json([makeProfile()]), 'GET /api/auth/me': () => json(makeUser()) })
    const store = useProfilesStore()
    await store.load()
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.emit('profiles.changed', makeProfile({ id: 5, name: 'New one' }))
    source.emit('profiles.changed', makeProfile({ name: 'Renamed' }))
    expect(store.profiles.map((p) => p.name)).toEqual(['New one', 'Renamed'])
    source.emit('profiles.deleted', { id: 5 })
    await flushPromises()
    expect(store.profiles.map((p) => p.id)).toEqual([1])
  })
})
