import { describe, expect, test } from 'bun:test'
import {
  PROFILE_DEFAULTS,
  customCommandProblem,
  hostProblem,
  modelProblem,
  profileProblems,
  splitCommand,
  suggestModelDefaults,
  type ProfileFields,
} from '../../shared/profiles'

const valid: ProfileFields = { ...PROFILE_DEFAULTS, extraArgs: [], name: 'Qwen', model: 'mlx-community/Qwen3-4B-4bit', port: 8001 }

function problems(fields: Partial<ProfileFields>) {
  return profileProblems({ ...valid, ...fields })
}

describe('profileProblems', () => {
  test('a complete, sensible profile has none', () => {
    expect(problems({})).toEqual([])
    expect(
      problems({
        description: 'Fast daily driver',
        model: '/Users/me/models/qwen',
        host: '0.0.0.0',
        contextLength: 32768,
        toolCallParser: 'qwen3',
        reasoningParser: 'qwen3',
        chatTemplateFile: '/Users/me/t.jinja',
        temperature: 0,
        topP: 1,
        maxTokens: 4096,
        systemPrompt: 'Be brief.',
        extraArgs: ['--max-concurrency', '2'],
        idleTimeoutMinutes: 30,
      }),
    ).toEqual([])
  })

  test('each field names its own problem', () => {
    const cases: [Partial<ProfileFields>, keyof ProfileFields, string][] = [
      [{ name: '   ' }, 'name', 'Give the profile a name.'],
      [{ name: 'x'.repeat(65) }, 'name', 'at most 64'],
      [{ name: 'tab\there' }, 'name', 'control characters'],
      [{ description: 'd'.repeat(501) }, 'description', 'at most 500'],
      [{ model: '' }, 'model', 'Choose a model'],
      [{ model: 'not a repo' }, 'model', 'neither a repo id'],
      [{ model: '../etc/passwd' }, 'model', 'neither a repo id'],
      [{ model: '/models/../etc' }, 'model', 'cannot contain ".."'],
      [{ host: 'not a host!' }, 'host', 'is not an IP address or host name'],
      [{ host: '' }, 'host', 'Enter the address'],
      [{ port: 80 }, 'port', 'at least 1024'],
      [{ port: 70000 }, 'port', 'at most 65535'],
      [{ port: 8000.5 }, 'port', 'whole number'],
      [{ contextLength: 10 }, 'contextLength', 'at least 256'],
      [{ engine: 'mlx_lm.server', modelType: 'embeddings' }, 'modelType', 'text models only'],
      [{ toolCallParser: 'Qwen 3' }, 'toolCallParser', 'a name such as qwen3'],
      [{ reasoningParser: 'x'.repeat(65) }, 'reasoningParser', 'a name such as qwen3'],
      [{ chatTemplateFile: 'templates/chat.jinja' }, 'chatTemplateFile', 'must be absolute'],
      [{ temperature: -0.1 }, 'temperature', 'at least 0'],
      [{ temperature: 2.5 }, 'temperature', 'at most 2'],
      [{ temperature: Number.NaN }, 'temperature', 'must be a number'],
      [{ topP: 0 }, 'topP', 'more than 0'],
      [{ topP: 1.5 }, 'topP', 'at most 1'],
      [{ maxTokens: 0 }, 'maxTokens', 'at least 1'],
      [{ systemPrompt: 's'.repeat(20_001) }, 'systemPrompt', 'at most 20000'],
      [{ extraArgs: [''] }, 'extraArgs', 'cannot be empty'],
      [{ extraArgs: ['--port', '9000'] }, 'extraArgs', "--port comes from the profile's own fields"],
      [{ extraArgs: ['--model-path=/x'] }, 'extraArgs', '--model-path comes from'],
      [{ engine: 'mlx_lm.server', extraArgs: ['--model', 'x'] }, 'extraArgs', '--model comes from'],
      [{ extraArgs: ['a\nb'] }, 'extraArgs', 'line breaks'],
      [{ extraArgs: Array.from({ length: 65 }, () => '-v') }, 'extraArgs', 'At most 64'],
      [{ engine: 'custom' }, 'customCommand', 'needs a command'],
      [{ engine: 'custom', customCommand: 'server --port 9000' }, 'customCommand', 'Put {port}'],
      [{ idleTimeoutMinutes: 0 }, 'idleTimeoutMinutes', 'at least 1'],
    ]
    for (const [fields, field, message] of cases) {
      const found = problems(fields)
      expect(found.map((p) => p.field)).toEqual([field])
      expect(found[0]?.message).toContain(message)
    }
  })

  test('several problems are all reported', () => {
    expect(problems({ name: '', port: 1, topP: 2 }).map((p) => p.field)).toEqual(['name', 'port', 'topP'])
  })

  test('a custom engine may repeat managed flags: it has no managed flags', () => {
    expect(problems({ engine: 'custom', customCommand: 'srv --port {port}', extraArgs: ['--port', '1'] })).toEqual([])
  })
})

