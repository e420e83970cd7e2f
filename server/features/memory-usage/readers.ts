import { readFileSync } from 'node:fs'
import type { MemorySource } from '../../../shared/memory-fit'
import { psProcessTable, type ProcessTable } from '../servers/process-table'
import { treeMembers } from '../servers/stats'

/** One reading of a server's process tree. */
export interface MemoryReading {
  bytes: number
  source: MemorySource
}

/**
 * Reads how much memory a server's process tree holds. `sampledRss` is the tree's resident memory
 * the supervisor just sampled; a reader may use it or read something truer for its platform.
 */
export interface PeakReader {
  /** What this reader reports when it works, for the docs and the UI. */
  readonly source: MemorySource
  read(rootPid: number, sampledRss: number): Promise<MemoryReading>
}

/** `VmHWM` of /proc/<pid>/status: the most resident memory the process has ever had, in bytes. */
export function parseHighWaterMark(status: string): number | null {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
  return kb === undefined ? null : Number(kb) * 1024
}

/**
 * Linux: the tree's resident memory as sampled, raised to the root process's own high-water mark,
 * which catches a spike between two samples (mlx_lm.server is one process; its prefill peaks are short).
 */
export function linuxPeakReader(procRoot = '/proc'): PeakReader {
  return {
    source: 'rss',
    read(rootPid, sampledRss) {
      let highWater: number | null = null
      try {
        highWater = parseHighWaterMark(readFileSync(`${procRoot}/${rootPid}/status`, 'utf8'))
      } catch {
        // It exited between the sample and this read: the sample stands.
      }
      return Promise.resolve({ bytes: Math.max(sampledRss, highWater ?? 0), source: 'rss' })
    },
  }
}

/**
 * `footprint -f bytes <pid>…` prints a `Footprint: N B` figure per process (and, for several, a
 * summary with the same words). The per-process figures are summed; a summary line is skipped so a
 * tree is not counted twice.
 */
export function parseFootprint(text: string): number | null {
  let total = 0
  let found = false
  for (const line of text.split('\n')) {
    if (/summary|total/i.test(line)) continue
    const match = /Footprint:\s*([\d,]+)\s*B\b/.exec(line)
    if (match?.[1] === undefined) continue
    total += Number(match[1].replaceAll(',', ''))
    found = true
  }
  return found ? total : null
}

export type CommandRunner = (argv: string[]) => Promise<{ code: number; stdout: string }>

const runCommand: CommandRunner = async (argv) => {
  const child = Bun.spawn(argv, { stdout: 'pipe', stderr: 'ignore' })
  const [code, stdout] = await Promise.all([child.exited, new Response(child.stdout).text()])
  return { code, stdout }
}

/**
 * macOS: the physical footprint of every process in the tree, which counts the Metal buffers MLX
 * keeps its weights and KV cache in (resident memory does not). Where `footprint` is missing or
 * refuses, the `ps` resident memory the supervisor sampled is used and reported as such.
 */
export function footprintPeakReader(options: { run?: CommandRunner; table?: ProcessTable; executable?: string } = {}): PeakReader {
  const run = options.run ?? runCommand
  const table = options.table ?? psProcessTable()
  const executable = options.executable ?? '/usr/bin/footprint'
  return {
    source: 'footprint',
    async read(rootPid, sampledRss) {
      const pids = treeMembers(table.read(), rootPid)
        .map((row) => row.pid)
        .sort((a, b) => a - b)
      if (pids.length === 0) return { bytes: sampledRss, source: 'rss' }
      try {
        const result = await run([executable, '-f', 'bytes', ...pids.flatMap((pid) => ['-p', String(pid)])])
        const bytes = result.code === 0 ? parseFootprint(result.stdout) : null
        if (bytes !== null && bytes > 0) return { bytes, source: 'footprint' }
      } catch {
        // Not installed (older macOS, or not a Mac): fall back below.
      }
      return { bytes: sampledRss, source: 'rss' }
    },
  }
}

export function systemPeakReader(platform: string = process.platform): PeakReader {
  if (platform === 'linux') return linuxPeakReader()
  if (platform === 'darwin') return footprintPeakReader()
  return { source: 'rss', read: (_pid, sampledRss) => Promise.resolve({ bytes: sampledRss, source: 'rss' }) }
}
