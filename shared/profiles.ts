import { DISTRIBUTED_BACKENDS, DISTRIBUTED_MODES, HOST_LIMITS, type DistributedBackend, type DistributedMode } from './hosts'
import { isValidModelId } from './model-id'

/** The server programs a profile can run. `custom` is a command template the user writes. */
export const ENGINE_NAMES = ['mlx-openai-server', 'mlx_lm.server', 'custom'] as const
export type EngineName = (typeof ENGINE_NAMES)[number]

/** mlx-openai-server's `--model-type` choices; mlx_lm.server serves `lm` only. */
export const MODEL_TYPES = ['lm', 'multimodal', 'embeddings', 'whisper', 'image-generation', 'image-edit'] as const
export type ModelType = (typeof MODEL_TYPES)[number]

/** The model types that generate text in a conversation (the rest embed, transcribe or draw). */
const CHAT_MODEL_TYPES: readonly ModelType[] = ['lm', 'multimodal']
export const modelTypeChats = (modelType: ModelType): boolean => CHAT_MODEL_TYPES.includes(modelType)

/**
 * mlx-openai-server 1.8.1's parser choices (tests/fixtures/engine/help/ records its `launch --help`,
 * and a test keeps these lists equal to it); an installed engine's own `launch --help` list wins.
 */
export const KNOWN_TOOL_CALL_PARSERS = [
  'functiongemma',
  'gemma4',
  'glm4_moe',
  'harmony',
  'hermes',
  'iquest_coder_v1',
  'kimi_k2',
  'longcat_flash_lite',
  'minimax_m2',
  'nemotron3_nano',
  'qwen3',
  'qwen3_coder',
  'qwen3_moe',
  'qwen3_vl',
  'solar_open',
  'step_35',
] as const
export const KNOWN_REASONING_PARSERS = [
  'gemma4',
  'glm47_flash',
  'glm4_moe',
  'harmony',
  'hermes',
  'kimi_k2',
  'minimax_m2',
  'mixed_think_tool_handoff',
  'nemotron3_nano',
  'qwen3',
  'qwen3_5',
  'qwen3_moe',
  'qwen3_vl',
  'solar_open',
  'step_35',
] as const

export const PROFILE_LIMITS = {
  nameMaxLength: 64,
  descriptionMaxLength: 500,
  modelMaxLength: 1024,
  pathMaxLength: 1024,
  hostMaxLength: 253,
  portMin: 1024,
  portMax: 65535,
  contextLengthMin: 256,
  contextLengthMax: 2_097_152,
  temperatureMax: 2,
  maxTokensMax: 1_048_576,
  systemPromptMaxLength: 20_000,
  extraArgsMaxCount: 64,
  aliasesMaxCount: 16,
  extraArgMaxLength: 1000,
  customCommandMaxLength: 2000,
  idleTimeoutMinutesMax: 7 * 24 * 60,
  parserNameMaxLength: 64,
} as const

/** Where the first free port is looked for when a profile does not name one. */
export const FIRST_SUGGESTED_PORT = 8000

/** A saved recipe for running one model server. Optional settings are null when unset. */
export interface Profile {
  id: number
  name: string
  /** Other names the gateway answers to (for clients that ask for, say, `gpt-4o-mini`); unique across profiles. */
  aliases: string[]
  description: string | null
  /** A HuggingFace repo id (`org/name`) or an absolute path to a model folder. */
  model: string
  engine: EngineName
  host: string
  port: number
  contextLength: number | null
  modelType: ModelType
  toolCallParser: string | null
  reasoningParser: string | null
  autoToolChoice: boolean
  chatTemplateFile: string | null
  trustRemoteCode: boolean
  temperature: number | null
  topP: number | null
  maxTokens: number | null
  /** Used by chat and the gateway; engines do not take a system prompt on their command line. */
  systemPrompt: string | null
  extraArgs: string[]
  /** For engine `custom`: the command with {model}, {port} and {host} placeholders. */
  customCommand: string | null
  autoStart: boolean
  /** The gateway stops an idle, unpinned server after this many minutes; null never stops it. */
  idleTimeoutMinutes: number | null
  pinned: boolean
  /** Start the server again (with backoff) when it crashes after being ready. */
  restartOnCrash: boolean
  /** Approved members may see this profile and chat with it (which may start its server); admins always may. */
  availableToMembers: boolean
  /**
   * Host ids, one per rank in rank order (a host may appear more than once); empty runs one
   * process on this machine. Rank 0 serves HTTP, so the first host is this machine.
   */
  distributedHosts: number[]
  distributedBackend: DistributedBackend
  distributedMode: DistributedMode
  createdAt: string
  updatedAt: string
}

