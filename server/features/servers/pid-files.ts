import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ENGINE_NAMES, type EngineName } from '../../../shared/profiles'
import { ensurePrivateDir, writePrivateFile } from '../../private-files'

/** What the manager needs to find, check and adopt (or clean up) a server after it restarts. */
export interface PidRecord {
  profileId: number
  pid: number
  engine: EngineName
  host: string
  port: number
  /** The command as shown: a chat template's text is never written here. */
  command: string[]
  /** Indices of `command` whose real value was withheld; they match anything when adopting. */
  hidden?: number[]
  startedAt: string
  readyAt: string | null
  /** The profile's updatedAt when the server started, to tell whether a restart would change it. */
  profileUpdatedAt: string
  managerPid: number
}

export interface PidFiles {
  write(record: PidRecord): void
  list(): PidRecord[]
  remove(profileId: number): void
}

function isRecord(value: unknown): value is PidRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Record<string, unknown>
  return (
    Number.isInteger(r.profileId) &&
    Number.isInteger(r.pid) &&
    (r.pid as number) > 1 &&
    (ENGINE_NAMES as readonly unknown[]).includes(r.engine) &&
    typeof r.host === 'string' &&
    Number.isInteger(r.port) &&
    Array.isArray(r.command) &&
    r.command.every((arg) => typeof arg === 'string') &&
    (r.hidden === undefined || (Array.isArray(r.hidden) && r.hidden.every((index) => Number.isInteger(index)))) &&
    typeof r.startedAt === 'string'
  )
}

/** A record from before templates were withheld still has mlx_lm.server's template text: withhold it now. */
function withheld(record: PidRecord): PidRecord {
  if (Array.isArray(record.hidden)) return record
  const flag = record.engine === 'mlx_lm.server' ? record.command.indexOf('--chat-template') : -1
  if (flag === -1 || flag + 1 >= record.command.length) return { ...record, hidden: [] }
  return { ...record, command: record.command.with(flag + 1, '<chat template>'), hidden: [flag + 1] }
}

/** One JSON file per running server under MLX_MANAGER_HOME/run, written atomically. */
export function createPidFiles(dir: string): PidFiles {
  const path = (profileId: number) => join(dir, `profile-${profileId}.json`)
  return {
    write(record) {
      ensurePrivateDir(dir)
      const target = path(record.profileId)
      writePrivateFile(`${target}.tmp`, JSON.stringify(record, null, 2))
      renameSync(`${target}.tmp`, target)
    },
    list() {
      let names: string[]
      try {
        names = readdirSync(dir)
      } catch {
        return []
      }
      const records: PidRecord[] = []
      for (const name of names) {
        if (!/^profile-\d+\.json$/.test(name)) continue
        try {
          const value: unknown = JSON.parse(readFileSync(join(dir, name), 'utf8'))
          if (isRecord(value)) records.push(withheld({ ...value, readyAt: value.readyAt ?? null, profileUpdatedAt: value.profileUpdatedAt ?? '' }))
          else rmSync(join(dir, name), { force: true })
        } catch {
          rmSync(join(dir, name), { force: true }) // unreadable: nothing can be done with it
        }
      }
      return records
    },
    remove(profileId) {
      rmSync(path(profileId), { force: true })
    },
  }
}