describe('small validators', () => {
  test('models: repo ids and absolute paths only', () => {
    expect(modelProblem('mlx-community/Qwen3-4B-4bit')).toBeNull()
    expect(modelProblem('/Volumes/Models/qwen')).toBeNull()
    expect(modelProblem('qwen')).not.toBeNull()
    expect(modelProblem('org/../name')).not.toBeNull()
    expect(modelProblem('/models/\u0000x')).toContain('control characters')
  })

  test('hosts: IPv4, IPv6 and names', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', 'localhost', 'studio.local', '::1', '::', 'fe80::1']) expect(hostProblem(host)).toBeNull()
    for (const host of ['256.1.1.1', 'a b', 'http://x', 'host:8080:x/']) expect(hostProblem(host)).not.toBeNull()
  })

  test('command splitting follows shell quoting without running a shell', () => {
    expect(splitCommand(`a 'b c' "d \\"e\\"" f\\ g  h`)).toEqual({ ok: true, words: ['a', 'b c', 'd "e"', 'f g', 'h'] })
    expect(splitCommand(`a ''`)).toEqual({ ok: true, words: ['a', ''] })
    expect(splitCommand(`a 'b`)).toEqual({ ok: false, error: 'The command has an unclosed single quote.' })
    expect(splitCommand('   ')).toMatchObject({ ok: false })
    expect(splitCommand('a \\')).toMatchObject({ ok: false })
  })

  test('custom templates know their placeholders', () => {
    expect(customCommandProblem('srv --model {model} --host {host} --port {port}')).toBeNull()
    expect(customCommandProblem('srv --port {port} --key {token}')).toContain('{token} is not a placeholder')
    expect(customCommandProblem('srv --port {port}\nrm -rf /')).toContain('one line')
  })
})

describe('suggestModelDefaults', () => {
  test('engine settings guessed from well-known model names', () => {
    const cases: [string, ReturnType<typeof suggestModelDefaults>][] = [
      ['mlx-community/Qwen3-4B-4bit', { modelType: 'lm', toolCallParser: 'qwen3', reasoningParser: 'qwen3' }],
      ['mlx-community/Qwen3-30B-A3B-4bit', { modelType: 'lm', toolCallParser: 'qwen3_moe', reasoningParser: 'qwen3_moe' }],
      ['mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit', { modelType: 'lm', toolCallParser: 'qwen3_coder', reasoningParser: null }],
      ['mlx-community/Qwen3-VL-8B-Instruct-4bit', { modelType: 'multimodal', toolCallParser: 'qwen3_vl', reasoningParser: 'qwen3_vl' }],
      ['mlx-community/gpt-oss-20b-MXFP4-Q8', { modelType: 'lm', toolCallParser: 'harmony', reasoningParser: 'harmony' }],
      ['mlx-community/GLM-4.5-Air-4bit', { modelType: 'lm', toolCallParser: 'glm4_moe', reasoningParser: 'glm4_moe' }],
      ['mlx-community/whisper-large-v3-mlx', { modelType: 'whisper', toolCallParser: null, reasoningParser: null }],
      ['mlx-community/bge-small-en-v1.5', { modelType: 'embeddings', toolCallParser: null, reasoningParser: null }],
      ['mlx-community/Llama-3.2-3B-Instruct-4bit', { modelType: 'lm', toolCallParser: null, reasoningParser: null }],
    ]
    for (const [model, expected] of cases) expect(suggestModelDefaults(model)).toEqual(expected)
  })
})
