import type { Database } from 'bun:sqlite'
import type { Host, HostFields } from '../../../shared/hosts'

interface HostRow {
  id: number
  name: string
  address: string
  ssh_user: string | null
  python_env: string
  local: number
  rdma_device: string | null
  created_at: string
  updated_at: string
}

function toHost(row: HostRow): Host {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    sshUser: row.ssh_user,
    pythonEnv: row.python_env,
    local: row.local === 1,
    rdmaDevice: row.rdma_device,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

type Value = string | number | null

const values = (fields: HostFields): Value[] => [fields.name, fields.address, fields.sshUser, fields.pythonEnv, fields.local ? 1 : 0, fields.rdmaDevice]

/** SQLite access for hosts; the only place that knows the hosts table. */
export function createHostRepository(db: Database) {
  const byId = db.query<HostRow, [number]>('SELECT * FROM hosts WHERE id = ?')
  const insert = db.query<HostRow, Value[]>(
    'INSERT INTO hosts (name, address, ssh_user, python_env, local, rdma_device, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
  )
  const update = db.query<HostRow, Value[]>(
    'UPDATE hosts SET name = ?, address = ?, ssh_user = ?, python_env = ?, local = ?, rdma_device = ?, updated_at = ? WHERE id = ? RETURNING *',
  )
  return {
    list: () => db.query<HostRow, []>('SELECT * FROM hosts ORDER BY name COLLATE NOCASE, id').all().map(toHost),
    find: (id: number) => {
      const row = byId.get(id)
      return row === null ? null : toHost(row)
    },
    findByName: (name: string) => {
      const row = db.query<HostRow, [string]>('SELECT * FROM hosts WHERE name = ? COLLATE NOCASE').get(name)
      return row === null ? null : toHost(row)
    },
    insert: (fields: HostFields, now: string) => {
      const row = insert.get(...values(fields), now, now)
      if (row === null) throw new Error('Inserting a host returned no row.')
      return toHost(row)
    },
    update: (id: number, fields: HostFields, now: string) => {
      const row = update.get(...values(fields), now, id)
      return row === null ? null : toHost(row)
    },
    remove: (id: number) => {
      db.query('DELETE FROM hosts WHERE id = ?').run(id)
    },
  }
}

export type HostRepository = ReturnType<typeof createHostRepository>
