import { splitProblems, type SplitShape } from '../../../../shared/distributed'
import { HOST_LIMITS, type DistributedMode, type Host, type HostCheck } from '../../../../shared/hosts'

/** A host with the memory its latest check says a model may use there. */
export interface Candidate {
  host: Host
  budgetBytes: number
}

export interface Placement {
  /** Rank order: this machine first (rank 0 serves the API), then the others. */
  hosts: Candidate[]
  /** What each rank holds: the weights and KV cache split evenly. */
  shareBytes: number
  mode: DistributedMode
}

export type PlacementAnswer =
  | { kind: 'placed'; placement: Placement }
  | { kind: 'no-local-host' }
  | { kind: 'too-large'; totalBudgetBytes: number }
  | { kind: 'cannot-split'; reason: string }

/** Hosts whose check reached them and read their memory; the others cannot be counted on. */
export function candidates(hosts: readonly Host[], checks: Record<number, HostCheck>): Candidate[] {
  return hosts.flatMap((host) => {
    const check = checks[host.id]
    const reached = check !== undefined && !check.problems.some((problem) => problem.code.startsWith('ssh-') || problem.code === 'python-missing')
    const budget = check?.facts.budgetBytes ?? null
    return reached && budget !== null ? [{ host, budgetBytes: budget }] : []
  })
}

/**
 * The fewest hosts that together hold `needBytes` (weights plus KV cache): ranks hold equal
 * shares, so the smallest chosen host must fit its share. This machine runs rank 0; the others
 * are taken largest first. The mode is tensor parallel when the model can be split that way,
 * else pipeline.
 */
export function placeModel(needBytes: number, pool: readonly Candidate[], shape: SplitShape): PlacementAnswer {
  const local = pool.filter((candidate) => candidate.host.local).sort((a, b) => b.budgetBytes - a.budgetBytes)[0]
  if (local === undefined) return { kind: 'no-local-host' }
  const others = pool.filter((candidate) => candidate.host.id !== local.host.id).sort((a, b) => b.budgetBytes - a.budgetBytes)
  let lastReason: string | null = null
  for (let count = 2; count <= Math.min(pool.length, HOST_LIMITS.maxRanks); count++) {
    const chosen = [local, ...others.slice(0, count - 1)]
    const share = Math.ceil(needBytes / count)
    if (chosen.some((candidate) => candidate.budgetBytes < share)) continue
    for (const mode of ['tensor', 'pipeline'] as const) {
      const problems = splitProblems(shape, count, mode)
      if (problems.length === 0) return { kind: 'placed', placement: { hosts: chosen, shareBytes: share, mode } }
      lastReason ??= problems[0] ?? null
    }
  }
  if (lastReason !== null) return { kind: 'cannot-split', reason: lastReason }
  return { kind: 'too-large', totalBudgetBytes: pool.reduce((sum, candidate) => sum + candidate.budgetBytes, 0) }
}

/** The new-profile address the placement prefills (see the profile editor's `prefilled`). */
export function profileLink(modelId: string, placement: Placement): { path: string; query: Record<string, string> } {
  return { path: '/profiles/new', query: { model: modelId, hosts: placement.hosts.map((candidate) => candidate.host.id).join(','), mode: placement.mode } }
}
