import { describe, expect, test } from 'bun:test'
import { isInside, isSafeRevision, isWantedFile, modelIdFromFolder, RepoPaths, repoFolderName, unsafePathReason } from '../../server/features/downloads/cache-layout'
import { hubStatusFailure } from '../../server/features/downloads/failures'
import { downloadOptionsFromEnv, DEFAULT_DOWNLOAD_OPTIONS } from '../../server/features/downloads/options'
import { planFiles } from '../../server/features/downloads/plan'
import { SpeedMeter } from '../../server/features/downloads/speed'
import { retryDelay } from '../../server/features/downloads/transfer'
import { capabilitiesOf, quantizationOf, shapeOf } from '../../shared/local-models'

const SHA = 'c'.repeat(64)
const OID = 'd'.repeat(40)

describe('cache layout', () => {
  test('folder names round-trip and only valid ids come back', () => {
    expect(repoFolderName('mlx-community/Qwen3-4B-4bit')).toBe('models--mlx-community--Qwen3-4B-4bit')
    expect(modelIdFromFolder('models--mlx-community--Qwen3-4B-4bit')).toBe('mlx-community/Qwen3-4B-4bit')
    expect(modelIdFromFolder('models--org--name--with--dashes')).toBe('org/name--with--dashes')
    for (const folder of ['datasets--a--b', 'models--', 'models----x', 'models--a--..', '.locks', 'models--a']) expect(modelIdFromFolder(folder)).toBeNull()
  })

  test('snapshot links are relative, one ../ per folder', () => {
    const paths = new RepoPaths('/cache', 'org/name')
    expect(paths.linkTarget('config.json', OID)).toBe(`../../blobs/${OID}`)
    expect(paths.linkTarget('a/b/c.json', OID)).toBe(`../../../../blobs/${OID}`)
    expect(paths.incomplete(SHA)).toBe(`/cache/models--org--name/blobs/${SHA}.incomplete`)
    expect(() => paths.blob('../../etc')).toThrow()
    expect(() => paths.snapshotDir('main')).toThrow()
    expect(() => paths.snapshotFile(OID, '../x')).toThrow()
    expect(() => new RepoPaths('/cache', '../x')).toThrow()
  })

  test('unsafe hub file names are named with the reason', () => {
    expect(unsafePathReason('config.json')).toBeNull()
    expect(unsafePathReason('sub/dir/model.safetensors')).toBeNull()
    expect(unsafePathReason('..config.json')).toBeNull()
    expect(unsafePathReason('/etc/passwd')).toBe('is absolute')
    expect(unsafePathReason('C:/x.json')).toBe('is absolute')
    expect(unsafePathReason('a/../../b')).toBe('contains ".."')
    expect(unsafePathReason('a\\b')).toBe('contains a backslash')
    expect(unsafePathReason('a\u0000b')).toBe('contains a control character')
    expect(unsafePathReason('a//b')).toBe('has an empty or "." segment')
    expect(unsafePathReason('./a')).toBe('has an empty or "." segment')
    expect(unsafePathReason('')).toBe('is empty')
    expect(isInside('/a/b', '/a/b/c')).toBe(true)
    expect(isInside('/a/b', '/a/bc')).toBe(false)
    expect(isInside('/a/b', '/a/b/../c')).toBe(false)
  })

  test('revisions are branch, tag or commit names only', () => {
    for (const ok of ['main', 'v1.0', 'refs/pr/1', OID]) expect(isSafeRevision(ok)).toBe(true)
    for (const bad of ['', '../main', 'a/../b', '/main', 'main/', 'a b']) expect(isSafeRevision(bad)).toBe(false)
  })

  test("only what an engine loads, plus the card, is fetched (mlx_lm's patterns)", () => {
    const wanted = ['config.json', 'model.safetensors', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer.model', 'tokenizer_config.json', 'chat_template.jinja', 'modeling_x.py', 'vocab.txt', 'qwen.tiktoken', 'data.jsonl', 'README.md', 'sub/x.json']
    const skipped = ['consolidated.safetensors', 'pytorch_model.bin', 'original/consolidated.pth', '.gitattributes', 'notes.md', 'sub/README.md', 'weights.gguf', 'sub/model.safetensors']
    for (const path of wanted) expect([path, isWantedFile(path)]).toEqual([path, true])
    for (const path of skipped) expect([path, isWantedFile(path)]).toEqual([path, false])
  })

  test('the plan keeps wanted files, checks ids, and refuses a repo with any unsafe wanted name', () => {
    const plan = planFiles('o/n', [
      { path: 'config.json', size: 10, oid: OID, lfs: null },
      { path: 'model.safetensors', size: 100, oid: OID, lfs: { oid: SHA, size: 100 } },
      { path: 'pytorch_model.bin', size: 100, oid: OID, lfs: { oid: SHA, size: 100 } },
    ])
    expect(plan).toEqual([
      { path: 'config.json', size: 10, blobId: OID, lfs: false },
      { path: 'model.safetensors', size: 100, blobId: SHA, lfs: true },
    ])
    expect(() => planFiles('o/n', [{ path: '../x.json', size: 1, oid: OID, lfs: null }])).toThrow('Nothing was written')
    expect(() => planFiles('o/n', [{ path: 'config.json', size: 1, oid: 'nothex', lfs: null }])).toThrow('invalid checksum')
    expect(() => planFiles('o/n', [{ path: 'README.md', size: 1, oid: OID, lfs: null }])).toThrow('no config.json')
  })
})

describe('download arithmetic', () => {
  test('speed is a windowed average that reaches exactly 0 when nothing arrives', () => {
    let now = 0
    const meter = new SpeedMeter(1000, () => now)
    expect(meter.bytesPerSecond()).toBe(0)
    for (let i = 0; i < 10; i++) {
      meter.add(10_000)
      now += 100
    }
    expect(meter.bytesPerSecond()).toBe(100_000)
    now += 1200
    expect(meter.bytesPerSecond()).toBe(0)
  })

  test('retries back off exponentially with jitter, capped, and honour Retry-After', () => {
    const options = { ...DEFAULT_DOWNLOAD_OPTIONS, retryBaseMs: 100, retryMaxMs: 1000 }
    expect(retryDelay(1, options, () => 1, null)).toBe(100)
    expect(retryDelay(3, options, () => 1, null)).toBe(400)
    expect(retryDelay(3, options, () => 0, null)).toBe(200)
    expect(retryDelay(10, options, () => 1, null)).toBe(1000)
    expect(retryDelay(1, options, () => 1, 0.5)).toBe(500)
    expect(retryDelay(1, options, () => 1, 60)).toBe(1000)
  })

  test('hub answers map to codes a person can act on', () => {
    expect(hubStatusFailure(401, 'o/n', false, null).code).toBe('hf-token-required')
    expect(hubStatusFailure(401, 'o/n', true, null).code).toBe('hf-token-refused')
    expect(hubStatusFailure(403, 'o/n', true, null).code).toBe('hf-token-refused')
    expect(hubStatusFailure(404, 'o/n', false, null).code).toBe('model-not-found')
    const limited = hubStatusFailure(429, 'o/n', false, '7')
    expect([limited.retryable, limited.retryAfterSeconds]).toEqual([true, 7])
    expect(hubStatusFailure(503, 'o/n', false, null).retryable).toBe(true)
    expect(hubStatusFailure(400, 'o/n', false, null).retryable).toBe(false)
  })

  test('options from the environment are checked', () => {
    expect(downloadOptionsFromEnv({ MLX_MANAGER_DOWNLOAD_FILES: '4', MLX_MANAGER_DOWNLOAD_STALL_MS: '500' })).toEqual({ fileConcurrency: 4, stallTimeoutMs: 500 })
    expect(() => downloadOptionsFromEnv({ MLX_MANAGER_DOWNLOAD_FILES: '0' })).toThrow('MLX_MANAGER_DOWNLOAD_FILES')
    expect(() => downloadOptionsFromEnv({ MLX_MANAGER_DOWNLOAD_STALL_MS: 'soon' })).toThrow('milliseconds')
  })
})

describe('what config.json says', () => {
  test('quantization from mlx_lm or transformers keys', () => {
    expect(quantizationOf({ quantization: { bits: 4, group_size: 64 } })).toEqual({ bits: 4, groupSize: 64 })
    expect(quantizationOf({ quantization_config: { bits: 8 } })).toEqual({ bits: 8, groupSize: null })
    expect(quantizationOf({})).toBeNull()
  })

  test('quantization needs a finite bit count in an object block', () => {
    expect(quantizationOf({ quantization: { group_size: 64 } })).toBeNull()
    expect(quantizationOf({ quantization: { bits: '4' } })).toBeNull()
    expect(quantizationOf({ quantization: { bits: Number.POSITIVE_INFINITY } })).toBeNull()
    expect(quantizationOf({ quantization: [4], quantization_config: { bits: 8, group_size: 32 } })).toEqual({ bits: 8, groupSize: 32 })
  })

  test('capabilities from the config and the chat template', () => {
    expect(capabilitiesOf({ vision_config: {} }, '')).toEqual(['vision'])
    expect(capabilitiesOf({}, '{% if tools %}{% endif %}')).toEqual(['tools'])
    expect(capabilitiesOf({}, '<think>')).toEqual(['reasoning'])
    expect(capabilitiesOf({}, 'plain')).toEqual([])
  })

  test('vision from a vision tower only beside a nested text config; reasoning from the tokenizer too', () => {
    expect(capabilitiesOf({ text_config: {}, vision_tower: {} }, '')).toEqual(['vision'])
    expect(capabilitiesOf({ vision_tower: {} }, '')).toEqual([])
    expect(capabilitiesOf({ text_config: {} }, '')).toEqual([])
    expect(capabilitiesOf({ vision_config: null }, '')).toEqual([])
    expect(capabilitiesOf({}, 'plain', '{"content": "<think>"}')).toEqual(['reasoning'])
    expect(capabilitiesOf({ vision_config: {} }, '{{ tools }} <think>')).toEqual(['vision', 'tools', 'reasoning'])
  })

  test('shape, with nested text configs and derived head size', () => {
    expect(shapeOf({ num_hidden_layers: 2, num_attention_heads: 8, hidden_size: 512 })).toEqual({ layers: 2, kvHeads: 8, headDim: 64, contextLength: null })
    expect(shapeOf({ text_config: { num_hidden_layers: 3, num_key_value_heads: 2, head_dim: 128, max_position_embeddings: 4096 } })).toEqual({ layers: 3, kvHeads: 2, headDim: 128, contextLength: 4096 })
  })

  test('no head size is made up from a missing or zero head count or hidden size', () => {
    expect(shapeOf({ hidden_size: 512 }).headDim).toBeNull()
    expect(shapeOf({ num_attention_heads: 8 }).headDim).toBeNull()
    expect(shapeOf({ num_attention_heads: 0, hidden_size: 512 }).headDim).toBeNull()
    expect(shapeOf({ num_attention_heads: 'eight', hidden_size: 512 }).headDim).toBeNull()
  })
})
