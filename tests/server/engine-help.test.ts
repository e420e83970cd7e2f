/**
 * The engines' real `--help`, recorded in tests/fixtures/engine/help/, against what the adapters put
 * on a command line and what the stand-in accepts: a flag renamed or dropped upstream fails here.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { KNOWN_REASONING_PARSERS, KNOWN_TOOL_CALL_PARSERS, PROFILE_DEFAULTS, suggestModelDefaults, type Profile } from '../../shared/profiles'
import { clickChoices } from '../../server/features/engines/adapter'
import { mlxLmServer } from '../../server/features/engines/mlx-lm-server'
import { mlxOpenaiServer } from '../../server/features/engines/mlx-openai-server'
import { MLX_LM_SERVER, OPENAI_SERVER_LAUNCH, type OptionSpec } from '../fixtures/engine/cli'
import { ENGINE_DIR } from '../fixtures/engine/harness'

function recorded(name: string): { source: string; help: string } {
  const [source = '', ...rest] = readFileSync(join(ENGINE_DIR, 'help', name), 'utf8').split('\n')
  return { source, help: rest.join('\n') }
}

/** The options a help text defines: the flag that starts each option row, not flags named in prose. */
function definedFlags(help: string): string[] {
  const flags = [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((match) => match[1] ?? '')
  return flags.filter((flag) => flag !== '--help').sort()
}

/** argparse prints `{A,B}` choice lists. */
function argparseChoices(help: string, flag: string): string[] | null {
  const match = new RegExp(`^ {2}${flag} \\{([^}]+)\\}`, 'm').exec(help)
  return match?.[1]?.split(',') ?? null
}

const choices = (spec: OptionSpec | undefined) => (typeof spec?.kind === 'object' ? [...spec.kind.choices] : null)

/** A profile that sets every field, so the adapter emits every flag it knows. */
const everything: Profile = {
  ...PROFILE_DEFAULTS,
  id: 1,
  name: 'All',
  model: 'mlx-community/Qwen3-4B-4bit',
  port: 8001,
  contextLength: 32768,
  toolCallParser: 'qwen3',
  reasoningParser: 'qwen3',
  autoToolChoice: true,
  chatTemplateFile: '/templates/chat.jinja',
  trustRemoteCode: true,
  temperature: 0.7,
  topP: 0.9,
  maxTokens: 1024,
  extraArgs: [],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
}

describe('mlx_lm.server --help, recorded from mlx-lm 0.32.2', () => {
  const { source, help } = recorded('mlx_lm.server.txt')

  test('says where it came from', () => {
    expect(source).toMatch(/^# .*mlx-lm 0\.32\.2.*run for real/)
    expect(help).toStartWith('usage: mlx_lm.server [-h]')
  })

  test('has every flag the adapter uses', () => {
    const flags = definedFlags(help)
    const used = mlxLmServer.flagsUsed(everything)
    expect(used.length).toBeGreaterThanOrEqual(7)
    expect(used.filter((flag) => !flags.includes(flag))).toEqual([])
    expect(used.filter((flag) => !(mlxLmServer.parseHelp(help).flags ?? []).includes(flag))).toEqual([])
  })

  test('the stand-in takes exactly its options, with the same choices', () => {
    expect(Object.keys(MLX_LM_SERVER).sort()).toEqual(definedFlags(help))
    expect(choices(MLX_LM_SERVER['--log-level'])).toEqual(argparseChoices(help, '--log-level'))
  })
})

describe('mlx-openai-server launch --help, read from the 1.8.1 source', () => {
  const { source, help } = recorded('mlx-openai-server-launch.txt')

  test('says where it came from, and that it was not run', () => {
    expect(source).toMatch(/^# .*1\.8\.1, read from the 1\.8\.1 source, not run/)
    expect(help).toStartWith('Usage: mlx-openai-server launch [OPTIONS]')
  })

  test('has every flag the adapter uses', () => {
    const flags = definedFlags(help)
    const used = mlxOpenaiServer.flagsUsed({ ...everything, modelType: 'multimodal' })
    expect(used.length).toBeGreaterThanOrEqual(10)
    expect(used.filter((flag) => !flags.includes(flag))).toEqual([])
  })

  test('the adapter reads its model types and parser lists', () => {
    const facts = mlxOpenaiServer.parseHelp(help)
    expect(facts.modelTypes).toEqual(['lm', 'multimodal', 'image-generation', 'image-edit', 'embeddings', 'whisper'])
    expect(facts.toolCallParsers).toContain('qwen3')
    expect(facts.reasoningParsers).toContain('qwen3')
  })

  test('the stand-in takes exactly its options, with the same choices', () => {
    expect(Object.keys(OPENAI_SERVER_LAUNCH).sort()).toEqual(definedFlags(help))
    for (const flag of ['--model-type', '--log-level', '--tool-call-parser', '--reasoning-parser']) {
      expect({ flag, choices: choices(OPENAI_SERVER_LAUNCH[flag]) }).toEqual({ flag, choices: clickChoices(help, flag) })
    }
  })
})

describe('the parser names the app offers', () => {
  test('are mlx-openai-server 1.8.1’s own, as its recorded help lists them', () => {
    const help = readFileSync(join(import.meta.dir, '../fixtures/engine/help/mlx-openai-server-launch.txt'), 'utf8')
    const choices = (flag: string) => /\[([^\]]+)\]/.exec(help.slice(help.indexOf(flag)))?.[1]?.split('|') ?? []
    expect(([...KNOWN_TOOL_CALL_PARSERS] as string[]).sort()).toEqual(choices('--tool-call-parser').sort())
    expect(([...KNOWN_REASONING_PARSERS] as string[]).sort()).toEqual(choices('--reasoning-parser').sort())
    for (const model of ['Qwen3.5-9B-4bit', 'GLM-4.7-Flash-4bit', 'Kimi-K2-Instruct-4bit', 'gemma-4-12b-it-4bit', 'Qwen3-Next-80B-A3B-4bit', 'MiniMax-M2-4bit']) {
      const { toolCallParser, reasoningParser } = suggestModelDefaults(`mlx-community/${model}`)
      if (toolCallParser !== null) expect(KNOWN_TOOL_CALL_PARSERS as readonly string[]).toContain(toolCallParser)
      if (reasoningParser !== null) expect(KNOWN_REASONING_PARSERS as readonly string[]).toContain(reasoningParser)
    }
  })
})
