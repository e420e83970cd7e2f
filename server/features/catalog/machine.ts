import type { SystemMemory } from '../../../shared/events'
import type { MachineMemory } from '../../../shared/memory-fit'
import type { ServerState } from '../../../shared/servers'
import { readGpuWiredLimit } from '../system/macos'

const HOLDING_MEMORY: readonly ServerState[] = ['starting', 'ready', 'stopping']

/** Resident memory of the model servers that are up (their last sampled process-tree RSS). */
export function runningServersBytes(servers: readonly { state: ServerState; rssBytes: number | null }[]): number {
  return servers.filter((server) => HOLDING_MEMORY.includes(server.state)).reduce((sum, server) => sum + (server.rssBytes ?? 0), 0)
}

/**
 * This machine as the memory fit sees it. `runningServersBytes` is supplied by whoever runs
 * model servers; until then nothing is running.
 */
export function machineMemory(
  read: () => SystemMemory,
  runningServersBytes: () => number = () => 0,
  platform: string = process.platform,
  arch: string = process.arch,
  gpuLimit: () => number | null = () => readGpuWiredLimit(),
): () => MachineMemory {
  return () => {
    const memory = read()
    const limit = gpuLimit()
    return {
      platform,
      arch,
      totalBytes: memory.totalBytes,
      availableBytes: Math.max(0, memory.totalBytes - memory.usedBytes),
      runningServersBytes: runningServersBytes(),
      ...(limit === null ? {} : { gpuLimitBytes: limit }),
    }
  }
}
