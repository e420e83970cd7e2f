import { describe, expect, it } from 'vitest'
import type { CatalogModel } from '../../shared/catalog'
import { groupKey, groupModels, splitQuantization, variantLabel } from '../../web/src/features/catalog/groups'
import { page1, page2 } from './catalog-data'

const named = (id: string, bits: number | null = 4): CatalogModel => {
  const [author = '', name = ''] = id.split('/')
  return { ...page1().models[0]!, id, author, name, bits }
}

describe('quantization grouping key', () => {
  it.each([
    ['Qwen3-8B-4bit', 'Qwen3-8B', '4bit'],
    ['Qwen3-8B-bf16', 'Qwen3-8B', 'bf16'],
    ['Qwen3-8B-3bit', 'Qwen3-8B', '3bit'],
    ['Qwen3-8B-6bit', 'Qwen3-8B', '6bit'],
    ['gpt-oss-20b-MXFP4-Q8', 'gpt-oss-20b', 'MXFP4-Q8'],
    ['gpt-oss-20b-mxfp4', 'gpt-oss-20b', 'mxfp4'],
    ['Qwen3-30B-A3B-4bit-DWQ', 'Qwen3-30B-A3B', '4bit-DWQ'],
    ['Qwen3-4B-MLX-8bit', 'Qwen3-4B', 'MLX-8bit'],
    ['Llama-3.2-1B-Instruct-4-bit', 'Llama-3.2-1B-Instruct', '4-bit'],
    ['Mistral-7B-Instruct-v0.3-8bit', 'Mistral-7B-Instruct-v0.3', '8bit'],
    ['gemma-3-4b-it-4bit', 'gemma-3-4b-it', '4bit'],
    // The size and the model's own words are never taken for a quantization.
    ['Qwen3-8B', 'Qwen3-8B', ''],
    ['DeepSeek-R1-Distill-Qwen-7B', 'DeepSeek-R1-Distill-Qwen-7B', ''],
    ['4bit', '4bit', ''],
  ])('%s is %s quantized as "%s"', (name, base, suffix) => {
    expect(splitQuantization(name)).toEqual({ base, suffix })
  })

  it('keys by publisher and base name, case-folded', () => {
    expect(groupKey({ author: 'mlx-community', name: 'Qwen3-8B-4bit' })).toBe(groupKey({ author: 'mlx-community', name: 'Qwen3-8B-BF16' }))
    expect(groupKey({ author: 'mlx-community', name: 'Qwen3-4B-4bit' })).not.toBe(groupKey({ author: 'lmstudio-community', name: 'Qwen3-4B-MLX-4bit' }))
    expect(groupKey({ author: 'mlx-community', name: 'Qwen3-8B-4bit' })).not.toBe(groupKey({ author: 'mlx-community', name: 'Qwen3-8B-Base-4bit' }))
  })
})

describe('grouping a result list', () => {
  it('puts each model’s quantizations in one row where the first of them was listed', () => {
    const groups = groupModels(page1().models)
    expect(groups).toHaveLength(16)
    expect(groups[0]).toMatchObject({ base: 'Llama-3.2-3B-Instruct' })
    expect(groups[0]?.variants.map((m) => m.id)).toEqual(['mlx-community/Llama-3.2-3B-Instruct-4bit', 'mlx-community/Llama-3.2-3B-Instruct-8bit'])
    expect(groups.find((g) => g.base === 'Llama-3.2-1B-Instruct')?.variants.map((m) => m.name)).toEqual(['Llama-3.2-1B-Instruct-4bit', 'Llama-3.2-1B-Instruct-bf16'])
    expect(groups.map((g) => g.variants[0]?.id)).toEqual(page1().models.map((m) => m.id).filter((id, i, all) => all.findIndex((other) => groupKey(named(other)) === groupKey(named(id))) === i))
  })

  it('gathers a model’s variants across pages and never repeats one', () => {
    const models = [...page1().models, ...page2().models, page1().models[1]!]
    const qwen8 = groupModels(models).find((g) => g.key === 'mlx-community/qwen3-8b')
    expect(qwen8?.variants.map((m) => m.name)).toEqual(['Qwen3-8B-4bit', 'Qwen3-8B-6bit', 'Qwen3-8B-3bit', 'Qwen3-8B-bf16'])
  })

  it('labels each variant by its quantization', () => {
    expect(variantLabel(named('a/Qwen3-8B-4bit'))).toBe('4-bit')
    expect(variantLabel(named('a/Qwen3-8B-bf16', 16))).toBe('bf16')
    expect(variantLabel(named('a/Qwen3-4B-MLX-8bit', 8))).toBe('8-bit')
    expect(variantLabel(named('a/gpt-oss-20b-MXFP4-Q8'))).toBe('MXFP4 Q8')
    expect(variantLabel(named('a/Qwen3-30B-A3B-4bit-DWQ'))).toBe('4-bit DWQ')
    expect(variantLabel(named('Qwen/Qwen3-8B', null))).toBe('original')
    expect(variantLabel(named('Qwen/Qwen3-8B', 16))).toBe('16-bit')
  })
})