/** Everything a client may set. Create fills defaults; PATCH sends only what changes, null clears. */
export type ProfileFields = Omit<Profile, 'id' | 'createdAt' | 'updatedAt'>

export const PROFILE_DEFAULTS = {
  aliases: [],
  description: null,
  engine: 'mlx-openai-server',
  host: '127.0.0.1',
  contextLength: null,
  modelType: 'lm',
  toolCallParser: null,
  reasoningParser: null,
  autoToolChoice: false,
  chatTemplateFile: null,
  trustRemoteCode: false,
  temperature: null,
  topP: null,
  maxTokens: null,
  systemPrompt: null,
  extraArgs: [],
  customCommand: null,
  autoStart: false,
  idleTimeoutMinutes: null,
  pinned: false,
  restartOnCrash: false,
  availableToMembers: false,
  distributedHosts: [],
  distributedBackend: 'ring',
  distributedMode: 'tensor',
} as const satisfies Partial<ProfileFields>

export interface FieldProblem {
  field: keyof ProfileFields
  message: string
}

const CONTROL = /[\u0000-\u001f\u007f]/
const PARSER_NAME = /^[a-z0-9][a-z0-9_.-]*$/
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/

/** Flags the manager sets from profile fields; repeating them in extra arguments would split the truth. */
export const MANAGED_FLAGS: Record<Exclude<EngineName, 'custom'>, readonly string[]> = {
  'mlx-openai-server': ['--model-path', '--port', '--host'],
  'mlx_lm.server': ['--model', '--port', '--host'],
}

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/')
}

export function modelProblem(model: string): string | null {
  if (model.trim() === '') return 'Choose a model: a HuggingFace repo id such as mlx-community/Qwen3-4B-4bit, or an absolute path to a model folder.'
  if (model.length > PROFILE_LIMITS.modelMaxLength) return `A model is at most ${PROFILE_LIMITS.modelMaxLength} characters.`
  if (isAbsolutePath(model)) return pathProblem(model, 'A model path')
  if (!isValidModelId(model)) {
    return `"${model}" is neither a repo id (org/name, letters, digits, ".", "_" and "-") nor an absolute path to a model folder.`
  }
  return null
}

function pathProblem(path: string, what: string): string | null {
  if (!isAbsolutePath(path)) return `${what} must be absolute, starting with /.`
  if (path.length > PROFILE_LIMITS.pathMaxLength) return `${what} is at most ${PROFILE_LIMITS.pathMaxLength} characters.`
  if (CONTROL.test(path)) return `${what} cannot contain control characters.`
  if (path.split('/').includes('..')) return `${what} cannot contain "..": write the folder it means.`
  return null
}

export function hostProblem(host: string): string | null {
  if (host === '') return 'Enter the address the server listens on, such as 127.0.0.1.'
  if (host.length > PROFILE_LIMITS.hostMaxLength) return 'That host name is too long.'
  if (IPV4.test(host)) return null
  // All digits and dots, yet not an IPv4 address (256.1.1.1): a typo, not a host name.
  if (HOSTNAME.test(host) && !/^[\d.]+$/.test(host)) return null
  if (host.includes(':') && IPV6.test(host)) return null
  return `"${host}" is not an IP address or host name (for example 127.0.0.1, 0.0.0.0 or localhost).`
}

export type SplitCommand = { ok: true; words: string[] } | { ok: false; error: string }

/**
 * Splits a command template into words the way a POSIX shell would for quoting ('…', "…", \x),
 * without running a shell: no variables, globs, pipes or redirections are interpreted.
 */
export function splitCommand(command: string): SplitCommand {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let i = 0; i < command.length; i++) {
    const char = command[i] ?? ''
    if (quote === "'") {
      if (char === "'") quote = null
      else word += char
    } else if (quote === '"') {
      if (char === '"') quote = null
      else if (char === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1] ?? '')) word += command[++i]
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      inWord = true
    } else if (char === '\\') {
      if (i + 1 >= command.length) return { ok: false, error: 'The command ends with a lone backslash.' }
      word += command[++i]
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += char
      inWord = true
    }
  }
  if (quote !== null) return { ok: false, error: `The command has an unclosed ${quote === '"' ? 'double' : 'single'} quote.` }
  if (inWord) words.push(word)
  if (words.length === 0) return { ok: false, error: 'Write the command that starts the server.' }
  return { ok: true, words }
}

