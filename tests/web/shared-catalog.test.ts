import { describe, expect, it } from 'vitest'
import {
  deriveCapabilities,
  deriveFacts,
  familyOf,
  filtersToQuery,
  guessBitsFromName,
  guessCapabilitiesFromName,
  guessFamilyFromName,
  hasFilters,
  matchesFilters,
  parameterCount,
  readQuantization,
  templateSupportsReasoning,
  templateSupportsTools,
  type CatalogModel,
} from '../../shared/catalog'
import type { MemoryFit } from '../../shared/memory-fit'
import { page1 } from './catalog-data'

/**
 * What the catalog derives from a repo (shared/catalog.ts), beyond the recorded repos: every family
 * and marker it knows, the fallbacks to the repo name, and each filter on its own.
 */

const NONE = { config: null, pipelineTag: null, tags: [], chatTemplate: null }

describe('families', () => {
  it('maps each config.json model type to its family, whatever its case', () => {
    const cases: [string, string][] = [
      ['deepseek_v3', 'deepseek'],
      ['Qwen2', 'qwen'],
      ['llama4', 'llama'],
      ['mllama', 'llama'],
      ['smollm3', 'llama'],
      ['gemma3_text', 'gemma'],
      ['paligemma', 'gemma'],
      ['mistral3', 'mistral'],
      ['mixtral', 'mistral'],
      ['ministral3', 'mistral'],
      ['pixtral', 'mistral'],
      ['phi3', 'phi'],
      ['gpt_oss', 'gpt-oss'],
      ['glm4', 'glm'],
      ['chatglm', 'glm'],
      ['granitemoe', 'granite'],
      ['olmo2', 'olmo'],
      ['cohere2', 'cohere'],
      ['mamba', 'other'],
    ]
    for (const [modelType, family] of cases) expect(familyOf(modelType), modelType).toBe(family)
  })

  it('guesses a family from the repo name alone, not from the organisation', () => {
    const cases: [string, string | null][] = [
      ['mlx-community/QwQ-32B-4bit', 'qwen'],
      ['mlx-community/DeepSeek-R1-Distill-Qwen-7B', 'qwen'],
      ['mlx-community/SmolLM3-3B', 'llama'],
      ['mlx-community/gemma-3-4b-it', 'gemma'],
      ['mlx-community/Devstral-Small-2505', 'mistral'],
      ['mlx-community/Magistral-Small', 'mistral'],
      ['mlx-community/Phi-3.5-mini', 'phi'],
      ['mlx-community/phi4-mini', 'phi'],
      ['mlx-community/DeepSeek-V3-0324', 'deepseek'],
      ['mlx-community/gpt-oss-20b', 'gpt-oss'],
      ['mlx-community/GLM-4.5-Air', 'glm'],
      ['mlx-community/granite-3.3-8b', 'granite'],
      ['mlx-community/OLMo-2-7B', 'olmo'],
      ['mlx-community/c4ai-command-r-v01', 'cohere'],
      ['mlx-community/aya-expanse-8b', 'cohere'],
      ['qwen-fans/Model-7B', null],
      ['Mistral-7B', 'mistral'],
      ['mlx-community/Sophia-7B', null],
    ]
    for (const [id, family] of cases) expect(guessFamilyFromName(id), id).toBe(family)
  })
})

