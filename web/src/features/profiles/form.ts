import {
  PROFILE_DEFAULTS,
  profileProblems,
  splitCommand,
  suggestModelDefaults,
  type Profile,
  type ProfileFields,
} from '../../../../shared/profiles'
import type { ProfileChange } from './store'

/** Settings the editor holds exactly as a profile stores them. */
type SameAsProfile =
  | 'name'
  | 'aliases'
  | 'model'
  | 'engine'
  | 'host'
  | 'contextLength'
  | 'modelType'
  | 'toolCallParser'
  | 'reasoningParser'
  | 'autoToolChoice'
  | 'trustRemoteCode'
  | 'temperature'
  | 'topP'
  | 'maxTokens'
  | 'autoStart'
  | 'idleTimeoutMinutes'
  | 'pinned'
  | 'restartOnCrash'
  | 'availableToMembers'
  | 'distributedHosts'
  | 'distributedBackend'
  | 'distributedMode'

/** What the editor's inputs hold: text as typed, numbers or null for an empty box, arguments as one line. */
export interface ProfileDraft extends Pick<Profile, SameAsProfile> {
  description: string
  port: number | null
  chatTemplateFile: string
  systemPrompt: string
  extraArgs: string
  customCommand: string
}

export type FieldName = keyof ProfileFields
export type FieldErrors = Partial<Record<FieldName, string>>

/** Quotes one argument so that splitting the line again gives it back unchanged. */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

export function joinArgs(words: string[]): string {
  return words.map(quote).join(' ')
}

/** A new profile's starting point, filled in from the model when one is given (e.g. from the Models screen). */
export function emptyDraft(model = ''): ProfileDraft {
  const guessed = suggestModelDefaults(model)
  const name = model === '' ? '' : (model.split('/').pop() ?? model)
  return {
    name,
    aliases: [],
    description: '',
    model,
    engine: PROFILE_DEFAULTS.engine,
    host: PROFILE_DEFAULTS.host,
    port: null,
    contextLength: null,
    modelType: model === '' ? PROFILE_DEFAULTS.modelType : guessed.modelType,
    toolCallParser: model === '' ? null : guessed.toolCallParser,
    reasoningParser: model === '' ? null : guessed.reasoningParser,
    autoToolChoice: model !== '' && guessed.toolCallParser !== null,
    chatTemplateFile: '',
    trustRemoteCode: PROFILE_DEFAULTS.trustRemoteCode,
    temperature: null,
    topP: null,
    maxTokens: null,
    systemPrompt: '',
    extraArgs: '',
    customCommand: '',
    autoStart: PROFILE_DEFAULTS.autoStart,
    idleTimeoutMinutes: null,
    pinned: PROFILE_DEFAULTS.pinned,
    restartOnCrash: PROFILE_DEFAULTS.restartOnCrash,
    availableToMembers: PROFILE_DEFAULTS.availableToMembers,
    distributedHosts: [],
    distributedBackend: PROFILE_DEFAULTS.distributedBackend,
    distributedMode: PROFILE_DEFAULTS.distributedMode,
  }
}

export function draftOf(profile: Profile): ProfileDraft {
  return {
    name: profile.name,
    aliases: [...profile.aliases],
    description: profile.description ?? '',
    model: profile.model,
    engine: profile.engine,
    host: profile.host,
    port: profile.port,
    contextLength: profile.contextLength,
    modelType: profile.modelType,
    toolCallParser: profile.toolCallParser,
    reasoningParser: profile.reasoningParser,
    autoToolChoice: profile.autoToolChoice,
    chatTemplateFile: profile.chatTemplateFile ?? '',
    trustRemoteCode: profile.trustRemoteCode,
    temperature: profile.temperature,
    topP: profile.topP,
    maxTokens: profile.maxTokens,
    systemPrompt: profile.systemPrompt ?? '',
    extraArgs: joinArgs(profile.extraArgs),
    customCommand: profile.customCommand ?? '',
    autoStart: profile.autoStart,
    idleTimeoutMinutes: profile.idleTimeoutMinutes,
    pinned: profile.pinned,
    restartOnCrash: profile.restartOnCrash,
    availableToMembers: profile.availableToMembers,
    distributedHosts: [...profile.distributedHosts],
    distributedBackend: profile.distributedBackend,
    distributedMode: profile.distributedMode,
  }
}

