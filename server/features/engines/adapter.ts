import type { EngineName, ModelType, Profile, ProfileFields } from '../../../shared/profiles'

/** How to tell a started engine is ready to serve. */
export type ReadinessCheck =
  /** GET /health answers 200, then GET /v1/models does (mlx-openai-server answers /health 503 while loading). */
  | 'health-then-models'
  /** A one-token completion succeeds (mlx_lm.server answers /health before its model is loaded). */
  | 'one-token'
  /** GET /v1/models answers 200 (anything OpenAI-compatible). */
  | 'models'

/** What the engine's own `--help` says about this installed version. */
export interface HelpFacts {
  /** Every long flag it lists; null when the help could not be read. */
  flags: string[] | null
  toolCallParsers: string[] | null
  reasoningParsers: string[] | null
  modelTypes: ModelType[] | null
}

export interface CommandInputs {
  /** The resolved executable (for custom, the template's first word as found). */
  executable: string
  /** mlx_lm.server takes the template text itself; the supervisor reads the file. */
  chatTemplateText: string | null
}

/** One server program: where it is, how a profile becomes its command line, how to tell it is ready. */
export interface EngineAdapter {
  name: EngineName
  title: string
  /** The program looked up on MLX_MANAGER_ENGINE_PATH and PATH; null for custom. */
  executableName: string | null
  /** The Python package that provides it, for reading its version from package metadata. */
  distribution: string | null
  installCommand: string | null
  installHint: string | null
  modelTypes: readonly ModelType[]
  defaultToolCallParsers: readonly string[]
  defaultReasoningParsers: readonly string[]
  fields: readonly (keyof ProfileFields)[]
  reasoningField: 'reasoning_content' | 'reasoning' | null
  /** How the engine takes a chat template: a file path, the template text, or not at all. */
  chatTemplate: 'path' | 'text' | null
  readiness: ReadinessCheck
  /** Arguments after the executable that print the help listing the launch flags. */
  helpArgs: string[]
  parseHelp(text: string): HelpFacts
  /** The exact argv (executable first) that runs `profile`. */
  command(profile: Profile, inputs: CommandInputs): string[]
  /** The flags this profile makes the engine use, to check against an installed version's help. */
  flagsUsed(profile: Profile): string[]
}

/** Reads `--flag [a|b|c]` choice lists the way Click prints them. */
export function clickChoices(help: string, flag: string): string[] | null {
  const match = new RegExp(`${flag.replace(/[-]/g, '\\-')}\\s+\\[([^\\]]+)\\]`).exec(help)
  return match?.[1] === undefined ? null : match[1].split('|').map((choice) => choice.trim()).filter((choice) => choice !== '')
}

export function longFlags(help: string): string[] | null {
  const flags = new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])
  return flags.size === 0 ? null : [...flags]
}

export const optional = (flag: string, value: string | number | null): string[] => (value === null ? [] : [flag, String(value)])
export const when = (flag: string, on: boolean): string[] => (on ? [flag] : [])
