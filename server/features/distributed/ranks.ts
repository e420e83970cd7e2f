import type { Host } from '../../../shared/hosts'
import type { RankStatus } from '../../../shared/servers'
import { findErrorLine } from '../servers/failure'

const RANK_LINE = /^\[rank (\d+)\] (.*)$/
const ENDED = 'process ended'
/** mlx.launch's own report, on its stderr: "[WARN] Node with rank 1 exited with code -9" or "… was killed". */
const LAUNCHER_EXIT = /Node with rank (\d+) (?:exited with code (-?\d+)|was killed)/

export type RankEvent = { rank: number; kind: 'output' } | { rank: number; kind: 'ended'; code: number | null }

/** What one log line says about a rank, if anything. */
export function rankEvent(line: string): RankEvent | null {
  const own = RANK_LINE.exec(line)
  if (own !== null) return own[2]?.trim() === ENDED ? { rank: Number(own[1]), kind: 'ended', code: null } : { rank: Number(own[1]), kind: 'output' }
  const launcher = LAUNCHER_EXIT.exec(line)
  if (launcher !== null) return { rank: Number(launcher[1]), kind: 'ended', code: launcher[2] === undefined ? null : Number(launcher[2]) }
  return null
}

export function initialRanks(ranks: Host[]): RankStatus[] {
  return ranks.map((host, rank) => ({ rank, hostId: host.id, hostName: host.name, address: host.address, state: 'starting', exitCode: null }))
}

/** The ranks after `event`; the same array when nothing changed (so nothing is published). */
export function applyRankEvent(ranks: RankStatus[], event: RankEvent): RankStatus[] {
  const current = ranks[event.rank]
  if (current === undefined) return ranks
  if (event.kind === 'output') {
    if (current.state !== 'starting') return ranks
    return ranks.map((rank) => (rank === current ? { ...rank, state: 'running' } : rank))
  }
  const exitCode = event.code ?? current.exitCode
  if (current.state === 'exited' && current.exitCode === exitCode) return ranks
  return ranks.map((rank) => (rank === current ? { ...rank, state: 'exited', exitCode } : rank))
}

/** One rank's lines, without their prefix. */
export function rankLines(lines: string[], rank: number): string[] {
  const prefix = `[rank ${rank}] `
  return lines.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length)).filter((line) => line !== ENDED)
}

/**
 * The first rank that ended, by the order the log tells it (the launcher then ends the others), with
 * its exit code when the launcher reported one: this is the rank to look at.
 */
export function firstEnded(lines: string[]): { rank: number; code: number | null } | null {
  const events = lines.map(rankEvent).filter((event) => event?.kind === 'ended') as { rank: number; kind: 'ended'; code: number | null }[]
  const first = events[0]
  if (first === undefined) return null
  return { rank: first.rank, code: events.find((event) => event.rank === first.rank && event.code !== null)?.code ?? null }
}

/** The ranks as the whole log tells them. */
export function ranksFromLog(ranks: RankStatus[], lines: string[]): RankStatus[] {
  return lines.reduce((current, line) => {
    const event = rankEvent(line)
    return event === null ? current : applyRankEvent(current, event)
  }, ranks)
}

export function rankFailureMessage(name: string, ranks: RankStatus[], ended: { rank: number; code: number | null }, lines: string[], wasReady: boolean): string {
  const rank = ranks[ended.rank]
  const where = rank === undefined ? `rank ${ended.rank}` : `rank ${ended.rank} on ${rank.hostName} (${rank.address})`
  const code = ended.code ?? rank?.exitCode ?? null
  const how = code === null ? 'ended' : code < 0 ? `was killed by signal ${-code}` : `exited with code ${code}`
  const error = findErrorLine(rankLines(lines, ended.rank))
  const because = error === null ? '.' : `: ${error}${/[.!?]$/.test(error) ? '' : '.'}`
  return `"${name}" ${wasReady ? 'stopped' : 'failed to start'}: ${where} ${how}${because} The launcher stopped the other ranks; the ${where.split(' on ')[0]} lines of the log say more.`
}
