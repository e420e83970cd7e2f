import type { Capability, EngineRecommendation } from '../../../shared/catalog'

/**
 * Which server to run a model with, and its options. mlx-openai-server can split reasoning and
 * tool calls out of the text when it has a parser for the model's format, and serves vision
 * models through mlx-vlm; mlx_lm.server is the plain choice for everything else.
 *
 * Parser names are mlx-openai-server's (`app/parsers/__init__.py`: REASONING_PARSER_MAP,
 * TOOL_PARSER_MAP, and the unified `harmony`).
 */
const FAMILY_PARSERS: Record<string, { tool: string | null; reasoning: string | null }> = {
  qwen3: { tool: 'qwen3', reasoning: 'qwen3' },
  qwen3_moe: { tool: 'qwen3_moe', reasoning: 'qwen3_moe' },
  qwen3_vl: { tool: 'qwen3_vl', reasoning: 'qwen3_vl' },
  qwen3_vl_moe: { tool: 'qwen3_vl', reasoning: 'qwen3_vl' },
  glm4_moe: { tool: 'glm4_moe', reasoning: 'glm4_moe' },
  gpt_oss: { tool: 'harmony', reasoning: 'harmony' },
  minimax_m2: { tool: 'minimax_m2', reasoning: 'minimax_m2' },
}

export interface EngineInput {
  id: string
  modelType: string | null
  capabilities: Capability[]
  chatTemplate: string | null
  contextTokens: number
}

/** Parsers known for the model type, else Hermes-style ones when the template uses `<tool_call>` / `<think>` tags. */
function parsersFor(input: EngineInput): { tool: string | null; reasoning: string | null } {
  const known = input.modelType === null ? undefined : FAMILY_PARSERS[input.modelType]
  const template = input.chatTemplate ?? ''
  const tool = known?.tool ?? (template.includes('<tool_call>') ? 'hermes' : null)
  const reasoning = known?.reasoning ?? (template.includes('<think>') ? 'hermes' : null)
  return {
    tool: input.capabilities.includes('tools') ? tool : null,
    reasoning: input.capabilities.includes('reasoning') ? reasoning : null,
  }
}

export function recommendEngine(input: EngineInput): EngineRecommendation {
  const vision = input.capabilities.includes('vision')
  const parsers = parsersFor(input)
  if (!vision && parsers.tool === null && parsers.reasoning === null) {
    return {
      engine: 'mlx_lm.server',
      modelType: null,
      toolCallParser: null,
      reasoningParser: null,
      args: ['--model', input.id],
      reason: input.capabilities.includes('tools')
        ? 'mlx_lm.server: mlx-openai-server has no parser for this model\'s tool-call format, and it needs nothing else.'
        : 'mlx_lm.server: a text model with no reasoning or tool-call output to parse.',
    }
  }
  const modelType = vision ? 'multimodal' : 'lm'
  const args = ['launch', '--model-path', input.id, '--model-type', modelType, '--context-length', String(input.contextTokens)]
  if (parsers.tool !== null) args.push('--tool-call-parser', parsers.tool)
  if (parsers.reasoning !== null) args.push('--reasoning-parser', parsers.reasoning)
  const what = [
    vision ? 'it reads images (served through mlx-vlm as a multimodal model)' : null,
    parsers.tool === null ? null : `its tool calls are parsed with the ${parsers.tool} parser`,
    parsers.reasoning === null ? null : `its reasoning is split out with the ${parsers.reasoning} parser`,
  ].filter((part): part is string => part !== null)
  return {
    engine: 'mlx-openai-server',
    modelType,
    toolCallParser: parsers.tool,
    reasoningParser: parsers.reasoning,
    args,
    reason: `mlx-openai-server, because ${what.join(' and ')}.`,
  }
}
