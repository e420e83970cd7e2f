import { describe, expect, it } from 'vitest'
import type { SplitShape } from '../../shared/distributed'
import type { Host, HostCheck } from '../../shared/hosts'
import { candidates, placeModel, profileLink, type Candidate } from '../../web/src/features/hosts/placement'

const GB = 1e9

const host = (id: number, local = false): Host => ({
  id,
  name: local ? 'this mac' : `mac-${id}`,
  address: `192.168.1.${id}`,
  sshUser: local ? null : 'me',
  pythonEnv: '/env',
  local,
  rdmaDevice: null,
  createdAt: '',
  updatedAt: '',
})

const candidate = (id: number, budgetGb: number, local = false): Candidate => ({ host: host(id, local), budgetBytes: budgetGb * GB })

/** A Llama-shaped model: 64 heads, 8 KV heads, 80 layers, 4-bit in groups of 64. */
const llama: SplitShape = { modelType: 'llama', layers: 80, attentionHeads: 64, kvHeads: 8, headDim: 128, intermediateSize: 28672, groupSize: 64, hasWeightIndex: true }

describe('which hosts together could hold a model', () => {
  it('takes this machine as rank 0 and the fewest others, largest first, so that every rank fits its equal share', () => {
    const answer = placeModel(128 * GB, [candidate(2, 48), candidate(1, 48, true), candidate(3, 96), candidate(4, 20)], { ...llama, attentionHeads: 48, kvHeads: 6, intermediateSize: 24576 })
    expect(answer).toEqual({ kind: 'placed', placement: { hosts: [candidate(1, 48, true), candidate(3, 96), candidate(2, 48)], shareBytes: Math.ceil((128 * GB) / 3), mode: 'tensor' } })
  })

  it('the smallest host limits the split, and the ranks must divide the heads: 3 ranks of a 64-head model cannot, 4 can', () => {
    expect(placeModel(100 * GB, [candidate(1, 40, true), candidate(2, 200)], llama)).toEqual({ kind: 'too-large', totalBudgetBytes: 240 * GB })
    const four = placeModel(100 * GB, [candidate(1, 40, true), candidate(2, 200), candidate(3, 40), candidate(4, 30)], llama)
    expect(four.kind === 'placed' && four.placement.hosts.map((item) => item.host.id)).toEqual([1, 2, 3, 4])
    expect(four.kind === 'placed' && four.placement.shareBytes).toBe(25 * GB)
  })

  it('falls back to pipeline when tensor parallel cannot split the heads, and says why when neither can', () => {
    const qwen2: SplitShape = { ...llama, modelType: 'qwen2', attentionHeads: 28, kvHeads: 4 }
    const placed = placeModel(100 * GB, [candidate(1, 40, true), candidate(2, 40), candidate(3, 40)], qwen2)
    expect(placed.kind === 'placed' && placed.placement.mode).toBe('pipeline')
    const gemma: SplitShape = { ...llama, modelType: 'gemma3' }
    const refused = placeModel(60 * GB, [candidate(1, 40, true), candidate(2, 40)], gemma)
    expect(refused).toEqual({ kind: 'cannot-split', reason: 'mlx-lm 0.32 has no tensor parallel support for gemma3 models. mlx-lm cannot split it across machines at all.' })
  })

  it('needs this machine among the hosts: rank 0 serves the API here', () => {
    expect(placeModel(10 * GB, [candidate(2, 40), candidate(3, 40)], llama)).toEqual({ kind: 'no-local-host' })
  })

  it('counts only hosts whose check reached them and read their memory', () => {
    const check = (hostId: number, budget: number | null, codes: HostCheck['problems'][number]['code'][] = []): HostCheck => ({
      hostId,
      name: '',
      ok: codes.length === 0,
      checkedAt: '',
      tookMs: 1,
      facts: { mlx: null, mlxLm: null, platform: null, arch: null, totalBytes: null, budgetBytes: budget, modelPath: null, modelFound: null },
      problems: codes.map((code) => ({ code, message: '' })),
    })
    const hosts = [host(1, true), host(2), host(3), host(4)]
    const pool = candidates(hosts, { 1: check(1, 40 * GB), 2: check(2, 30 * GB, ['version-mismatch']), 3: check(3, null, ['ssh-auth']) })
    expect(pool.map((item) => [item.host.id, item.budgetBytes])).toEqual([
      [1, 40 * GB],
      [2, 30 * GB],
    ])
  })

  it('links a new profile prefilled with the model, the hosts in rank order and the mode', () => {
    const placed = placeModel(60 * GB, [candidate(1, 40, true), candidate(2, 40)], llama)
    if (placed.kind !== 'placed') throw new Error('not placed')
    expect(profileLink('mlx-community/Big-4bit', placed.placement)).toEqual({ path: '/profiles/new', query: { model: 'mlx-community/Big-4bit', hosts: '1,2', mode: 'tensor' } })
  })
})
