import { t } from 'elysia'
import { idParam } from '../../http/ids'
import { DISTRIBUTED_BACKENDS, DISTRIBUTED_MODES, HOST_LIMITS } from '../../../shared/hosts'
import { ENGINE_NAMES, MODEL_TYPES, PROFILE_LIMITS as L } from '../../../shared/profiles'

/**
 * Types only, with a sentence for each wrong type; ranges, formats and cross-field rules are
 * checked by shared/profiles.ts `profileProblems`, which the web app runs too.
 */
const text = (max: number, error: string) => t.String({ maxLength: max * 4, error })
const nullable = <T extends Parameters<typeof t.Nullable>[0]>(schema: T) => t.Optional(t.Nullable(schema))
const literals = <T extends string>(values: readonly T[], error: string) => t.Union(values.map((value) => t.Literal(value)), { error })

const fields = {
  description: nullable(text(L.descriptionMaxLength, 'The description is text.')),
  engine: t.Optional(literals(ENGINE_NAMES, `The engine is one of ${ENGINE_NAMES.join(', ')}.`)),
  host: t.Optional(text(L.hostMaxLength, 'The host is an address such as 127.0.0.1.')),
  port: t.Optional(t.Integer({ error: `The port is a whole number from ${L.portMin} to ${L.portMax}.` })),
  contextLength: nullable(t.Integer({ error: 'The context length is a whole number of tokens.' })),
  modelType: t.Optional(literals(MODEL_TYPES, `The model type is one of ${MODEL_TYPES.join(', ')}.`)),
  toolCallParser: nullable(text(L.parserNameMaxLength, 'The tool-call parser is a name such as qwen3.')),
  reasoningParser: nullable(text(L.parserNameMaxLength, 'The reasoning parser is a name such as qwen3.')),
  autoToolChoice: t.Optional(t.Boolean({ error: 'Auto tool choice is true or false.' })),
  chatTemplateFile: nullable(text(L.pathMaxLength, 'The chat template file is an absolute path.')),
  trustRemoteCode: t.Optional(t.Boolean({ error: 'Trust remote code is true or false.' })),
  temperature: nullable(t.Number({ error: `The temperature is a number from 0 to ${L.temperatureMax}.` })),
  topP: nullable(t.Number({ error: 'Top-p is a number above 0 and at most 1.' })),
  maxTokens: nullable(t.Integer({ error: 'Max tokens is a whole number.' })),
  systemPrompt: nullable(text(L.systemPromptMaxLength, 'The system prompt is text.')),
  aliases: t.Optional(
    t.Array(text(L.nameMaxLength, 'Each alias is a name, such as gpt-4o-mini.'), {
      maxItems: L.aliasesMaxCount,
      error: `Aliases are a list of up to ${L.aliasesMaxCount} other names the gateway answers to, such as ["gpt-4o-mini"].`,
    }),
  ),
  extraArgs: t.Optional(
    t.Array(text(L.extraArgMaxLength, 'Each extra argument is text.'), {
      maxItems: L.extraArgsMaxCount * 4,
      error: 'Extra arguments are a list of strings, one per argument, such as ["--max-concurrency", "2"].',
    }),
  ),
  customCommand: nullable(text(L.customCommandMaxLength, 'The custom command is one line of text.')),
  autoStart: t.Optional(t.Boolean({ error: 'Auto-start is true or false.' })),
  idleTimeoutMinutes: nullable(t.Integer({ error: 'The idle timeout is a whole number of minutes.' })),
  pinned: t.Optional(t.Boolean({ error: 'Pinned is true or false.' })),
  restartOnCrash: t.Optional(t.Boolean({ error: 'Restart on crash is true or false.' })),
  availableToMembers: t.Optional(t.Boolean({ error: 'Available to members is true or false.' })),
  distributedHosts: t.Optional(
    t.Array(t.Integer({ minimum: 1, error: 'Each host is a host id from /api/hosts.' }), {
      maxItems: HOST_LIMITS.maxRanks,
      error: `Hosts are a list of up to ${HOST_LIMITS.maxRanks} host ids from /api/hosts, one per rank, such as [1, 2].`,
    }),
  ),
  distributedBackend: t.Optional(literals(DISTRIBUTED_BACKENDS, `The backend is one of ${DISTRIBUTED_BACKENDS.join(', ')}.`)),
  distributedMode: t.Optional(literals(DISTRIBUTED_MODES, `The mode is one of ${DISTRIBUTED_MODES.join(', ')}.`)),
}

const name = text(L.nameMaxLength, 'The name is text.')
const model = text(L.modelMaxLength, 'The model is a repo id such as mlx-community/Qwen3-4B-4bit or an absolute path.')

export const profileCreate = t.Object({ name, model, ...fields }, { error: 'Send a profile as a JSON object with at least a name and a model.' })

export const profilePatch = t.Object(
  { name: t.Optional(name), model: t.Optional(model), ...fields },
  { minProperties: 1, error: 'Send the fields to change as a JSON object; null clears an optional field.' },
)

export const duplicateBody = t.Optional(t.Object({ name: t.Optional(name) }, { error: 'Send {} or {"name": "…"} for the copy.' }))

export const profileIdParams = t.Object({
  id: idParam('A profile'),
})

export const suggestPortQuery = t.Object({
  host: t.Optional(text(L.hostMaxLength, 'The host is an address such as 127.0.0.1.')),
})

export type ProfileCreate = typeof profileCreate.static
export type ProfilePatch = typeof profilePatch.static