describe('quantization', () => {
  it('reads either quantization key, its mode or method, and only positive whole numbers', () => {
    expect(readQuantization({ quantization_config: { bits: 8, group_size: 128, quant_method: 'awq' } })).toEqual({ bits: 8, groupSize: 128, mode: 'awq' })
    expect(readQuantization({ quantization: { bits: 4, group_size: 64, mode: 'affine', quant_method: 'other' } })).toEqual({ bits: 4, groupSize: 64, mode: 'affine' })
    expect(readQuantization({ quantization: { bits: 0, group_size: 32.5 } })).toEqual({ bits: null, groupSize: null, mode: null })
    expect(readQuantization({ quantization: true, quantization_config: { bits: 3 } })).toEqual({ bits: 3, groupSize: null, mode: null })
  })

  it('counts unquantized weights by their dtype, wherever config.json puts it', () => {
    expect(readQuantization({ torch_dtype: 'float16' })).toEqual({ bits: 16, groupSize: null, mode: null })
    expect(readQuantization({ dtype: 'bfloat16' })).toEqual({ bits: 16, groupSize: null, mode: null })
    expect(readQuantization({ torch_dtype: 'float32' })).toEqual({ bits: 32, groupSize: null, mode: null })
    expect(readQuantization({ text_config: { torch_dtype: 'bfloat16' } })).toEqual({ bits: 16, groupSize: null, mode: null })
    expect(readQuantization({ torch_dtype: 7, dtype: 'float32' })).toEqual({ bits: 32, groupSize: null, mode: null })
    expect(readQuantization({ torch_dtype: 'int8' })).toBeNull()
  })

  it('reads nothing from a config that is not an object', () => {
    for (const config of [null, 'config', 4, ['quantization']]) expect(readQuantization(config)).toBeNull()
  })

  it('guesses bits from the repo name only where a separator sets them apart', () => {
    const cases: [string, number | null][] = [
      ['x/Model_8bit', 8],
      ['x/Model.3bit.mlx', 3],
      ['x/4bit-Model', 4],
      ['x/Model-2-bits', 2],
      ['x/Model-F16', 16],
      ['x/Model_fp16', 16],
      ['x/Model-16bit', 16],
      ['x/bf16-Model', 16],
      ['x/Model-fp16-mlx', 16],
      ['x/Modelbf16', null],
      ['x/Model-128bit', null],
      ['x/Model-nvfp4', 4],
      ['4bit/Model', null],
      ['Model-5bit', 5],
    ]
    for (const [id, bits] of cases) expect(guessBitsFromName(id), id).toBe(bits)
  })
})

describe('chat template markers', () => {
  it('a template that branches or loops on tools, or writes tool-call markers, takes tools', () => {
    for (const template of [
      '{% if tools %}…{% endif %}',
      '{%if tools %}',
      '{%- for tool in tools %}',
      '{% elif tools is defined %}',
      '<tool_call>',
      '[AVAILABLE_TOOLS]',
      '[TOOL_CALLS]',
      '<|python_tag|>',
      '<｜tool▁calls▁begin｜>',
      '<start_function_call>',
      '<|tool_call>',
      "message['tool_calls']",
    ]) {
      expect(templateSupportsTools(template), template).toBe(true)
    }
    for (const template of ['{{ tools }}', '{% if mytools %}', '{% set x = 1 %} tools', '']) expect(templateSupportsTools(template), template).toBe(false)
  })

  it('a template with a thinking marker reasons', () => {
    for (const template of ['<think>', '</think>', 'enable_thinking', 'reasoning_content', '<|channel|>analysis', '[THINK]', '<seed:think>', 'reasoning_effort']) {
      expect(templateSupportsReasoning(template), template).toBe(true)
    }
    expect(templateSupportsReasoning('{{ messages }}')).toBe(false)
  })
})

describe('deriveCapabilities', () => {
  it('every text pipeline, and no pipeline, generates text; the other pipelines do not', () => {
    expect(deriveCapabilities(NONE)).toEqual(['text'])
    expect(deriveCapabilities({ ...NONE, pipelineTag: 'text-generation' })).toEqual(['text'])
    for (const pipelineTag of ['feature-extraction', 'automatic-speech-recognition', 'text-to-image', 'object-detection']) {
      expect(deriveCapabilities({ ...NONE, pipelineTag }), pipelineTag).toEqual([])
    }
  })

  it('sees vision in a vision config, a vision pipeline or a vision tag', () => {
    expect(deriveCapabilities({ ...NONE, config: { vision_config: {} } })).toEqual(['text', 'vision'])
    expect(deriveCapabilities({ ...NONE, config: { vision_config: null } })).toEqual(['text'])
    expect(deriveCapabilities({ ...NONE, pipelineTag: 'image-text-to-text' })).toEqual(['text', 'vision'])
    expect(deriveCapabilities({ ...NONE, tags: ['vision'] })).toEqual(['text', 'vision'])
    expect(deriveCapabilities({ ...NONE, tags: ['image-text-to-text'] })).toEqual(['text', 'vision'])
    expect(deriveCapabilities({ ...NONE, config: [{ vision_config: {} }] })).toEqual(['text'])
  })

  it('reads tools and reasoning from the template, and reasoning from a <think> token', () => {
    expect(deriveCapabilities({ ...NONE, chatTemplate: '{% if tools %}<think>' })).toEqual(['text', 'tools', 'reasoning'])
    expect(deriveCapabilities({ ...NONE, chatTemplate: '{{ messages }}', addedTokens: ['<think>', '</think>'] })).toEqual(['text', 'reasoning'])
    expect(deriveCapabilities({ ...NONE, addedTokens: ['<|im_start|>'] })).toEqual(['text'])
  })
})

