import type { Database } from 'bun:sqlite'
import type { DistributedBackend, DistributedMode } from '../../../shared/hosts'
import type { EngineName, ModelType, Profile, ProfileFields } from '../../../shared/profiles'

interface ProfileRow {
  id: number
  name: string
  aliases: string
  description: string | null
  model: string
  engine: EngineName
  host: string
  port: number
  context_length: number | null
  model_type: ModelType
  tool_call_parser: string | null
  reasoning_parser: string | null
  auto_tool_choice: number
  chat_template_file: string | null
  trust_remote_code: number
  temperature: number | null
  top_p: number | null
  max_tokens: number | null
  system_prompt: string | null
  extra_args: string
  custom_command: string | null
  auto_start: number
  idle_timeout_minutes: number | null
  pinned: number
  restart_on_crash: number
  available_to_members: number
  distributed_hosts: string
  distributed_backend: DistributedBackend
  distributed_mode: DistributedMode
  created_at: string
  updated_at: string
}

function parseArgs(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json)
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
  } catch {
    return []
  }
}

/** A profile no holder can change: its arrays too. */
function frozen(profile: Profile): Profile {
  for (const value of Object.values(profile)) if (Array.isArray(value)) Object.freeze(value)
  return Object.freeze(profile)
}

function parseIds(json: string): number[] {
  try {
    const value: unknown = JSON.parse(json)
    return Array.isArray(value) ? value.filter((item): item is number => Number.isInteger(item)) : []
  } catch {
    return []
  }
}

function toProfile(row: ProfileRow): Profile {
  return {
    id: row.id,
    name: row.name,
    aliases: parseArgs(row.aliases),
    description: row.description,
    model: row.model,
    engine: row.engine,
    host: row.host,
    port: row.port,
    contextLength: row.context_length,
    modelType: row.model_type,
    toolCallParser: row.tool_call_parser,
    reasoningParser: row.reasoning_parser,
    autoToolChoice: row.auto_tool_choice === 1,
    chatTemplateFile: row.chat_template_file,
    trustRemoteCode: row.trust_remote_code === 1,
    temperature: row.temperature,
    topP: row.top_p,
    maxTokens: row.max_tokens,
    systemPrompt: row.system_prompt,
    extraArgs: parseArgs(row.extra_args),
    customCommand: row.custom_command,
    autoStart: row.auto_start === 1,
    idleTimeoutMinutes: row.idle_timeout_minutes,
    pinned: row.pinned === 1,
    restartOnCrash: row.restart_on_crash === 1,
    availableToMembers: row.available_to_members === 1,
    distributedHosts: parseIds(row.distributed_hosts),
    distributedBackend: row.distributed_backend,
    distributedMode: row.distributed_mode,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

const COLUMNS = [
  'name',
  'aliases',
  'description',
  'model',
  'engine',
  'host',
  'port',
  'context_length',
  'model_type',
  'tool_call_parser',
  'reasoning_parser',
  'auto_tool_choice',
  'chat_template_file',
  'trust_remote_code',
  'temperature',
  'top_p',
  'max_tokens',
  'system_prompt',
  'extra_args',
  'custom_command',
  'auto_start',
  'idle_timeout_minutes',
  'pinned',
  'restart_on_crash',
  'available_to_members',
  'distributed_hosts',
  'distributed_backend',
  'distributed_mode',
] as const

type Value = string | number | null

function values(fields: ProfileFields): Value[] {
  const flag = (on: boolean) => (on ? 1 : 0)
  return [
    fields.name,
    JSON.stringify(fields.aliases),
    fields.description,
    fields.model,
    fields.engine,
    fields.host,
    fields.port,
    fields.contextLength,
    fields.modelType,
    fields.toolCallParser,
    fields.reasoningParser,
    flag(fields.autoToolChoice),
    fields.chatTemplateFile,
    flag(fields.trustRemoteCode),
    fields.temperature,
    fields.topP,
    fields.maxTokens,
    fields.systemPrompt,
    JSON.stringify(fields.extraArgs),
    fields.customCommand,
    flag(fields.autoStart),
    fields.idleTimeoutMinutes,
    flag(fields.pinned),
    flag(fields.restartOnCrash),
    flag(fields.availableToMembers),
    JSON.stringify(fields.distributedHosts),
    fields.distributedBackend,
    fields.distributedMode,
  ]
}

/** SQLite access for profiles; the only place that knows the profiles table. */
export function createProfileRepository(db: Database) {
  const insert = db.query<ProfileRow, Value[]>(
    `INSERT INTO profiles (${COLUMNS.join(', ')}, created_at, updated_at) VALUES (${COLUMNS.map(() => '?').join(', ')}, ?, ?) RETURNING *`,
  )
  const update = db.query<ProfileRow, Value[]>(
    `UPDATE profiles SET ${COLUMNS.map((column) => `${column} = ?`).join(', ')}, updated_at = ? WHERE id = ? RETURNING *`,
  )
  const everyRow = db.query<ProfileRow, []>('SELECT * FROM profiles ORDER BY name COLLATE NOCASE, id')
  // Every gateway request resolves its model against the whole list and the pool looks its profile up
  // again, so the profiles are read from SQLite once and kept until the next write: they change only
  // through this repository. Kept profiles are frozen, so no caller can change them for the others.
  let kept: { list: readonly Profile[]; byId: ReadonlyMap<number, Profile> } | null = null
  const current = () => {
    if (kept === null) {
      const list = everyRow.all().map((row) => frozen(toProfile(row)))
      kept = { list, byId: new Map(list.map((profile) => [profile.id, profile])) }
    }
    return kept
  }
  const changed = <T>(result: T): T => {
    kept = null
    return result
  }
  return {
    list: (): Profile[] => [...current().list],
    find: (id: number): Profile | null => current().byId.get(id) ?? null,
    /** Names compare without case, as the unique index does. */
    findByName: (name: string) => {
      const row = db.query<ProfileRow, [string]>('SELECT * FROM profiles WHERE name = ? COLLATE NOCASE').get(name)
      return row === null ? null : toProfile(row)
    },
    findByPort: (port: number) => db.query<ProfileRow, [number]>('SELECT * FROM profiles WHERE port = ? ORDER BY id').all(port).map(toProfile),
    insert: (fields: ProfileFields, now: string) => {
      const row = changed(insert.get(...values(fields), now, now))
      if (row === null) throw new Error('Inserting a profile returned no row.')
      return toProfile(row)
    },
    update: (id: number, fields: ProfileFields, now: string) => {
      const row = changed(update.get(...values(fields), now, id))
      return row === null ? null : toProfile(row)
    },
    remove: (id: number) => {
      changed(db.query('DELETE FROM profiles WHERE id = ?').run(id))
    },
    /** Profiles that run a rank on the host. */
    usingHost: (hostId: number) =>
      db
        .query<ProfileRow, [number]>('SELECT * FROM profiles WHERE EXISTS (SELECT 1 FROM json_each(distributed_hosts) WHERE value = ?) ORDER BY name')
        .all(hostId)
        .map(toProfile),
    /** Runs `fn` holding SQLite's write lock, so "is this name free?" and the write cannot race. */
    exclusive: <T>(fn: () => T): T => {
      try {
        return db.transaction(fn).immediate()
      } finally {
        // A rolled-back write must not leave what it wrote in the kept list.
        kept = null
      }
    },
  }
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>
