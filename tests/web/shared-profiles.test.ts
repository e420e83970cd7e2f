import { describe, expect, it } from 'vitest'
import {
  PROFILE_DEFAULTS,
  customCommandProblem,
  fillCommand,
  hostProblem,
  modelProblem,
  modelTypeChats,
  profileProblems,
  splitCommand,
  suggestModelDefaults,
  type ProfileFields,
} from '../../shared/profiles'

/**
 * The profile rules both sides enforce (shared/profiles.ts), at their edges: the longest value
 * each limit allows and one past it, the sentence each field reports, and the distributed and
 * alias rules that only a profile with hosts or aliases reaches.
 */

const valid: ProfileFields = { ...PROFILE_DEFAULTS, aliases: [], extraArgs: [], distributedHosts: [], name: 'Qwen', model: 'mlx-community/Qwen3-4B-4bit', port: 8001 }
const distributed: Partial<ProfileFields> = { engine: 'mlx_lm.server', distributedHosts: [1, 2] }

function problems(fields: Partial<ProfileFields>) {
  return profileProblems({ ...valid, ...fields })
}

/** The one problem a profile has, as `field: message`; fails when it has none or several. */
function onlyProblem(fields: Partial<ProfileFields>): string {
  const found = problems(fields)
  expect(found).toHaveLength(1)
  return `${found[0]?.field}: ${found[0]?.message}`
}

describe('profile limits: the longest value passes, one more is refused', () => {
  it('a name of 64 characters (counted as characters, not UTF-16 units) passes', () => {
    expect(problems({ name: 'n'.repeat(64) })).toEqual([])
    expect(problems({ name: '🦙'.repeat(64) })).toEqual([])
    expect(onlyProblem({ name: 'n'.repeat(65) })).toBe('name: A name is at most 64 characters.')
  })

  it('a description of 500 characters passes; a NUL in it is refused', () => {
    expect(problems({ description: 'd'.repeat(500) })).toEqual([])
    expect(onlyProblem({ description: 'd'.repeat(501) })).toBe('description: A description is at most 500 characters.')
    expect(onlyProblem({ description: 'a\u0000b' })).toBe('description: A description cannot contain NUL characters.')
  })

  it('a system prompt of 20000 characters passes, and its problems name it', () => {
    expect(problems({ systemPrompt: 's'.repeat(20_000) })).toEqual([])
    expect(onlyProblem({ systemPrompt: 's'.repeat(20_001) })).toBe('systemPrompt: The system prompt is at most 20000 characters.')
    expect(onlyProblem({ systemPrompt: 'x\u0000' })).toBe('systemPrompt: The system prompt cannot contain NUL characters.')
  })

  it('a model of 1024 characters passes; a longer one is refused before it is read as a path', () => {
    expect(modelProblem(`/${'m'.repeat(1023)}`)).toBeNull()
    expect(modelProblem(`/${'m'.repeat(1024)}`)).toBe('A model is at most 1024 characters.')
    expect(modelProblem('   ')).toContain('Choose a model')
    expect(modelProblem('models/qwen')).toBeNull()
    expect(modelProblem('/models/a/../b')).toBe('A model path cannot contain "..": write the folder it means.')
  })

  it('a chat template path of 1024 characters passes; one more is refused', () => {
    expect(problems({ chatTemplateFile: `/${'t'.repeat(1023)}` })).toEqual([])
    expect(onlyProblem({ chatTemplateFile: `/${'t'.repeat(1024)}` })).toBe('chatTemplateFile: The chat template file is at most 1024 characters.')
    expect(onlyProblem({ chatTemplateFile: 'chat.jinja' })).toBe('chatTemplateFile: The chat template file must be absolute, starting with /.')
  })

  it('a host name of 253 characters passes; a longer one is called too long', () => {
    const longest = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.')
    expect(longest).toHaveLength(253)
    expect(hostProblem(longest)).toBeNull()
    expect(hostProblem(`${longest}e`)).toBe('That host name is too long.')
  })

  it('host names may start or end with digits; only all digits and dots must be an IPv4 address', () => {
    for (const host of ['mac-mini-2', 'studio1.local', '10gbe-switch', '1password.lan']) expect(hostProblem(host)).toBeNull()
    for (const host of ['1.2.3', '300.1.1.1', '1.2.3.4.5']) expect(hostProblem(host)).toContain('is not an IP address or host name')
  })

  it('parser names of 64 characters pass; 65 are refused', () => {
    expect(problems({ toolCallParser: 'p'.repeat(64), reasoningParser: 'r'.repeat(64) })).toEqual([])
    expect(onlyProblem({ toolCallParser: 'p'.repeat(65) })).toContain('toolCallParser: The tool-call parser is a name such as qwen3')
    expect(onlyProblem({ reasoningParser: 'Qwen3' })).toContain('reasoningParser: The reasoning parser is a name such as qwen3')
  })

  it('64 extra arguments of 1000 characters each pass; a 65th or a longer one is refused', () => {
    expect(problems({ extraArgs: Array.from({ length: 64 }, () => 'a'.repeat(1000)) })).toEqual([])
    expect(onlyProblem({ extraArgs: Array.from({ length: 65 }, () => '-v') })).toBe('extraArgs: At most 64 extra arguments.')
    expect(onlyProblem({ extraArgs: ['a'.repeat(1001)] })).toBe('extraArgs: An extra argument is at most 1000 characters.')
  })

  it('a managed flag is found in its --flag=value form too', () => {
    expect(onlyProblem({ extraArgs: ['--host=0.0.0.0'] })).toBe("extraArgs: --host comes from the profile's own fields; remove it from the extra arguments.")
    expect(problems({ extraArgs: ['--hostname', 'x'] })).toEqual([])
  })
})