describe('guessCapabilitiesFromName', () => {
  it('guesses vision, tools and reasoning from well-known names', () => {
    const cases: [string, string | null, string[]][] = [
      ['x/Llama-3.2-11B-Vision', null, ['text', 'vision', 'tools']],
      ['x/Qwen2.5-VL-7B-Instruct', null, ['text', 'vision', 'tools']],
      ['x/Qwen2-VL-2B', null, ['text', 'vision']],
      ['x/gemma-3-12b-it', null, ['text', 'vision']],
      ['x/gemma-3-1b-it', null, ['text']],
      ['x/SomeModel', 'image-text-to-text', ['text', 'vision']],
      ['x/SomeModel', 'text-generation', ['text']],
      ['x/Mistral-Small', null, ['text', 'tools']],
      ['x/DeepSeek-R1-0528', null, ['text', 'reasoning']],
      ['x/R1-Distill', null, ['text', 'reasoning']],
      ['x/Model_r1', null, ['text', 'reasoning']],
      ['x/Mr1ghty', null, ['text']],
      ['x/Kimi-K2-Thinking', null, ['text', 'reasoning']],
      ['x/Qwen3-8B', null, ['text', 'tools', 'reasoning']],
      ['x/gpt-oss-20b', null, ['text', 'tools', 'reasoning']],
      ['vision-labs/Model', null, ['text']],
    ]
    for (const [id, pipelineTag, capabilities] of cases) expect(guessCapabilitiesFromName(id, pipelineTag), id).toEqual(capabilities)
  })
})

describe('parameterCount', () => {
  it('unpacks quantized weights and leaves out the scales and biases, one pair per group', () => {
    // 1000 U32 words of 4-bit weights hold 8000 weights, in 125 groups of 64: 250 scales and biases.
    expect(parameterCount({ parameters: { U32: 1000, BF16: 250 + 100 } }, { bits: 4, groupSize: 64, mode: null })).toBe(8100)
    expect(parameterCount({ parameters: { I32: 1000, BF16: 350 } }, { bits: 4, groupSize: 64, mode: 'affine' })).toBe(8100)
    // Without a group size the default of 64 applies.
    expect(parameterCount({ parameters: { U32: 1000, BF16: 350 } }, { bits: 4, groupSize: null, mode: null })).toBe(8100)
    // mxfp4 keeps one U8 scale per group of 32 and no bias: 8000 weights, 250 scales that are not parameters.
    expect(parameterCount({ parameters: { U32: 1000, U8: 250, BF16: 100 } }, { bits: 4, groupSize: 32, mode: 'mxfp4' })).toBe(8100)
  })

  it('never counts fewer unpacked float weights than none', () => {
    expect(parameterCount({ parameters: { U32: 1000, BF16: 10 } }, { bits: 4, groupSize: 64, mode: null })).toBe(8000)
  })

  it('adds the counts up as they are when nothing is packed or the bits are unknown', () => {
    expect(parameterCount({ parameters: { U32: 1000, BF16: 50 } }, null)).toBe(1050)
    expect(parameterCount({ parameters: { U32: 1000, BF16: 50 } }, { bits: 16, groupSize: null, mode: null })).toBe(1050)
    expect(parameterCount({ parameters: { F32: 30, BF16: 50 } }, { bits: 4, groupSize: 64, mode: null })).toBe(80)
    expect(parameterCount(undefined, null)).toBeNull()
  })
})

