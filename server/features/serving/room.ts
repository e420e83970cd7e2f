import type { Profile } from '../../../shared/profiles'
import { formatBytes } from '../../../shared/units'
import { AppError } from '../../http/errors'

/** The memory figures the pool decides with, from the same budget the catalog's fit uses. */
export interface PoolMemory {
  /** What the profile's server will hold: its measured peak where known, else the estimate; null when unknown. */
  needBytes(profile: Profile): Promise<number | null>
  /** The budget left for another model with the running servers' memory taken out. */
  freeBytes(): number
  /** What one running server holds (its sampled memory or its measured peak, the larger). */
  heldBytes(profileId: number): number
  /** Every running server and what it holds, for the message when nothing more can be freed. */
  holders(): { name: string; bytes: number }[]
}

/**
 * Which idle servers to stop, in order, so that the profile fits; none when it fits already or its
 * need is unknown. Throws 503 when stopping every idle server would still not be enough, naming
 * what the model needs and what holds the memory.
 */
export async function roomFor(profile: Profile, memory: PoolMemory, idleVictims: () => { profileId: number; name: string }[]): Promise<number[]> {
  const need = await memory.needBytes(profile)
  if (need === null) return []
  let free = memory.freeBytes()
  if (need <= free) return []
  const chosen: number[] = []
  for (const victim of idleVictims()) {
    chosen.push(victim.profileId)
    free += memory.heldBytes(victim.profileId)
    if (need <= free) return chosen
  }
  const holders = memory.holders()
  const using = holders.length === 0 ? 'nothing the manager runs' : holders.map((holder) => `${holder.name} (${formatBytes(holder.bytes)})`).join(', ')
  throw new AppError(
    503,
    'model-does-not-fit',
    `${profile.name} needs about ${formatBytes(need)}, but only ${formatBytes(memory.freeBytes())} of the memory budget is free and the servers in use cannot be stopped. In use: ${using}. Stop a server or unpin one, then try again.`,
    { 'retry-after': '30' },
  )
}
