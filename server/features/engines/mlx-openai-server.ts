import { KNOWN_REASONING_PARSERS, KNOWN_TOOL_CALL_PARSERS, MODEL_TYPES, type ModelType } from '../../../shared/profiles'
import { clickChoices, longFlags, optional, when, type EngineAdapter } from './adapter'

/** cubist38/mlx-openai-server: `mlx-openai-server launch --model-path … --model-type …` (a Click program). */
export const mlxOpenaiServer: EngineAdapter = {
  name: 'mlx-openai-server',
  title: 'mlx-openai-server',
  executableName: 'mlx-openai-server',
  distribution: 'mlx-openai-server',
  installCommand: 'pip install mlx-openai-server',
  installHint: 'mlx-openai-server is not installed. Install it with `pip install mlx-openai-server` (Python 3.11+ on Apple silicon), or put its folder in MLX_MANAGER_ENGINE_PATH.',
  modelTypes: MODEL_TYPES,
  defaultToolCallParsers: KNOWN_TOOL_CALL_PARSERS,
  defaultReasoningParsers: KNOWN_REASONING_PARSERS,
  fields: ['model', 'host', 'port', 'modelType', 'contextLength', 'toolCallParser', 'reasoningParser', 'autoToolChoice', 'chatTemplateFile', 'trustRemoteCode', 'extraArgs'],
  reasoningField: 'reasoning_content',
  chatTemplate: 'path',
  readiness: 'health-then-models',
  helpArgs: ['launch', '--help'],
  parseHelp(text) {
    const types = clickChoices(text, '--model-type')
    return {
      flags: longFlags(text),
      toolCallParsers: clickChoices(text, '--tool-call-parser'),
      reasoningParsers: clickChoices(text, '--reasoning-parser'),
      modelTypes: types === null ? null : types.filter((type): type is ModelType => (MODEL_TYPES as readonly string[]).includes(type)),
    }
  },
  command(profile, { executable }) {
    return [
      executable,
      'launch',
      '--model-path',
      profile.model,
      '--model-type',
      profile.modelType,
      '--host',
      profile.host,
      '--port',
      String(profile.port),
      ...optional('--context-length', profile.contextLength),
      ...optional('--tool-call-parser', profile.toolCallParser),
      ...optional('--reasoning-parser', profile.reasoningParser),
      ...when('--enable-auto-tool-choice', profile.autoToolChoice),
      ...optional('--chat-template-file', profile.chatTemplateFile),
      ...when('--trust-remote-code', profile.trustRemoteCode),
      // The manager keeps the log; without this the engine also writes logs/app.log in its working directory.
      '--no-log-file',
      ...profile.extraArgs,
    ]
  },
  flagsUsed(profile) {
    return this.command(profile, { executable: '', chatTemplateText: null }).filter((arg) => arg.startsWith('--') && !profile.extraArgs.includes(arg))
  },
}