export const CUSTOM_PLACEHOLDERS = ['model', 'port', 'host'] as const

/** Fills {model}, {port} and {host} in each word of a custom command template. */
export function fillCommand(words: string[], values: Record<(typeof CUSTOM_PLACEHOLDERS)[number], string>): string[] {
  return words.map((word) => word.replace(/\{(model|port|host)\}/g, (_, key: keyof typeof values) => values[key]))
}

export function customCommandProblem(command: string): string | null {
  if (command.length > PROFILE_LIMITS.customCommandMaxLength) return `A command is at most ${PROFILE_LIMITS.customCommandMaxLength} characters.`
  if (/[\u0000\r\n]/.test(command)) return 'Write the command on one line.'
  const split = splitCommand(command)
  if (!split.ok) return split.error
  const unknown = /\{([^{}]*)\}/g
  for (const match of command.matchAll(unknown)) {
    if (!(CUSTOM_PLACEHOLDERS as readonly string[]).includes(match[1] ?? '')) {
      return `{${match[1] ?? ''}} is not a placeholder; use {model}, {port} and {host}.`
    }
  }
  if (!command.includes('{port}')) return 'Put {port} where the server takes its port, so the manager knows where to reach it.'
  return null
}

function numberProblem(value: number, label: string, min: number, max: number, integer: boolean, minExclusive = false): string | null {
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return `${label} must be a ${integer ? 'whole ' : ''}number.`
  if (minExclusive ? value <= min : value < min) return `${label} must be ${minExclusive ? 'more than' : 'at least'} ${min}.`
  if (value > max) return `${label} must be at most ${max}.`
  return null
}

function textProblem(value: string, label: string, max: number): string | null {
  if (value.length > max) return `${label} is at most ${max} characters.`
  if (value.includes('\u0000')) return `${label} cannot contain NUL characters.`
  return null
}

/**
 * Every rule a profile must satisfy, with a sentence per field. Both sides run it: the web
 * app before saving, the server on every create and update (after merging a PATCH).
 */
export function profileProblems(profile: ProfileFields): FieldProblem[] {
  const problems: FieldProblem[] = []
  const add = (field: keyof ProfileFields, message: string | null) => {
    if (message !== null) problems.push({ field, message })
  }
  const limits = PROFILE_LIMITS
  const name = profile.name.trim()
  if (name === '') add('name', 'Give the profile a name.')
  else if ([...name].length > limits.nameMaxLength) add('name', `A name is at most ${limits.nameMaxLength} characters.`)
  else if (CONTROL.test(name)) add('name', 'A name cannot contain control characters.')
  add('aliases', aliasesProblem(profile.aliases, name))
  if (profile.description !== null) add('description', textProblem(profile.description, 'A description', limits.descriptionMaxLength))
  add('model', modelProblem(profile.model))
  if (!(ENGINE_NAMES as readonly string[]).includes(profile.engine)) add('engine', `Choose an engine: ${ENGINE_NAMES.join(', ')}.`)
  add('host', hostProblem(profile.host))
  add('port', numberProblem(profile.port, 'The port', limits.portMin, limits.portMax, true))
  if (profile.contextLength !== null) {
    add('contextLength', numberProblem(profile.contextLength, 'The context length', limits.contextLengthMin, limits.contextLengthMax, true))
  }
  if (!(MODEL_TYPES as readonly string[]).includes(profile.modelType)) add('modelType', `Choose a model type: ${MODEL_TYPES.join(', ')}.`)
  else if (profile.engine === 'mlx_lm.server' && profile.modelType !== 'lm') {
    add('modelType', 'mlx_lm.server serves text models only (model type lm). Use mlx-openai-server for other model types.')
  }
  for (const [field, label] of [
    ['toolCallParser', 'The tool-call parser'],
    ['reasoningParser', 'The reasoning parser'],
  ] as const) {
    const value = profile[field]
    if (value === null) continue
    if (value.length > limits.parserNameMaxLength || !PARSER_NAME.test(value)) {
      add(field, `${label} is a name such as qwen3 or harmony (lower-case letters, digits, "_", "-" and ".").`)
    }
  }
  if (profile.chatTemplateFile !== null) add('chatTemplateFile', pathProblem(profile.chatTemplateFile, 'The chat template file'))
  if (profile.temperature !== null) add('temperature', numberProblem(profile.temperature, 'The temperature', 0, limits.temperatureMax, false))
  if (profile.topP !== null) add('topP', numberProblem(profile.topP, 'Top-p', 0, 1, false, true))
  if (profile.maxTokens !== null) add('maxTokens', numberProblem(profile.maxTokens, 'Max tokens', 1, limits.maxTokensMax, true))
  if (profile.systemPrompt !== null) add('systemPrompt', textProblem(profile.systemPrompt, 'The system prompt', limits.systemPromptMaxLength))
  add('extraArgs', extraArgsProblem(profile.extraArgs, profile.engine))
  if (profile.engine === 'custom') {
    if (profile.customCommand === null || profile.customCommand.trim() === '') {
      add('customCommand', 'A custom engine needs a command, such as: my-server --model {model} --port {port} --host {host}')
    } else add('customCommand', customCommandProblem(profile.customCommand))
  } else if (profile.customCommand !== null) add('customCommand', customCommandProblem(profile.customCommand))
  if (profile.idleTimeoutMinutes !== null) {
    add('idleTimeoutMinutes', numberProblem(profile.idleTimeoutMinutes, 'The idle timeout', 1, limits.idleTimeoutMinutesMax, true))
  }
  add('distributedHosts', distributedProblem(profile))
  return problems
}

