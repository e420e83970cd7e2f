import { describe, expect, it } from 'vitest'
import { mlxLmModule, splitProblems, splitShape, supportsMode, type SplitShape } from '../../shared/distributed'

/**
 * What config.json tells about splitting a model across ranks (shared/distributed.ts): the shape
 * read from plain, nested and quantized configs, and each reason a split cannot work.
 */

const shape = (fields: Partial<SplitShape>): SplitShape => ({
  modelType: 'qwen3',
  layers: 36,
  attentionHeads: 32,
  kvHeads: 8,
  headDim: 128,
  intermediateSize: 12288,
  groupSize: null,
  hasWeightIndex: true,
  ...fields,
})

describe('splitShape', () => {
  it('reads a plain config, deriving the head width from the hidden size', () => {
    const config = { model_type: 'llama', num_hidden_layers: 28, num_attention_heads: 24, num_key_value_heads: 8, hidden_size: 3072, intermediate_size: 8192 }
    expect(splitShape(config, true)).toEqual({
      modelType: 'llama',
      layers: 28,
      attentionHeads: 24,
      kvHeads: 8,
      headDim: 128,
      intermediateSize: 8192,
      groupSize: null,
      hasWeightIndex: true,
    })
  })

  it('takes the head width config.json states, and as many key/value heads as heads when it names none', () => {
    const read = splitShape({ model_type: 'qwen3', num_attention_heads: 16, head_dim: 256, hidden_size: 2048 }, false)
    expect(read).toMatchObject({ attentionHeads: 16, kvHeads: 16, headDim: 256, hasWeightIndex: false })
  })

  it('rounds a head width that does not divide evenly down', () => {
    expect(splitShape({ num_attention_heads: 3, hidden_size: 100 }, false).headDim).toBe(33)
  })

  it('reads the language model inside a multimodal config, keeping the top-level model type', () => {
    for (const key of ['text_config', 'llm_config', 'language_config']) {
      const read = splitShape({ model_type: 'mistral3', num_hidden_layers: 1, [key]: { num_hidden_layers: 40, num_attention_heads: 32, intermediate_size: 14336 } }, true)
      expect(read, key).toMatchObject({ modelType: 'mistral3', layers: 40, attentionHeads: 32, intermediateSize: 14336 })
    }
  })

  it('finds the group size under either quantization key', () => {
    expect(splitShape({ quantization: { group_size: 64, bits: 4 } }, false).groupSize).toBe(64)
    expect(splitShape({ quantization_config: { group_size: 32 } }, false).groupSize).toBe(32)
    expect(splitShape({ quantization: { bits: 4 } }, false).groupSize).toBeNull()
  })

  it('leaves out what is missing or not a positive whole number', () => {
    const read = splitShape({ model_type: 7, num_hidden_layers: 0, num_attention_heads: 2.5, hidden_size: -1, intermediate_size: '4096' }, false)
    expect(read).toEqual({
      modelType: null,
      layers: null,
      attentionHeads: null,
      kvHeads: null,
      headDim: null,
      intermediateSize: null,
      groupSize: null,
      hasWeightIndex: false,
    })
    for (const config of [null, 'config', 42]) expect(splitShape(config, true)).toMatchObject({ modelType: null, layers: null, hasWeightIndex: true })
  })

  it('needs both the head count and the hidden size to derive a head width', () => {
    expect(splitShape({ num_attention_heads: 8 }, false).headDim).toBeNull()
    expect(splitShape({ hidden_size: 4096 }, false).headDim).toBeNull()
  })
})

describe('supportsMode', () => {
  it('loads renamed model types as the module mlx-lm uses for them', () => {
    expect(mlxLmModule('kimi_k2')).toBe('deepseek_v3')
    expect(mlxLmModule('minimax_m2')).toBe('minimax')
    expect(mlxLmModule('qwen3')).toBe('qwen3')
    expect(supportsMode('kimi_k2', 'pipeline')).toBe(true)
    expect(supportsMode('minimax_m2', 'tensor')).toBe(true)
    expect(supportsMode('minimax_m2', 'pipeline')).toBe(false)
  })

  it('knows tensor-only, pipeline-only and unsplittable types', () => {
    expect([supportsMode('gpt_oss', 'tensor'), supportsMode('gpt_oss', 'pipeline')]).toEqual([true, false])
    expect([supportsMode('qwen3_next', 'tensor'), supportsMode('qwen3_next', 'pipeline')]).toEqual([false, true])
    expect([supportsMode('gemma3', 'tensor'), supportsMode('gemma3', 'pipeline')]).toEqual([false, false])
  })
})

