import type { ServerStatsSample } from '../../../shared/servers'
import type { ProcessRow, ProcessTable } from './process-table'

/** Every process in the tree under `root`, plus anything left in its process group. */
export function treeMembers(rows: ProcessRow[], root: number): ProcessRow[] {
  const children = new Map<number, ProcessRow[]>()
  for (const row of rows) children.set(row.ppid, [...(children.get(row.ppid) ?? []), row])
  const members = new Map<number, ProcessRow>()
  const queue = rows.filter((row) => row.pid === root || row.pgid === root)
  while (queue.length > 0) {
    const row = queue.pop()
    if (row === undefined || members.has(row.pid)) continue
    members.set(row.pid, row)
    queue.push(...(children.get(row.pid) ?? []))
  }
  return [...members.values()]
}

/**
 * CPU % and RSS summed over each server's process tree. CPU is the change in CPU time since the
 * previous reading per process, so a helper that exits between readings does not make it negative.
 */
export class TreeStats {
  private previous = new Map<number, number>()
  private previousAt: number | null = null

  constructor(
    private readonly table: ProcessTable,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  sample(roots: { profileId: number; pid: number }[]): ServerStatsSample[] {
    const rows = this.table.read()
    const now = this.clock()
    const elapsed = this.previousAt === null ? null : (now - this.previousAt) / 1000
    const next = new Map<number, number>()
    const samples = roots.map(({ profileId, pid }) => {
      const members = treeMembers(rows, pid)
      let cpuSeconds = 0
      let rssBytes = 0
      for (const member of members) {
        next.set(member.pid, member.cpuSeconds)
        cpuSeconds += member.cpuSeconds - (this.previous.get(member.pid) ?? member.cpuSeconds)
        rssBytes += member.rssBytes
      }
      const cpuPercent = elapsed === null || elapsed <= 0 ? 0 : Math.max(0, (cpuSeconds / elapsed) * 100)
      return { profileId, cpuPercent: Math.round(cpuPercent * 10) / 10, rssBytes }
    })
    this.previous = next
    this.previousAt = now
    return samples
  }
}