/** mlx_lm.server refuses these in distributed mode ("Loading with adapters or draft models not supported"). */
const NOT_DISTRIBUTED_FLAGS = ['--adapter-path', '--draft-model', '--num-draft-tokens']

function distributedProblem(profile: ProfileFields): string | null {
  if (!(DISTRIBUTED_BACKENDS as readonly string[]).includes(profile.distributedBackend)) return `Choose a backend: ${DISTRIBUTED_BACKENDS.join(' or ')}.`
  if (!(DISTRIBUTED_MODES as readonly string[]).includes(profile.distributedMode)) return `Choose a mode: ${DISTRIBUTED_MODES.join(' or ')}.`
  const hosts = profile.distributedHosts
  if (hosts.length === 0) return null
  if (hosts.some((id) => !Number.isInteger(id) || id < 1)) return 'Hosts are listed by their ids from the Hosts page.'
  if (profile.engine !== 'mlx_lm.server') return 'Only mlx_lm.server runs across several machines (with mlx.launch). Choose that engine, or remove the hosts.'
  if (hosts.length < 2) return 'A distributed profile runs at least 2 ranks: add another host (the same host twice runs 2 ranks on it).'
  if (hosts.length > HOST_LIMITS.maxRanks) return `At most ${HOST_LIMITS.maxRanks} ranks.`
  const flag = profile.extraArgs.find((arg) => NOT_DISTRIBUTED_FLAGS.includes(arg.split('=')[0] ?? ''))
  if (flag !== undefined) return `${flag.split('=')[0]} cannot be used across several machines: mlx_lm.server loads no adapters or draft models in distributed mode. Remove it from the extra arguments.`
  if (profile.extraArgs.includes('--pipeline')) return 'Choose the pipeline mode instead of writing --pipeline in the extra arguments.'
  return null
}

function aliasesProblem(aliases: string[], name: string): string | null {
  if (aliases.length > PROFILE_LIMITS.aliasesMaxCount) return `At most ${PROFILE_LIMITS.aliasesMaxCount} aliases.`
  const seen = new Set<string>()
  for (const alias of aliases) {
    if (alias.trim() === '' || alias !== alias.trim()) return 'An alias is a name without spaces at either end, such as gpt-4o-mini.'
    if ([...alias].length > PROFILE_LIMITS.nameMaxLength) return `An alias is at most ${PROFILE_LIMITS.nameMaxLength} characters.`
    if (CONTROL.test(alias)) return 'An alias cannot contain control characters.'
    if (alias === name) return `"${alias}" is the profile's name already; an alias is another name.`
    if (seen.has(alias)) return `"${alias}" is listed twice.`
    seen.add(alias)
  }
  return null
}