describe('deriveFacts', () => {
  it('falls back to the hub model type, and to the name for what config.json would have said', () => {
    const facts = deriveFacts({ id: 'x/Some-Model-8bit', tags: [], pipelineTag: null, config: null, hubModelType: 'qwen3', chatTemplate: null })
    expect(facts).toMatchObject({ family: 'qwen', modelType: 'qwen3', bits: 8, groupSize: null, architecture: null, contextLength: null, parameters: null })
    expect(facts.guessedFields).toEqual(['bits', 'capabilities'])
  })

  it('guesses nothing it cannot find in the name either', () => {
    const facts = deriveFacts({ id: 'x/Model', tags: [], pipelineTag: null, config: null, chatTemplate: '{{ messages }}' })
    expect(facts).toMatchObject({ family: null, modelType: null, quantization: null, bits: null, capabilities: ['text'] })
    expect(facts.guessedFields).toEqual([])
  })

  it('reads a full config.json, its context and its quantization', () => {
    const config = { model_type: 'llama', num_hidden_layers: 16, num_attention_heads: 32, hidden_size: 2048, max_position_embeddings: 131072, quantization: { bits: 4, group_size: 64 } }
    const facts = deriveFacts({ id: 'x/Qwen-Named-Llama', tags: [], pipelineTag: null, config, chatTemplate: null, safetensors: { parameters: { U32: 100, F16: 10 } } })
    expect(facts).toMatchObject({ family: 'llama', modelType: 'llama', bits: 4, groupSize: 64, contextLength: 131072, parameters: 800 })
    expect(facts.architecture?.layers).toBe(16)
    expect(facts.guessedFields).toEqual([])
  })

  it('guesses the family from the name when config.json names no type', () => {
    const facts = deriveFacts({ id: 'x/gemma-3-4b-it-bf16', tags: [], pipelineTag: null, config: { torch_dtype: 'bfloat16' }, chatTemplate: null })
    expect(facts).toMatchObject({ family: 'gemma', bits: 16, capabilities: ['text'] })
    expect(facts.guessedFields).toEqual(['family'])
  })

  it('treats a config that is not an object as missing', () => {
    expect(deriveFacts({ id: 'x/Model-4bit', tags: [], pipelineTag: null, config: ['x'], chatTemplate: null }).guessedFields).toEqual(['bits', 'capabilities'])
  })
})

describe('filters', () => {
  const fit = (state: MemoryFit['state']) => ({ ...(page1().models[0]?.fit as MemoryFit), state })
  const model: CatalogModel = { ...(page1().models[0] as CatalogModel), family: 'qwen', bits: 4, capabilities: ['text', 'tools'], weightsBytes: 5e9, fit: fit('fits') }

  it('each filter on its own lets the model through or not', () => {
    const cases: [Parameters<typeof matchesFilters>[1], boolean][] = [
      [{}, true],
      [{ arch: [] }, true],
      [{ arch: ['qwen'] }, true],
      [{ arch: ['llama'] }, false],
      [{ bits: [] }, true],
      [{ bits: [4, 8] }, true],
      [{ bits: [8] }, false],
      [{ capability: [] }, true],
      [{ capability: ['text', 'tools'] }, true],
      [{ capability: ['vision'] }, false],
      [{ minSize: 5e9 }, true],
      [{ minSize: 5e9 + 1 }, false],
      [{ maxSize: 5e9 }, true],
      [{ maxSize: 5e9 - 1 }, false],
      [{ fits: false }, true],
      [{ fits: true }, true],
    ]
    for (const [filters, expected] of cases) expect(matchesFilters(model, filters), JSON.stringify(filters)).toBe(expected)
  })

  it('a model missing the value a filter asks about does not pass it', () => {
    expect(matchesFilters({ ...model, family: null }, { arch: ['qwen'] })).toBe(false)
    expect(matchesFilters({ ...model, bits: null }, { bits: [4] })).toBe(false)
    expect(matchesFilters({ ...model, weightsBytes: null }, { minSize: 0 })).toBe(false)
    expect(matchesFilters({ ...model, family: null, bits: null, weightsBytes: null, fit: null }, {})).toBe(true)
  })

  it('a tight fit passes the fits filter; too large does not', () => {
    expect(matchesFilters({ ...model, fit: fit('tight') }, { fits: true })).toBe(true)
    expect(matchesFilters({ ...model, fit: fit('too-large') }, { fits: true })).toBe(false)
    expect(matchesFilters({ ...model, fit: fit('too-large') }, { fits: false })).toBe(true)
  })

  it('hasFilters is true for any one filter that narrows the list', () => {
    for (const filters of [{ arch: ['qwen' as const] }, { bits: [4 as const] }, { capability: ['vision' as const] }, { minSize: 0 }, { maxSize: 1 }, { fits: true }]) {
      expect(hasFilters(filters), JSON.stringify(filters)).toBe(true)
    }
    for (const filters of [{}, { arch: [], bits: [], capability: [] }, { fits: false }]) expect(hasFilters(filters), JSON.stringify(filters)).toBe(false)
  })

  it('the query string leaves out empty lists and an unset fits', () => {
    expect(filtersToQuery({ arch: [], bits: [], capability: [], fits: false })).toEqual({})
    expect(filtersToQuery({})).toEqual({})
    expect(filtersToQuery({ bits: [4] })).toEqual({ bits: '4' })
    expect(filtersToQuery({ arch: ['qwen', 'llama'], capability: ['tools', 'vision'], maxSize: 2e9, minSize: 0 })).toEqual({
      arch: 'qwen,llama',
      capability: 'tools,vision',
      maxSize: '2000000000',
      minSize: '0',
    })
  })
})
