import { describe, expect, test } from 'bun:test'
import { splitProblems, splitShape, supportsMode } from '../../shared/distributed'
import type { Host } from '../../shared/hosts'
import type { LocalModel } from '../../shared/local-models'
import { buildHostfile, launchCommand, rankProgram, ringPort } from '../../server/features/distributed/plan'
import { applyRankEvent, firstEnded, initialRanks, rankEvent, rankFailureMessage } from '../../server/features/distributed/ranks'

const host = (id: number, over: Partial<Host> = {}): Host => ({
  id,
  name: `mac-${id}`,
  address: `192.168.1.${id}`,
  sshUser: 'studio',
  pythonEnv: `/Users/studio/env-${id}`,
  local: false,
  rdmaDevice: null,
  createdAt: '',
  updatedAt: '',
  ...over,
})

const here = host(1, { name: 'here', address: '192.168.1.1', sshUser: null, local: true, pythonEnv: '/opt/mlx env' })

describe('hostfile', () => {
  test('this machine runs its rank without SSH; others by user@address; every rank connects by its address', () => {
    const file = buildHostfile([here, host(2), host(3, { sshUser: 'other' })], 'ring', ['HF_HUB_OFFLINE=1'])
    expect(file).toEqual({
      backend: 'ring',
      envs: ['HF_HUB_OFFLINE=1'],
      hosts: [
        { ssh: '127.0.0.1', ips: ['192.168.1.1'], rdma: [] },
        { ssh: 'studio@192.168.1.2', ips: ['192.168.1.2'], rdma: [] },
        { ssh: 'other@192.168.1.3', ips: ['192.168.1.3'], rdma: [] },
      ],
    })
  })

  test('jaccl: each rank names its RDMA device towards the other and null towards itself', () => {
    const file = buildHostfile([{ ...here, rdmaDevice: 'rdma_en2' }, host(2, { rdmaDevice: 'rdma_en3' })], 'jaccl', [])
    expect(file.hosts.map((entry) => entry.rdma)).toEqual([
      [null, 'rdma_en2'],
      ['rdma_en3', null],
    ])
  })
})

describe('launch command', () => {
  test('mlx.launch with the hostfile and ring port, then a per-rank program that picks each host’s own mlx_lm.server', () => {
    const argv = launchCommand({
      launcher: '/env/bin/mlx.launch',
      hostfilePath: '/home/run/hostfile-3.json',
      backend: 'ring',
      startingPort: ringPort(3),
      ranks: [here, host(2)],
      serverArgs: ['--model', '/models/tiny', '--port', '8001', '--pipeline'],
    })
    expect(argv.slice(0, 8)).toEqual(['/env/bin/mlx.launch', '--backend', 'ring', '--hostfile', '/home/run/hostfile-3.json', '--starting-port', String(32323 + 48), '--'])
    expect(argv.slice(8, 10)).toEqual(['/bin/bash', '-c'])
    expect(argv.slice(11)).toEqual(['mlx_lm.server', '--model', '/models/tiny', '--port', '8001', '--pipeline'])
  })

  test('the rank program runs under bash: each rank execs its host’s server with the arguments and tags its output', async () => {
    const program = rankProgram([host(1, { pythonEnv: '/bin/echo-env' }), host(2, { pythonEnv: "/tmp/it's" })], ['--model', 'a b'])
    const script = program[2] ?? ''
    expect(script).toContain(`0) server='/bin/echo-env/bin/mlx_lm.server' ;;`)
    expect(script).toContain(`1) server='/tmp/it'\\''s/bin/mlx_lm.server' ;;`)
    // Run it for real with a stand-in server (printf) to see the tagging and the arguments arrive whole.
    const runnable = [program[0] ?? '', program[1] ?? '', script.replace(/exec "\$server"/, 'exec printf "%s|"'), ...program.slice(3)]
    const child = Bun.spawn(runnable, { env: { ...process.env, MLX_RANK: '1' }, stdout: 'pipe' })
    const out = await new Response(child.stdout).text()
    await child.exited
    expect(out.trim().split('\n')).toEqual(['[rank 1] --model|a b|', '[rank 1] process ended'])
  })

  test('each profile has its own block of ring ports, inside the port range', () => {
    expect(ringPort(1)).not.toBe(ringPort(2))
    expect(ringPort(2) - ringPort(1)).toBe(16)
    expect(ringPort(1999) + 15).toBeLessThanOrEqual(65535)
  })
})