describe('profile numbers: each field says its own name and bound', () => {
  it('reports the port, context length, sampling and idle timeout in their own words', () => {
    const cases: [Partial<ProfileFields>, string][] = [
      [{ port: 1023 }, 'port: The port must be at least 1024.'],
      [{ port: 65536 }, 'port: The port must be at most 65535.'],
      [{ contextLength: 255 }, 'contextLength: The context length must be at least 256.'],
      [{ contextLength: 4096.5 }, 'contextLength: The context length must be a whole number.'],
      [{ contextLength: 2_097_153 }, 'contextLength: The context length must be at most 2097152.'],
      [{ temperature: -1 }, 'temperature: The temperature must be at least 0.'],
      [{ temperature: Number.POSITIVE_INFINITY }, 'temperature: The temperature must be a number.'],
      [{ topP: 0 }, 'topP: Top-p must be more than 0.'],
      [{ topP: -0.5 }, 'topP: Top-p must be more than 0.'],
      [{ maxTokens: 0 }, 'maxTokens: Max tokens must be at least 1.'],
      [{ maxTokens: 10.5 }, 'maxTokens: Max tokens must be a whole number.'],
      [{ maxTokens: 1_048_577 }, 'maxTokens: Max tokens must be at most 1048576.'],
      [{ idleTimeoutMinutes: 0 }, 'idleTimeoutMinutes: The idle timeout must be at least 1.'],
      [{ idleTimeoutMinutes: 2.5 }, 'idleTimeoutMinutes: The idle timeout must be a whole number.'],
      [{ idleTimeoutMinutes: 7 * 24 * 60 + 1 }, 'idleTimeoutMinutes: The idle timeout must be at most 10080.'],
    ]
    for (const [fields, expected] of cases) expect(onlyProblem(fields)).toBe(expected)
  })

  it('accepts each bound itself', () => {
    expect(problems({ port: 1024, contextLength: 256, temperature: 2, topP: 1, maxTokens: 1, idleTimeoutMinutes: 1 })).toEqual([])
    expect(problems({ port: 65535, contextLength: 2_097_152, temperature: 0, topP: 0.01, maxTokens: 1_048_576, idleTimeoutMinutes: 10080 })).toEqual([])
  })
})

describe('profile choices', () => {
  it('an unknown engine or model type lists the choices', () => {
    expect(onlyProblem({ engine: 'vllm' as ProfileFields['engine'] })).toBe('engine: Choose an engine: mlx-openai-server, mlx_lm.server, custom.')
    expect(onlyProblem({ modelType: 'audio' as ProfileFields['modelType'] })).toBe(
      'modelType: Choose a model type: lm, multimodal, embeddings, whisper, image-generation, image-edit.',
    )
  })

  it('mlx-openai-server serves every model type; mlx_lm.server serves lm only', () => {
    for (const modelType of ['multimodal', 'embeddings', 'whisper', 'image-generation', 'image-edit'] as const) {
      expect(problems({ modelType })).toEqual([])
      expect(onlyProblem({ engine: 'mlx_lm.server', modelType })).toContain('modelType: mlx_lm.server serves text models only')
    }
    expect(problems({ engine: 'mlx_lm.server', modelType: 'lm' })).toEqual([])
  })

  it('the model types that chat are lm and multimodal', () => {
    expect(modelTypeChats('lm')).toBe(true)
    expect(modelTypeChats('multimodal')).toBe(true)
    for (const modelType of ['embeddings', 'whisper', 'image-generation', 'image-edit'] as const) expect(modelTypeChats(modelType)).toBe(false)
  })
})