/** An empty box is an unset field. */
const optional = (text: string): string | null => (text.trim() === '' ? null : text.trim())
const optionalName = (text: string | null): string | null => (text === null ? null : optional(text))

export type DraftResult = { ok: true; fields: ProfileFields } | { ok: false; errors: FieldErrors }

/** The profile the draft stands for, checked with the same rules the manager applies. */
export function fieldsOf(draft: ProfileDraft): DraftResult {
  const errors: FieldErrors = {}
  let extraArgs: string[] = []
  if (draft.extraArgs.trim() !== '') {
    const split = splitCommand(draft.extraArgs)
    if (split.ok) extraArgs = split.words
    else errors.extraArgs = split.error
  }
  if (draft.port === null) errors.port = 'Enter the port the server listens on, such as 8000.'
  const fields: ProfileFields = {
    name: draft.name.trim(),
    aliases: draft.aliases.map((alias) => alias.trim()).filter((alias) => alias !== ''),
    description: optional(draft.description),
    model: draft.model.trim(),
    engine: draft.engine,
    host: draft.host.trim(),
    port: draft.port ?? 0,
    contextLength: draft.contextLength,
    modelType: draft.modelType,
    toolCallParser: optionalName(draft.toolCallParser),
    reasoningParser: optionalName(draft.reasoningParser),
    autoToolChoice: draft.autoToolChoice,
    chatTemplateFile: optional(draft.chatTemplateFile),
    trustRemoteCode: draft.trustRemoteCode,
    temperature: draft.temperature,
    topP: draft.topP,
    maxTokens: draft.maxTokens,
    // Leading spaces and line breaks in a prompt are the user's; only an all-blank prompt is unset.
    systemPrompt: draft.systemPrompt.trim() === '' ? null : draft.systemPrompt,
    extraArgs,
    customCommand: draft.engine === 'custom' ? optional(draft.customCommand) : null,
    autoStart: draft.autoStart,
    idleTimeoutMinutes: draft.idleTimeoutMinutes,
    pinned: draft.pinned,
    restartOnCrash: draft.restartOnCrash,
    availableToMembers: draft.availableToMembers,
    distributedHosts: draft.engine === 'mlx_lm.server' ? [...draft.distributedHosts] : [],
    distributedBackend: draft.distributedBackend,
    distributedMode: draft.distributedMode,
  }
  for (const problem of profileProblems(fields)) {
    if (errors[problem.field] === undefined) errors[problem.field] = problem.message
  }
  return Object.keys(errors).length === 0 ? { ok: true, fields } : { ok: false, errors }
}

/** Only the fields that differ from the saved profile; a cleared optional field is sent as null. */
export function changesOf(saved: Profile, fields: ProfileFields): ProfileChange {
  const change: ProfileChange = {}
  for (const key of Object.keys(fields) as FieldName[]) {
    const before: unknown = saved[key]
    const after: unknown = fields[key]
    if (JSON.stringify(before) !== JSON.stringify(after)) Object.assign(change, { [key]: after })
  }
  return change
}

/** Which field a refusal from the manager is about, so its sentence appears next to that input. */
export function fieldOfError(code: string): FieldName | null {
  switch (code) {
    case 'name-taken':
      return 'name'
    case 'port-taken':
    case 'port-in-use':
    case 'port-forbidden':
    case 'no-free-port':
      return 'port'
    case 'host-unavailable':
      return 'host'
    case 'unknown-host':
      return 'distributedHosts'
    default:
      // Every refusal of the template file (unreadable, outside the allowed folders) is about that field.
      return code.startsWith('chat-template') ? 'chatTemplateFile' : null
  }
}

/** The sections of the editor and the fields each holds, for jumping to the first error. */
export const SECTIONS = {
  basics: ['name', 'description', 'model', 'host', 'port', 'autoStart', 'availableToMembers'],
  engine: ['engine', 'modelType', 'contextLength', 'toolCallParser', 'reasoningParser', 'autoToolChoice', 'customCommand'],
  sampling: ['temperature', 'topP', 'maxTokens', 'systemPrompt'],
  advanced: ['chatTemplateFile', 'trustRemoteCode', 'extraArgs', 'idleTimeoutMinutes', 'aliases', 'pinned', 'restartOnCrash'],
  distributed: ['distributedHosts', 'distributedBackend', 'distributedMode'],
} as const satisfies Record<string, readonly FieldName[]>
