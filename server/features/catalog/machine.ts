import type { SystemMemory } from '../../../shared/events'
import type { MachineMemory } from '../../../shared/memory-fit'

/**
 * This machine as the memory fit sees it. `runningServersBytes` is supplied by whoever runs
 * model servers; until then nothing is running.
 */
export function machineMemory(
  read: () => SystemMemory,
  runningServersBytes: () => number = () => 0,
  platform: string = process.platform,
  arch: string = process.arch,
): () => MachineMemory {
  return () => {
    const memory = read()
    return {
      platform,
      arch,
      totalBytes: memory.totalBytes,
      availableBytes: Math.max(0, memory.totalBytes - memory.usedBytes),
      runningServersBytes: runningServersBytes(),
    }
  }
}