describe('custom commands', () => {
  it('a custom engine with a blank command is asked for one', () => {
    expect(onlyProblem({ engine: 'custom', customCommand: '   ' })).toBe(
      'customCommand: A custom engine needs a command, such as: my-server --model {model} --port {port} --host {host}',
    )
    expect(problems({ engine: 'custom', customCommand: 'srv --port {port}' })).toEqual([])
  })

  it('a command kept on another engine is still checked', () => {
    expect(onlyProblem({ customCommand: 'srv' })).toBe('customCommand: Put {port} where the server takes its port, so the manager knows where to reach it.')
    expect(problems({ customCommand: 'srv --port {port}' })).toEqual([])
  })

  it('a command of 2000 characters passes; one more is refused', () => {
    const base = 'srv --port {port} '
    expect(customCommandProblem(base + 'x'.repeat(2000 - base.length))).toBeNull()
    expect(customCommandProblem(base + 'x'.repeat(2001 - base.length))).toBe('A command is at most 2000 characters.')
  })

  it('a command that does not split reports why', () => {
    expect(customCommandProblem("srv --port {port} 'x")).toBe('The command has an unclosed single quote.')
    expect(customCommandProblem('srv --port {port} "x')).toBe('The command has an unclosed double quote.')
    expect(customCommandProblem('srv --port {port} \\')).toBe('The command ends with a lone backslash.')
    expect(customCommandProblem('srv --port {port} {}')).toBe('{} is not a placeholder; use {model}, {port} and {host}.')
  })

  it('splitting keeps a backslash in double quotes unless it escapes " \\ $ or `', () => {
    expect(splitCommand('"a\\b" "c\\$d" "e\\\\f" "g\\`h"')).toEqual({ ok: true, words: ['a\\b', 'c$d', 'e\\f', 'g`h'] })
    expect(splitCommand('"a\\')).toEqual({ ok: false, error: 'The command has an unclosed double quote.' })
  })

  it('an escaped character outside quotes is a word of its own', () => {
    expect(splitCommand('\\$HOME')).toEqual({ ok: true, words: ['$HOME'] })
    expect(splitCommand('srv \\-v')).toEqual({ ok: true, words: ['srv', '-v'] })
    expect(splitCommand('echo \\$')).toEqual({ ok: true, words: ['echo', '$'] })
    expect(splitCommand('a\\  b')).toEqual({ ok: true, words: ['a ', 'b'] })
  })

  it('an empty command asks for one', () => {
    expect(splitCommand('')).toEqual({ ok: false, error: 'Write the command that starts the server.' })
  })

  it('fills every placeholder in every word and leaves other braces alone', () => {
    expect(fillCommand(['srv', '--model={model}', '{host}:{port}', '{other}'], { model: 'org/m', port: '8001', host: '127.0.0.1' })).toEqual([
      'srv',
      '--model=org/m',
      '127.0.0.1:8001',
      '{other}',
    ])
  })
})

describe('distributed profiles', () => {
  it('two or more ranks of mlx_lm.server pass, up to 16', () => {
    expect(problems(distributed)).toEqual([])
    expect(problems({ ...distributed, distributedHosts: [1, 1] })).toEqual([])
    expect(problems({ ...distributed, distributedHosts: Array.from({ length: 16 }, (_, index) => index + 1) })).toEqual([])
  })

  it('each rule names what to do', () => {
    const cases: [Partial<ProfileFields>, string][] = [
      [{ ...distributed, distributedHosts: [1, 0] }, 'Hosts are listed by their ids from the Hosts page.'],
      [{ ...distributed, distributedHosts: [1, 1.5] }, 'Hosts are listed by their ids from the Hosts page.'],
      [{ distributedHosts: [1, 2] }, 'Only mlx_lm.server runs across several machines (with mlx.launch). Choose that engine, or remove the hosts.'],
      [{ ...distributed, distributedHosts: [1] }, 'A distributed profile runs at least 2 ranks: add another host (the same host twice runs 2 ranks on it).'],
      [{ ...distributed, distributedHosts: Array.from({ length: 17 }, () => 1) }, 'At most 16 ranks.'],
      [
        { ...distributed, extraArgs: ['--draft-model=org/small'] },
        '--draft-model cannot be used across several machines: mlx_lm.server loads no adapters or draft models in distributed mode. Remove it from the extra arguments.',
      ],
      [{ ...distributed, extraArgs: ['--adapter-path', '/a'] }, '--adapter-path cannot be used across several machines'],
      [{ ...distributed, extraArgs: ['--num-draft-tokens', '3'] }, '--num-draft-tokens cannot be used across several machines'],
      [{ ...distributed, extraArgs: ['--pipeline'] }, 'Choose the pipeline mode instead of writing --pipeline in the extra arguments.'],
      [{ distributedBackend: 'tcp' as ProfileFields['distributedBackend'] }, 'Choose a backend: ring or jaccl.'],
      [{ distributedMode: 'data' as ProfileFields['distributedMode'] }, 'Choose a mode: tensor or pipeline.'],
    ]
    for (const [fields, message] of cases) expect(onlyProblem(fields)).toContain(`distributedHosts: ${message}`)
  })

  it('flags that only matter across machines are allowed on one machine', () => {
    expect(problems({ engine: 'mlx_lm.server', extraArgs: ['--draft-model', 'org/small', '--pipeline'] })).toEqual([])
  })
})

