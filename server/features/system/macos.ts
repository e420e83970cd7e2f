import type { SystemMemory } from '../../../shared/events'

/**
 * What the manager reads from macOS commands, as parsers (fed recorded outputs in tests) and
 * readers that run the commands. Every reader answers null off macOS or when a command fails,
 * so callers fall back to what Node reports.
 */

/** Runs a command and answers its stdout, or null when it cannot run or exits non-zero. */
export type CommandOutput = (argv: string[]) => string | null

export const runCommand: CommandOutput = (argv) => {
  try {
    const result = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'ignore', timeout: 2_000 })
    return result.exitCode === 0 ? result.stdout.toString() : null
  } catch {
    return null
  }
}

export interface VmStat {
  pageSize: number
  /** Each `Pages …:` or other counter line, by its label without quotes, in pages. */
  counts: Record<string, number>
}

/** `vm_stat`: a header naming the page size, then `Label:   12345.` lines. */
export function parseVmStat(text: string): VmStat | null {
  const size = /page size of (\d+) bytes/.exec(text)?.[1]
  if (size === undefined) return null
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^"?([^":\n]+)"?:\s+(\d+)\.?\s*$/gm)) {
    if (match[1] !== undefined && match[2] !== undefined) counts[match[1].trim()] = Number(match[2])
  }
  return { pageSize: Number(size), counts }
}

/**
 * Memory in use the way Activity Monitor counts "Memory Used": app memory (anonymous pages not
 * purgeable), plus wired, plus what the compressor occupies. Free, inactive and file-backed pages
 * can be reclaimed, so they do not count. Older outputs without "Anonymous pages" use active pages.
 */
export function vmStatUsedBytes(vm: VmStat): number | null {
  const count = (label: string) => vm.counts[label]
  const wired = count('Pages wired down')
  const compressed = count('Pages occupied by compressor') ?? 0
  const anonymous = count('Anonymous pages')
  const app = anonymous === undefined ? count('Pages active') : anonymous - (count('Pages purgeable') ?? 0)
  if (wired === undefined || app === undefined) return null
  return (Math.max(0, app) + wired + compressed) * vm.pageSize
}

/** A number from `sysctl name` (`name: 123`) or `sysctl -n name` (`123`); null for an unknown name. */
export function parseSysctlNumber(text: string, name: string): number | null {
  const line = text
    .split('\n')
    .map((row) => row.trim())
    .find((row) => row !== '')
  if (line === undefined) return null
  const value = line.startsWith(`${name}:`) ? line.slice(name.length + 1).trim() : line
  return /^\d+$/.test(value) ? Number(value) : null
}

/**
 * The GPU working-set limit an administrator set with `sysctl iogpu.wired_limit_mb=N` (macOS 14
 * and later). 0 means "not set": the platform's own rule applies.
 */
export function gpuWiredLimitBytes(sysctlOutput: string | null): number | null {
  if (sysctlOutput === null) return null
  const megabytes = parseSysctlNumber(sysctlOutput, 'iogpu.wired_limit_mb')
  return megabytes === null || megabytes === 0 ? null : megabytes * 2 ** 20
}

/** Total and used memory from `sysctl -n hw.memsize` and `vm_stat`, or null when either fails. */
export function macSystemMemory(run: CommandOutput = runCommand, platform: string = process.platform): SystemMemory | null {
  if (platform !== 'darwin') return null
  const total = parseSysctlNumber(run(['sysctl', '-n', 'hw.memsize']) ?? '', 'hw.memsize')
  const vm = parseVmStat(run(['vm_stat']) ?? '')
  const used = vm === null ? null : vmStatUsedBytes(vm)
  if (total === null || used === null) return null
  return { totalBytes: total, usedBytes: Math.min(total, used) }
}

/** The GPU working-set limit when one is set, else null (and always null off macOS). */
export function readGpuWiredLimit(run: CommandOutput = runCommand, platform: string = process.platform): number | null {
  if (platform !== 'darwin') return null
  return gpuWiredLimitBytes(run(['sysctl', 'iogpu.wired_limit_mb']))
}
