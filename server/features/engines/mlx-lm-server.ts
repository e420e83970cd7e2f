import { longFlags, optional, when, type EngineAdapter } from './adapter'

/** ml-explore/mlx-lm's `mlx_lm.server --model … --host … --port …` (an argparse program). */
export const mlxLmServer: EngineAdapter = {
  name: 'mlx_lm.server',
  title: 'mlx_lm.server',
  executableName: 'mlx_lm.server',
  distribution: 'mlx-lm',
  installCommand: 'pip install mlx-lm',
  installHint: 'mlx_lm.server is not installed. Install it with `pip install mlx-lm` (it comes with the mlx-lm package), or put its folder in MLX_MANAGER_ENGINE_PATH.',
  modelTypes: ['lm'],
  // It reads tool-call and thinking markers from the model's tokenizer; there is nothing to choose.
  defaultToolCallParsers: [],
  defaultReasoningParsers: [],
  fields: ['model', 'host', 'port', 'temperature', 'topP', 'maxTokens', 'chatTemplateFile', 'trustRemoteCode', 'extraArgs'],
  reasoningField: 'reasoning',
  chatTemplate: 'text',
  readiness: 'one-token',
  helpArgs: ['--help'],
  parseHelp(text) {
    return { flags: longFlags(text), toolCallParsers: null, reasoningParsers: null, modelTypes: null }
  },
  command(profile, { executable, chatTemplateText }) {
    return [
      executable,
      '--model',
      profile.model,
      '--host',
      profile.host,
      '--port',
      String(profile.port),
      ...optional('--temp', profile.temperature),
      ...optional('--top-p', profile.topP),
      ...optional('--max-tokens', profile.maxTokens),
      ...when('--trust-remote-code', profile.trustRemoteCode),
      // --chat-template takes the template itself, not a path.
      ...optional('--chat-template', chatTemplateText),
      ...profile.extraArgs,
    ]
  },
  flagsUsed(profile) {
    return this.command(profile, { executable: '', chatTemplateText: profile.chatTemplateFile }).filter(
      (arg) => arg.startsWith('--') && !profile.extraArgs.includes(arg),
    )
  },
}
