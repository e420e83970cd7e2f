import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { LocalModel } from '../../../../shared/local-models'
import type { EngineInfo, Profile, ProfileFields } from '../../../../shared/profiles'
import { TEMPLATE_MAX_BYTES, templateNameProblem, type TemplateFile } from '../../../../shared/templates'
import { api, ApiError, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

/** PATCH body: only what changes; optional fields take null to clear. */
export type ProfileChange = Partial<ProfileFields>

// The route schemas build the engine and model-type unions from arrays, which Eden types as undefined;
// the shared types are the contract (and the server checks every value), so the body is passed as those.
type CreateBody = Parameters<typeof api.profiles.post>[0]
type PatchBody = Parameters<ReturnType<typeof api.profiles>['patch']>[0]

/** Files the template picker offers to upload; engines read Jinja templates. */
export const TEMPLATE_FILE_TYPES = '.jinja,.j2,.txt'

/** The name an uploaded file is saved under: its own, with anything the manager refuses made a dash. */
export function templateUploadName(fileName: string): string {
  return fileName
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
}

/** Why a file cannot be uploaded as a template, checked before sending it; null when it can. */
export function templateFileProblem(file: Pick<File, 'name' | 'size'>): string | null {
  if (file.size > TEMPLATE_MAX_BYTES) return `“${file.name}” is larger than ${TEMPLATE_MAX_BYTES / 1024} KB; chat templates are a few KB.`
  if (file.size === 0) return `“${file.name}” is empty.`
  return templateNameProblem(templateUploadName(file.name))
}

function byName(a: Profile, b: Profile): number {
  return a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id - b.id
}

/** Saved server profiles, the engines that can run them, and the local models to pick from. */
export const useProfilesStore = defineStore('profiles', () => {
  const profiles = ref<Profile[]>([])
  const engines = ref<EngineInfo[]>([])
  const models = ref<LocalModel[]>([])
  const templates = ref<TemplateFile[]>([])

  const byId = computed(() => new Map(profiles.value.map((profile) => [profile.id, profile])))

  // Kept on this device too, so offline the Profiles screen shows its last-known copy.
  const { loaded, loading, loadError, updatedAt, fromDevice, load } = useGuardedLoad(
    () => request(api.profiles.get()),
    (list) => (profiles.value = list.slice().sort(byName)),
    { snapshot: 'profiles' },
  )

  /** Engines and local models only inform the editor; without them it still works. */
  async function loadChoices(): Promise<void> {
    const [engineList, modelList] = await Promise.allSettled([
      guarded(() => request(api.engines.get())),
      guarded(() => request(api.models.get())),
    ])
    if (engineList.status === 'fulfilled') engines.value = engineList.value
    if (modelList.status === 'fulfilled') models.value = modelList.value
  }

  function engine(name: string): EngineInfo | undefined {
    return engines.value.find((info) => info.name === name)
  }

  function upsert(profile: Profile): void {
    const rest = profiles.value.filter((existing) => existing.id !== profile.id)
    profiles.value = [...rest, profile].sort(byName)
  }

  function drop(id: number): void {
    profiles.value = profiles.value.filter((profile) => profile.id !== id)
  }

  async function fetchOne(id: number): Promise<Profile> {
    const profile = await guarded(() => request(api.profiles({ id }).get()))
    upsert(profile)
    return profile
  }

  async function create(fields: ProfileFields): Promise<Profile> {
    const profile = await guarded(() => request(api.profiles.post(fields as unknown as CreateBody)))
    upsert(profile)
    return profile
  }

  /** Sends only what changed; null clears an optional field. */
  async function update(id: number, change: ProfileChange): Promise<Profile> {
    const profile = await guarded(() => request(api.profiles({ id }).patch(change as unknown as PatchBody)))
    upsert(profile)
    return profile
  }

  async function duplicate(id: number): Promise<Profile> {
    const profile = await guarded(() => request(api.profiles({ id }).duplicate.post({})))
    upsert(profile)
    return profile
  }

  async function remove(id: number): Promise<void> {
    await guarded(() => request(api.profiles({ id }).delete()))
    drop(id)
  }

  /** Uploaded chat templates, for the editor's picker; without them a path can still be typed. */
  async function loadTemplates(): Promise<void> {
    try {
      templates.value = await guarded(() => request(api.templates.get()))
    } catch {
      // The picker then offers only what is typed.
    }
  }

  /** Saves a file as a template in the manager's templates folder; the answer names the path to use. */
  async function uploadTemplate(file: File): Promise<TemplateFile> {
    const problem = templateFileProblem(file)
    if (problem !== null) throw new ApiError('template-invalid', problem, null)
    const content = await file.text()
    const saved = await guarded(() => request(api.templates.post({ name: templateUploadName(file.name), content })))
    templates.value = [...templates.value.filter((template) => template.name !== saved.name), saved].sort((a, b) => a.name.localeCompare(b.name))
    return saved
  }

  async function suggestPort(host: string): Promise<number | null> {
    try {
      return (await guarded(() => request(api.profiles['suggest-port'].get({ query: { host } })))).port
    } catch {
      return null
    }
  }

  return {
    profiles,
    engines,
    models,
    templates,
    loaded,
    loading,
    loadError,
    updatedAt,
    fromDevice,
    byId,
    load,
    loadChoices,
    engine,
    fetchOne,
    create,
    update,
    duplicate,
    remove,
    suggestPort,
    loadTemplates,
    uploadTemplate,
    upsert,
    drop,
  }
})