describe('aliases', () => {
  it('up to 16 distinct aliases of up to 64 characters pass', () => {
    expect(problems({ aliases: Array.from({ length: 16 }, (_, index) => `alias-${index}`) })).toEqual([])
    expect(problems({ aliases: ['a'.repeat(64), 'gpt-4o-mini'] })).toEqual([])
  })

  it('each rule names the alias and what is wrong', () => {
    const cases: [string[], string][] = [
      [Array.from({ length: 17 }, (_, index) => `alias-${index}`), 'At most 16 aliases.'],
      [[''], 'An alias is a name without spaces at either end, such as gpt-4o-mini.'],
      [['  '], 'An alias is a name without spaces at either end, such as gpt-4o-mini.'],
      [[' gpt-4o'], 'An alias is a name without spaces at either end, such as gpt-4o-mini.'],
      [['gpt-4o '], 'An alias is a name without spaces at either end, such as gpt-4o-mini.'],
      [['a'.repeat(65)], 'An alias is at most 64 characters.'],
      [['gpt\u0007'], 'An alias cannot contain control characters.'],
      [['Qwen'], `"Qwen" is the profile's name already; an alias is another name.`],
      [['gpt-4o', 'other', 'gpt-4o'], '"gpt-4o" is listed twice.'],
    ]
    for (const [aliases, message] of cases) expect(onlyProblem({ aliases })).toBe(`aliases: ${message}`)
  })

  it('an alias is compared with the trimmed name', () => {
    expect(onlyProblem({ name: '  Qwen  ', aliases: ['Qwen'] })).toBe(`aliases: "Qwen" is the profile's name already; an alias is another name.`)
  })
})

describe('suggestModelDefaults for more families', () => {
  it('guesses the engine settings of each family it knows', () => {
    const cases: [string, ReturnType<typeof suggestModelDefaults>][] = [
      ['black-forest-labs/FLUX.1-schnell', { modelType: 'image-generation', toolCallParser: null, reasoningParser: null }],
      ['black-forest-labs/FLUX.1-Kontext-dev', { modelType: 'image-edit', toolCallParser: null, reasoningParser: null }],
      ['mlx-community/nomic-embed-text-v1.5', { modelType: 'embeddings', toolCallParser: null, reasoningParser: null }],
      ['mlx-community/Qwen3.5-9B-4bit', { modelType: 'lm', toolCallParser: 'qwen3', reasoningParser: 'qwen3_5' }],
      ['mlx-community/Qwen3-235B-A22B-4bit', { modelType: 'lm', toolCallParser: 'qwen3_moe', reasoningParser: 'qwen3_moe' }],
      ['mlx-community/GLM-4.7-Flash-4bit', { modelType: 'lm', toolCallParser: 'glm4_moe', reasoningParser: 'glm47_flash' }],
      ['mlx-community/MiniMax-M2-4bit', { modelType: 'lm', toolCallParser: 'minimax_m2', reasoningParser: 'minimax_m2' }],
      ['mlx-community/Kimi-K2-Instruct-4bit', { modelType: 'lm', toolCallParser: 'kimi_k2', reasoningParser: 'kimi_k2' }],
      ['mlx-community/gemma-4-12b-it-4bit', { modelType: 'lm', toolCallParser: 'gemma4', reasoningParser: 'gemma4' }],
      ['mlx-community/gemma-3-12b-it-4bit', { modelType: 'multimodal', toolCallParser: null, reasoningParser: null }],
      ['mlx-community/NVIDIA-Nemotron-3-Nano-30B-A3B-4bit', { modelType: 'lm', toolCallParser: 'nemotron3_nano', reasoningParser: 'nemotron3_nano' }],
      ['mlx-community/functiongemma-270m-it-4bit', { modelType: 'lm', toolCallParser: 'functiongemma', reasoningParser: null }],
      ['mlx-community/Hermes-3-Llama-3.1-8B-4bit', { modelType: 'lm', toolCallParser: 'hermes', reasoningParser: 'hermes' }],
    ]
    for (const [model, expected] of cases) expect(suggestModelDefaults(model), model).toEqual(expected)
  })

  it('reads the repo name, not the organisation that publishes it', () => {
    expect(suggestModelDefaults('hermes-whisper-labs/Llama-3.2-3B-Instruct')).toEqual({ modelType: 'lm', toolCallParser: null, reasoningParser: null })
    expect(suggestModelDefaults('Qwen3-4B')).toEqual({ modelType: 'lm', toolCallParser: 'qwen3', reasoningParser: 'qwen3' })
  })
})
