import { readFileSync } from 'node:fs'
import { freemem, totalmem } from 'node:os'
import type { SystemMemory } from '../../../shared/events'
import { macSystemMemory } from './macos'

/**
 * Reads system memory. On Linux `MemAvailable` counts reclaimable cache as free, which is what a
 * person means by "used"; on macOS `vm_stat` does the same (Node's free memory there leaves out
 * inactive and purgeable pages, so a Mac would look nearly full); elsewhere the OS figures.
 */
export function readSystemMemory(readMeminfo: () => string | null = linuxMeminfo, readMac: () => SystemMemory | null = () => macSystemMemory()): SystemMemory {
  const meminfo = readMeminfo()
  if (meminfo !== null) {
    const total = kibibytes(meminfo, 'MemTotal')
    const available = kibibytes(meminfo, 'MemAvailable')
    if (total !== null && available !== null) return { totalBytes: total, usedBytes: total - available }
  }
  const mac = readMac()
  if (mac !== null) return mac
  const total = totalmem()
  return { totalBytes: total, usedBytes: total - freemem() }
}

function kibibytes(meminfo: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(meminfo)
  return match?.[1] === undefined ? null : Number(match[1]) * 1024
}

function linuxMeminfo(): string | null {
  if (process.platform !== 'linux') return null
  try {
    return readFileSync('/proc/meminfo', 'utf8')
  } catch {
    return null
  }
}