function extraArgsProblem(args: string[], engine: EngineName): string | null {
  if (args.length > PROFILE_LIMITS.extraArgsMaxCount) return `At most ${PROFILE_LIMITS.extraArgsMaxCount} extra arguments.`
  for (const arg of args) {
    if (arg === '') return 'An extra argument cannot be empty.'
    if (arg.length > PROFILE_LIMITS.extraArgMaxLength) return `An extra argument is at most ${PROFILE_LIMITS.extraArgMaxLength} characters.`
    if (CONTROL.test(arg)) return 'Extra arguments cannot contain control characters or line breaks.'
    if (engine !== 'custom') {
      const flag = arg.split('=')[0] ?? ''
      if (MANAGED_FLAGS[engine].includes(flag)) return `${flag} comes from the profile's own fields; remove it from the extra arguments.`
    }
  }
  return null
}

export interface ModelDefaults {
  modelType: ModelType
  toolCallParser: string | null
  reasoningParser: string | null
}

/**
 * Sensible engine settings guessed from a model's name, for a new profile. The user can change
 * them; they are only a starting point (the names model families publish under are stable).
 */
export function suggestModelDefaults(model: string): ModelDefaults {
  const name = (model.split('/').pop() ?? model).toLowerCase()
  const has = (...parts: string[]) => parts.some((part) => name.includes(part))
  if (has('whisper')) return { modelType: 'whisper', toolCallParser: null, reasoningParser: null }
  if (has('embed', 'bge-', 'e5-', 'gte-', 'minilm', 'nomic-')) return { modelType: 'embeddings', toolCallParser: null, reasoningParser: null }
  if (has('flux')) return { modelType: has('kontext') ? 'image-edit' : 'image-generation', toolCallParser: null, reasoningParser: null }
  const vision = has('-vl', 'vl-', 'llava', 'pixtral', 'smolvlm', 'idefics', 'paligemma', 'gemma-3-', 'gemma3-', 'vision')
  const modelType: ModelType = vision ? 'multimodal' : 'lm'
  const parsers = (tool: string | null, reasoning: string | null): ModelDefaults => ({ modelType, toolCallParser: tool, reasoningParser: reasoning })
  if (has('gpt-oss')) return parsers('harmony', 'harmony')
  if (has('qwen3-coder')) return parsers('qwen3_coder', null)
  if (has('qwen3-vl')) return parsers('qwen3_vl', 'qwen3_vl')
  if (has('qwen3.5', 'qwen3_5')) return parsers('qwen3', 'qwen3_5')
  if (/qwen3-\d+b-a\d+b/.test(name)) return parsers('qwen3_moe', 'qwen3_moe')
  if (has('qwen3')) return parsers('qwen3', 'qwen3')
  if (has('glm-4.7-flash')) return parsers('glm4_moe', 'glm47_flash')
  if (has('glm-4.5', 'glm-4.6', 'glm-4.7', 'glm4')) return parsers('glm4_moe', 'glm4_moe')
  if (has('minimax-m2')) return parsers('minimax_m2', 'minimax_m2')
  if (has('kimi-k2')) return parsers('kimi_k2', 'kimi_k2')
  if (has('gemma-4', 'gemma4')) return parsers('gemma4', 'gemma4')
  if (has('nemotron')) return parsers('nemotron3_nano', 'nemotron3_nano')
  if (has('functiongemma')) return parsers('functiongemma', null)
  if (has('hermes')) return parsers('hermes', 'hermes')
  return parsers(null, null)
}

/** What `GET /api/engines` says about each engine, so the profile screen can say what is missing. */
export interface EngineInfo {
  name: EngineName
  title: string
  installed: boolean
  /** The executable found (MLX_MANAGER_ENGINE_PATH first, then PATH); null for custom or when missing. */
  path: string | null
  version: string | null
  /** The command that installs it, e.g. `pip install mlx-openai-server`; null for custom. */
  installCommand: string | null
  /** A sentence for the profile screen when the engine is missing. */
  installHint: string | null
  modelTypes: ModelType[]
  /** From the installed engine's own help when it lists them, else the known names. */
  toolCallParsers: string[]
  reasoningParsers: string[]
  /** The profile fields this engine reads when it starts; the others do not affect it. */
  fields: (keyof ProfileFields)[]
  /** Where streamed reasoning text arrives in a chat delta. */
  reasoningField: 'reasoning_content' | 'reasoning' | null
}
