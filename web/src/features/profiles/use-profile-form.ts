import { useMessage } from 'naive-ui'
import { computed, inject, onBeforeUnmount, onMounted, reactive, ref, watch, type InjectionKey } from 'vue'
import { onBeforeRouteLeave, useRoute, useRouter } from 'vue-router'
import {
  ENGINE_NAMES,
  KNOWN_REASONING_PARSERS,
  KNOWN_TOOL_CALL_PARSERS,
  MODEL_TYPES,
  suggestModelDefaults,
  type Profile,
} from '../../../../shared/profiles'
import { failureOf } from '../auth/store'
import { formatBytes } from '../../format/bytes'
import { isLoopbackHost } from '../servers/exposure'
import { useServersStore, isRunning } from '../servers/store'
import { useSettingsStore } from '../settings/store'
import { changesOf, draftOf, emptyDraft, fieldOfError, fieldsOf, type FieldErrors, type FieldName, type ProfileDraft } from './form'
import { useProfilesStore } from './store'

/**
 * Everything the profile editor does, for the editor and its section components: the draft and
 * its checks, the choices offered, loading, saving, duplicating, deleting and the leave guard.
 * `id` is the profile being edited; undefined for a new one (prefilled from the address's query).
 */
export function useProfileForm(id: () => string | undefined) {
  const store = useProfilesStore()
  const servers = useServersStore()
  const route = useRoute()
  const router = useRouter()
  const message = useMessage()

  const profileId = computed(() => (id() === undefined ? null : Number(id())))
  const saved = ref<Profile | null>(null)
  const draft = reactive<ProfileDraft>(prefilled(route.query))
  const loadError = ref<string | null>(null)
  /** The id in the address names no profile (deleted, mistyped, or not shared with this account). */
  const missing = ref(false)
  const touched = reactive(new Set<FieldName>())
  const submitted = ref(false)
  const serverErrors = reactive<FieldErrors>({})
  const formError = ref<string | null>(null)
  const saving = ref(false)
  const confirmingDelete = ref(false)
  const deleting = ref(false)
  const deleteError = ref<string | null>(null)
  /** Set when the user picks parsers themselves, so a model change no longer overwrites them. */
  const parsersChosen = ref(false)

  const title = computed(() => {
    if (profileId.value === null) return 'New profile'
    if (saved.value !== null) return saved.value.name
    return missing.value ? 'Profile not found' : loadError.value === null ? 'Loading profile…' : 'Profile'
  })
  const checked = computed(() => fieldsOf(draft))
  const errors = computed<FieldErrors>(() => (checked.value.ok ? {} : checked.value.errors))
  const engineInfo = computed(() => store.engine(draft.engine))
  // GET /api/engines also says whether the manager can install it here (mlx-openai-server needs Apple silicon).
  const engineInstallable = computed(() => !(engineInfo.value !== undefined && 'installable' in engineInfo.value && engineInfo.value.installable === false))
  const server = computed(() => (profileId.value === null ? undefined : servers.byId.get(profileId.value)))
  const running = computed(() => server.value !== undefined && isRunning(server.value))
  /** Bound beyond loopback: the engine answers anyone who can reach this machine. */
  const exposed = computed(() => !isLoopbackHost(draft.host))

  function error(field: FieldName): string | undefined {
    const own = touched.has(field) || submitted.value ? errors.value[field] : undefined
    return own ?? serverErrors[field]
  }
  function status(field: FieldName): 'error' | undefined {
    return error(field) === undefined ? undefined : 'error'
  }
  function touch(field: FieldName): void {
    touched.add(field)
  }
  /** Whether the chosen engine reads this field (all of them while the engine list is unknown). */
  function uses(field: FieldName): boolean {
    return engineInfo.value?.fields.includes(field) ?? true
  }
  function unused(field: FieldName): string | undefined {
    return uses(field) ? undefined : `${engineInfo.value?.title ?? draft.engine} does not use this setting.`
  }

  // A server-side refusal is about the value that was sent; editing the field clears it.
  for (const key of Object.keys(draft) as (keyof ProfileDraft)[]) {
    watch(
      () => draft[key],
      () => {
        delete serverErrors[key]
        formError.value = null
      },
    )
  }

  watch(
    () => draft.model,
    (model) => {
      if (saved.value !== null || parsersChosen.value) return
      const guessed = suggestModelDefaults(model)
      draft.modelType = guessed.modelType
      draft.toolCallParser = guessed.toolCallParser
      draft.reasoningParser = guessed.reasoningParser
      draft.autoToolChoice = guessed.toolCallParser !== null
      if (draft.name === '' || !touched.has('name')) draft.name = model.split('/').pop() ?? ''
    },
  )
  watch(
    () => draft.engine,
    (engine) => {
      if (engine === 'mlx_lm.server') draft.modelType = 'lm'
    },
  )

  const modelOptions = computed(() => {
    const typed = draft.model.trim().toLowerCase()
    return store.models
      .filter((model) => model.state === 'complete' && (typed === '' || model.id.toLowerCase().includes(typed)))
      .slice(0, 12)
      .map((model) => ({ label: model.id, value: model.id }))
  })
  const engineOptions = computed(() =>
    ENGINE_NAMES.map((name) => {
      const info = store.engine(name)
      const suffix = info === undefined || name === 'custom' ? '' : info.installed ? (info.version === null ? '' : ` · ${info.version}`) : ' · not installed'
      return { label: `${info?.title ?? name}${suffix}`, value: name }
    }),
  )
  const modelTypeOptions = computed(() =>
    (engineInfo.value?.modelTypes.length ? engineInfo.value.modelTypes : MODEL_TYPES).map((type) => ({ label: type, value: type })),
  )
  const templateOptions = computed(() => {
    const typed = draft.chatTemplateFile.trim().toLowerCase()
    return store.templates
      .filter((template) => typed === '' || template.path.toLowerCase().includes(typed) || template.name.toLowerCase().includes(typed))
      .map((template) => ({ label: `${template.name} · ${formatBytes(template.bytes)}`, value: template.path }))
  })
  const chosenTemplate = computed(() => store.templates.find((template) => template.path === draft.chatTemplateFile.trim()) ?? null)
  const uploading = ref(false)

  /** Reads a template from this computer, saves it in the manager's templates folder, and uses it. */
  async function uploadTemplate(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement
    const file = input.files?.[0]
    // The same file can be picked again after a refusal.
    input.value = ''
    if (file === undefined) return
    uploading.value = true
    try {
      const saved = await store.uploadTemplate(file)
      draft.chatTemplateFile = saved.path
      touch('chatTemplateFile')
      message.success(`Uploaded “${saved.name}”.`)
    } catch (failure) {
      serverErrors.chatTemplateFile = failureOf(failure).message
    } finally {
      uploading.value = false
    }
  }

  const parserOptions = (names: readonly string[]) => names.map((name) => ({ label: name, value: name }))
  const toolParserOptions = computed(() => parserOptions(engineInfo.value?.toolCallParsers.length ? engineInfo.value.toolCallParsers : KNOWN_TOOL_CALL_PARSERS))
  const reasoningParserOptions = computed(() =>
    parserOptions(engineInfo.value?.reasoningParsers.length ? engineInfo.value.reasoningParsers : KNOWN_REASONING_PARSERS),
  )

  /** A free port offered after the manager refused the chosen one. */
  const portSuggestion = ref<number | null>(null)

  function usePort(port: number): void {
    draft.port = port
    portSuggestion.value = null
  }

  async function suggestPort(): Promise<void> {
    const port = await store.suggestPort(draft.host.trim() === '' ? '127.0.0.1' : draft.host.trim())
    if (port !== null) draft.port = port
  }

  /** A new profile starts with the engine and idle time chosen in Settings, unless the user changed them meanwhile. */
  async function startFromSettings(): Promise<void> {
    const before = { engine: draft.engine, idle: draft.idleTimeoutMinutes }
    const defaults = await useSettingsStore().profileDefaults()
    if (defaults === null) return
    // A distributed profile (from the model page's placement help) runs on mlx_lm.server only.
    if (draft.engine === before.engine && draft.distributedHosts.length === 0) draft.engine = defaults.engine
    if (draft.idleTimeoutMinutes === before.idle) draft.idleTimeoutMinutes = defaults.idleTimeoutMinutes
  }

  onMounted(async () => {
    void store.loadChoices()
    void store.loadTemplates()
    if (!servers.loaded) void servers.load()
    if (profileId.value === null) {
      void startFromSettings()
      await suggestPort()
      return
    }
    try {
      const profile = store.byId.get(profileId.value) ?? (await store.fetchOne(profileId.value))
      saved.value = profile
      Object.assign(draft, draftOf(profile))
      parsersChosen.value = true
    } catch (failure) {
      const why = failureOf(failure)
      missing.value = why.code === 'profile-not-found'
      loadError.value = why.message
    }
  })

  const dirty = computed(() => {
    if (!checked.value.ok) return true
    return saved.value === null || Object.keys(changesOf(saved.value, checked.value.fields)).length > 0
  })

  async function save(): Promise<void> {
    submitted.value = true
    formError.value = null
    const result = fieldsOf(draft)
    if (!result.ok) {
      const first = Object.keys(result.errors)[0]
      if (first !== undefined) document.querySelector(`[data-field="${first}"]`)?.scrollIntoView({ block: 'center', behavior: 'smooth' })
      return
    }
    saving.value = true
    try {
      if (saved.value === null) {
        const profile = await store.create(result.fields)
        message.success(`Saved “${profile.name}”.`)
      } else {
        const change = changesOf(saved.value, result.fields)
        if (Object.keys(change).length > 0) await store.update(saved.value.id, change)
        message.success(running.value ? 'Saved. Restart the server to apply the changes.' : 'Saved.')
      }
      leaving = true
      await router.push('/profiles')
    } catch (failure) {
      const apiError = failureOf(failure)
      const field = fieldOfError(apiError.code)
      if (field !== null) serverErrors[field] = apiError.message
      else formError.value = apiError.message
      // A taken port: offer a free one (the manager checks it against the OS) right where the port is.
      if (apiError.code === 'port-taken' || apiError.code === 'port-in-use') {
        portSuggestion.value = await store.suggestPort(draft.host.trim() === '' ? '127.0.0.1' : draft.host.trim())
      }
    } finally {
      saving.value = false
    }
  }

  async function duplicate(): Promise<void> {
    if (saved.value === null) return
    try {
      const copy = await store.duplicate(saved.value.id)
      message.success(`Made “${copy.name}”.`)
      leaving = true
      await router.push(`/profiles/${copy.id}`)
    } catch (failure) {
      message.error(failureOf(failure).message)
    }
  }

  async function remove(): Promise<void> {
    if (saved.value === null) return
    deleting.value = true
    deleteError.value = null
    try {
      await store.remove(saved.value.id)
      confirmingDelete.value = false
      message.success(`Deleted “${saved.value.name}”.`)
      leaving = true
      await router.push('/profiles')
    } catch (failure) {
      deleteError.value = failureOf(failure).message
    } finally {
      deleting.value = false
    }
  }

  let leaving = false
  /** Whether leaving now would lose something typed. */
  function unsaved(): boolean {
    // Nothing was loaded to edit (unknown id, load failed, still loading): there is nothing to lose.
    if (profileId.value !== null && saved.value === null) return false
    return !leaving && dirty.value && !(saved.value === null && draft.model === '' && draft.name === '')
  }

  /** Set while the app asks whether to leave; answering resolves the navigation waiting on it. */
  const askingToLeave = ref<((leave: boolean) => void) | null>(null)
  onBeforeRouteLeave(() => (unsaved() ? new Promise<boolean>((resolve) => (askingToLeave.value = resolve)) : true))

  function answerLeave(leave: boolean): void {
    const resolve = askingToLeave.value
    askingToLeave.value = null
    resolve?.(leave)
  }

  // Closing or reloading the tab is the one case the app cannot ask in its own dialog: the browser asks.
  function beforeUnload(event: BeforeUnloadEvent): void {
    if (unsaved()) event.preventDefault()
  }
  window.addEventListener('beforeunload', beforeUnload)
  onBeforeUnmount(() => {
    window.removeEventListener('beforeunload', beforeUnload)
    answerLeave(false)
  })

  return reactive({
    store,
    servers,
    router,
    profileId,
    saved,
    draft,
    loadError,
    missing,
    touched,
    submitted,
    serverErrors,
    formError,
    saving,
    confirmingDelete,
    deleting,
    deleteError,
    parsersChosen,
    title,
    checked,
    errors,
    engineInfo,
    engineInstallable,
    server,
    running,
    exposed,
    error,
    status,
    touch,
    uses,
    unused,
    modelOptions,
    engineOptions,
    modelTypeOptions,
    templateOptions,
    chosenTemplate,
    uploading,
    uploadTemplate,
    toolParserOptions,
    reasoningParserOptions,
    portSuggestion,
    usePort,
    suggestPort,
    dirty,
    save,
    duplicate,
    remove,
    askingToLeave,
    answerLeave,
  })
}

export type ProfileForm = ReturnType<typeof useProfileForm>

/** The editor provides its form; each section component injects it. */
export const PROFILE_FORM: InjectionKey<ProfileForm> = Symbol('profile-form')

export function injectProfileForm(): ProfileForm {
  const form = inject(PROFILE_FORM)
  if (form === undefined) throw new Error('A profile editor section is used outside the profile editor.')
  return form
}

/**
 * A new profile from the address: `?model=` (from the Models screen), and from the model page's
 * placement help `&hosts=1,1,2&mode=pipeline&backend=ring` for a distributed one.
 */
function prefilled(query: Record<string, unknown>): ProfileDraft {
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  const draft = emptyDraft(text(query.model))
  const hosts = text(query.hosts)
    .split(',')
    .map(Number)
    .filter((id) => Number.isInteger(id) && id > 0)
  if (hosts.length > 0) {
    draft.engine = 'mlx_lm.server'
    draft.modelType = 'lm'
    draft.distributedHosts = hosts
    if (query.mode === 'pipeline' || query.mode === 'tensor') draft.distributedMode = query.mode
    if (query.backend === 'ring' || query.backend === 'jaccl') draft.distributedBackend = query.backend
  }
  return draft
}
