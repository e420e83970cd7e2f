import { fillCommand, splitCommand } from '../../../shared/profiles'
import type { EngineAdapter } from './adapter'

/** Any OpenAI-compatible server, from a command template with {model}, {port} and {host}. */
export const customEngine: EngineAdapter = {
  name: 'custom',
  title: 'Custom command',
  executableName: null,
  distribution: null,
  installCommand: null,
  installHint: null,
  modelTypes: ['lm', 'multimodal', 'embeddings'],
  defaultToolCallParsers: [],
  defaultReasoningParsers: [],
  fields: ['model', 'host', 'port', 'customCommand', 'extraArgs'],
  reasoningField: null,
  chatTemplate: null,
  readiness: 'models',
  helpArgs: [],
  parseHelp() {
    return { flags: null, toolCallParsers: null, reasoningParsers: null, modelTypes: null }
  },
  command(profile, { executable }) {
    const split = splitCommand(profile.customCommand ?? '')
    if (!split.ok) throw new Error(split.error)
    const [, ...rest] = fillCommand(split.words, { model: profile.model, port: String(profile.port), host: profile.host })
    return [executable, ...rest, ...profile.extraArgs]
  },
  flagsUsed() {
    return []
  },
}

/** The program a custom template runs: its first word, before placeholders are filled. */
export function customProgram(template: string | null): string | null {
  const split = splitCommand(template ?? '')
  return split.ok ? (split.words[0] ?? null) : null
}
