import { readdirSync, readFileSync } from 'node:fs'

export interface ProcessRow {
  pid: number
  ppid: number
  pgid: number
  /** User plus system CPU time used so far. */
  cpuSeconds: number
  rssBytes: number
}

/** A snapshot of every process; read once per sampling tick for all servers together. */
export interface ProcessTable {
  read(): ProcessRow[]
}

function getconf(name: string, fallback: number): number {
  try {
    const result = Bun.spawnSync(['getconf', name], { stdout: 'pipe', stderr: 'ignore' })
    const value = Number(result.stdout.toString().trim())
    return Number.isFinite(value) && value > 0 ? value : fallback
  } catch {
    return fallback
  }
}

/** Linux: /proc/<pid>/stat has ppid, process group, CPU ticks and resident pages in one line per process. */
export function linuxProcessTable(procRoot = '/proc'): ProcessTable {
  const ticks = getconf('CLK_TCK', 100)
  const pageSize = getconf('PAGESIZE', 4096)
  return {
    read() {
      const rows: ProcessRow[] = []
      for (const name of readdirSync(procRoot)) {
        if (!/^\d+$/.test(name)) continue
        let stat: string
        try {
          stat = readFileSync(`${procRoot}/${name}/stat`, 'utf8')
        } catch {
          continue // it exited while we looked
        }
        const row = parseLinuxStat(stat, ticks, pageSize)
        if (row !== null) rows.push(row)
      }
      return rows
    },
  }
}

export function parseLinuxStat(stat: string, ticks: number, pageSize: number): ProcessRow | null {
  // The command name is in parentheses and may itself contain spaces and parentheses.
  const close = stat.lastIndexOf(')')
  const pid = Number(stat.slice(0, stat.indexOf(' ')))
  const fields = stat.slice(close + 2).split(' ')
  const at = (field: number) => Number(fields[field - 3])
  if (!Number.isInteger(pid) || fields.length < 22) return null
  return { pid, ppid: at(4), pgid: at(5), cpuSeconds: (at(14) + at(15)) / ticks, rssBytes: at(24) * pageSize }
}

/** `ps` CPU time: [[dd-]hh:]mm:ss[.cc] */
export function parsePsTime(text: string): number {
  const [days, rest] = text.includes('-') ? [Number(text.split('-')[0]), text.split('-')[1] ?? ''] : [0, text]
  const parts = rest.split(':').map(Number)
  const seconds = parts.reduce((total, part) => total * 60 + part, 0)
  return days * 86_400 + seconds
}

export const PS_ARGS = ['-axo', 'pid=,ppid=,pgid=,rss=,time=']

/** `ps -axo pid=,ppid=,pgid=,rss=,time=`: no header, RSS in KiB, CPU time as parsePsTime reads it. */
export function parsePsTable(text: string): ProcessRow[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length >= 5 && parts.slice(0, 4).every((part) => /^\d+$/.test(part)))
    .map(([pid, ppid, pgid, rss, time]) => ({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      rssBytes: Number(rss) * 1024,
      cpuSeconds: parsePsTime(time ?? '0:0'),
    }))
}

/** macOS (and other BSDs): one `ps` call lists everything. */
export function psProcessTable(): ProcessTable {
  return {
    read() {
      const result = Bun.spawnSync(['ps', ...PS_ARGS], { stdout: 'pipe', stderr: 'ignore' })
      return parsePsTable(result.stdout.toString())
    },
  }
}

export function systemProcessTable(): ProcessTable {
  return process.platform === 'linux' ? linuxProcessTable() : psProcessTable()
}