describe('what mlx-lm can split', () => {
  const qwen2 = { model_type: 'qwen2', hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 128 }

  test('pipeline only for architectures with PipelineMixin; tensor for those with shard()', () => {
    expect(supportsMode('qwen2', 'pipeline')).toBe(true)
    expect(supportsMode('llama', 'pipeline')).toBe(false)
    expect(supportsMode('mistral', 'tensor')).toBe(true)
    expect(splitProblems(splitShape({ ...qwen2, model_type: 'llama' }, true), 2, 'pipeline')).toEqual([
      'mlx-lm 0.32 has no pipeline support for llama models. Choose the tensor mode instead.',
    ])
    expect(splitProblems(splitShape({ ...qwen2, model_type: 'gemma3' }, true), 2, 'tensor')[0]).toContain('cannot split it across machines at all')
  })

  test('tensor parallel: head counts and MLP width must divide by the ranks, quantized slices by the group size', () => {
    expect(splitProblems(splitShape(qwen2, false), 2, 'tensor')).toEqual([])
    expect(splitProblems(splitShape(qwen2, false), 3, 'tensor')[0]).toBe(
      'Tensor parallel splits the 4 attention heads evenly, so the number of ranks must divide 4; 3 does not. Use 2, 4 ranks, or pipeline mode.',
    )
    // The tiny test model: 4-bit in groups of 64, 64 wide: split 2 ways each slice is 32.
    const quantized = splitProblems(splitShape({ ...qwen2, quantization: { group_size: 64, bits: 4 } }, false), 2, 'tensor')
    expect(quantized).toEqual([
      "Split 2 ways, each rank's attention output slice is 32 wide, not a multiple of the quantization group size 64, so the quantized weights cannot be split. Use fewer ranks, or pipeline mode.",
    ])
  })

  test('pipeline: at least one layer per rank, and the weight index to pick files from', () => {
    expect(splitProblems(splitShape(qwen2, true), 2, 'pipeline')).toEqual([])
    expect(splitProblems(splitShape(qwen2, true), 3, 'pipeline')).toEqual(['The model has 2 layers, fewer than the 3 ranks: each rank needs at least one. Use fewer ranks.'])
    expect(splitProblems(splitShape(qwen2, false), 2, 'pipeline')[0]).toContain('model.safetensors.index.json')
  })
})

describe('ranks from the log', () => {
  test('tagged output marks a rank running; its end or the launcher’s report marks it exited with its code', () => {
    let ranks = initialRanks([here, host(2)])
    ranks = applyRankEvent(ranks, rankEvent('[rank 1] loading') ?? { rank: -1, kind: 'output' })
    expect(ranks.map((rank) => rank.state)).toEqual(['starting', 'running'])
    const same = applyRankEvent(ranks, { rank: 1, kind: 'output' })
    expect(same).toBe(ranks)
    ranks = applyRankEvent(ranks, rankEvent('\u001b[33m[WARN] Node with rank 1 exited with code -9 \u001b[0m') ?? { rank: -1, kind: 'output' })
    expect(ranks[1]).toMatchObject({ state: 'exited', exitCode: -9 })
    expect(rankEvent('[rank 0] process ended')).toEqual({ rank: 0, kind: 'ended', code: null })
    expect(rankEvent('[mlx-manager] note')).toBeNull()
  })

  test('the failure names the rank that ended first, its host, and its own error line', () => {
    const lines = [
      '[rank 0] INFO - Starting httpd at 127.0.0.1 on port 8001...',
      '[rank 1] Traceback (most recent call last):',
      '[rank 1] ValueError: [quantize] The last dimension of the matrix needs to be divisible by 64',
      '[WARN] Node with rank 1 exited with code 1',
      '[rank 1] process ended',
      '[WARN] Node with rank 0 exited with code -15',
    ]
    const first = firstEnded(lines)
    expect(first).toEqual({ rank: 1, code: 1 })
    const ranks = initialRanks([here, host(2)])
    expect(rankFailureMessage('Tiny', ranks, first ?? { rank: 0, code: null }, lines, false)).toBe(
      '"Tiny" failed to start: rank 1 on mac-2 (192.168.1.2) exited with code 1: ValueError: [quantize] The last dimension of the matrix needs to be divisible by 64. The launcher stopped the other ranks; the rank 1 lines of the log say more.',
    )
  })
})

describe('the serving pool and a distributed profile', () => {
  test("counts only this machine's share of the model against this machine's memory", async () => {
    const { poolMemory } = await import('../../server/features/serving/memory')
    const { PROFILE_DEFAULTS } = await import('../../shared/profiles')
    const model = { id: 'org/big', weightsBytes: 90e9, layers: null, kvHeads: null, headDim: null, contextLength: null, modelType: 'llama' } as unknown as LocalModel
    const profile = (hosts: number[]) => ({ ...PROFILE_DEFAULTS, id: 1, name: 'Big', model: 'org/big', port: 8001, createdAt: '', updatedAt: '', extraArgs: [], distributedHosts: hosts })
    const memory = poolMemory({
      budget: () => ({ budgetBytes: 50e9 }) as ReturnType<Parameters<typeof poolMemory>[0]['budget']>,
      servers: () => [],
      held: () => 0,
      measuredPeak: () => null,
      localModel: () => Promise.resolve(model),
      // Host 1 is this machine.
      localRanks: (p) => p.distributedHosts.filter((id) => id === 1).length,
    })
    expect(await memory.needBytes(profile([]))).toBe(90e9)
    expect(await memory.needBytes(profile([1, 2, 3]))).toBe(30e9)
    expect(await memory.needBytes(profile([1, 1, 2]))).toBe(60e9)
  })
})