describe('splitProblems', () => {
  it('points a tensor-only model in pipeline mode to tensor, and says when neither mode works', () => {
    expect(splitProblems(shape({ modelType: 'gpt_oss' }), 2, 'pipeline')).toEqual([
      'mlx-lm 0.32 has no pipeline support for gpt_oss models. Choose the tensor mode instead.',
    ])
    expect(splitProblems(shape({ modelType: 'qwen3_next' }), 2, 'tensor')).toEqual([
      'mlx-lm 0.32 has no tensor parallel support for qwen3_next models. Choose the pipeline mode instead.',
    ])
    expect(splitProblems(shape({ modelType: null }), 2, 'tensor')).toEqual([
      'mlx-lm 0.32 has no tensor parallel support for unknown models. mlx-lm cannot split it across machines at all.',
    ])
  })

  it('pipeline mode needs a layer per rank and the weight index, and reports both', () => {
    const model = shape({ modelType: 'qwen3_moe', layers: 2, hasWeightIndex: false })
    expect(splitProblems(model, 2, 'pipeline')).toEqual([
      "Pipeline mode picks each rank's weights from model.safetensors.index.json, which this model folder lacks. Convert it with mlx_lm.convert, or use tensor mode.",
    ])
    expect(splitProblems(model, 3, 'pipeline')).toEqual([
      'The model has 2 layers, fewer than the 3 ranks: each rank needs at least one. Use fewer ranks.',
      "Pipeline mode picks each rank's weights from model.safetensors.index.json, which this model folder lacks. Convert it with mlx_lm.convert, or use tensor mode.",
    ])
    expect(splitProblems(shape({ modelType: 'qwen3_moe', layers: null }), 64, 'pipeline')).toEqual([])
  })

  it('pipeline mode ignores what only tensor parallel needs', () => {
    expect(splitProblems(shape({ modelType: 'qwen3_moe', attentionHeads: 7, kvHeads: 7, intermediateSize: 7, groupSize: 64 }), 2, 'pipeline')).toEqual([])
  })

  it('tensor parallel names every count the ranks do not divide, with the rank counts that would', () => {
    expect(splitProblems(shape({ attentionHeads: 40, kvHeads: 10, intermediateSize: 9 }), 4, 'tensor')).toEqual([
      'Tensor parallel splits the 10 key/value heads evenly, so the number of ranks must divide 10; 4 does not. Use 2, 5 ranks, or pipeline mode.',
      'Tensor parallel splits the 9 MLP channels evenly, so the number of ranks must divide 9; 4 does not. Use 3 ranks, or pipeline mode.',
    ])
    expect(splitProblems(shape({ attentionHeads: 24, kvHeads: 24 }), 16, 'tensor')[0]).toContain('Use 2, 3, 4, 6, 8 ranks')
    expect(splitProblems(shape({ attentionHeads: 11, kvHeads: null, intermediateSize: null }), 2, 'tensor')).toEqual([
      'Tensor parallel splits the 11 attention heads evenly, so the number of ranks must divide 11; 2 does not. Use 1 ranks, or pipeline mode.',
    ])
  })

  it('tensor parallel skips counts config.json does not give', () => {
    expect(splitProblems(shape({ attentionHeads: null, kvHeads: null, intermediateSize: null, headDim: null, groupSize: 64 }), 3, 'tensor')).toEqual([])
  })

  it('quantized weights split only into slices that are whole groups', () => {
    // 32 heads × 128 wide = 4096; split 4 ways each slice is 1024, a multiple of 64.
    expect(splitProblems(shape({ groupSize: 64 }), 4, 'tensor')).toEqual([])
    // 8 heads × 24 wide = 192; split 2 ways 96, not a multiple of 64. The MLP slice would be 6144.
    expect(splitProblems(shape({ attentionHeads: 8, kvHeads: 8, headDim: 24, groupSize: 64 }), 2, 'tensor')).toEqual([
      "Split 2 ways, each rank's attention output slice is 96 wide, not a multiple of the quantization group size 64, so the quantized weights cannot be split. Use fewer ranks, or pipeline mode.",
    ])
    expect(splitProblems(shape({ intermediateSize: 160, groupSize: 64 }), 2, 'tensor')).toEqual([
      "Split 2 ways, each rank's MLP slice is 80 wide, not a multiple of the quantization group size 64, so the quantized weights cannot be split. Use fewer ranks, or pipeline mode.",
    ])
  })

  it('reports one slice that does not split, not both', () => {
    expect(splitProblems(shape({ attentionHeads: 8, kvHeads: 8, headDim: 24, intermediateSize: 160, groupSize: 64 }), 2, 'tensor')).toHaveLength(1)
  })

  it('checks the slices only when the counts divide, and only for quantized weights', () => {
    expect(splitProblems(shape({ attentionHeads: 8, kvHeads: 8, headDim: 24, groupSize: null }), 2, 'tensor')).toEqual([])
    expect(splitProblems(shape({ attentionHeads: 8, kvHeads: 8, headDim: null, intermediateSize: null, groupSize: 64 }), 2, 'tensor')).toEqual([])
    const undivided = splitProblems(shape({ attentionHeads: 6, kvHeads: 6, headDim: 24, groupSize: 64 }), 4, 'tensor')
    expect(undivided).toHaveLength(2)
    expect(undivided.filter((problem) => problem.includes('slice'))).toEqual([])
  })
})
