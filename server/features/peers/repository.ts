import type { Database } from 'bun:sqlite'

interface PeerRow {
  id: number
  name: string
  url: string
  api_key: string
  available_to_members: number
  created_at: string
}

/** A peer as stored: with the key, which only the service and the relay ever read. */
export interface StoredPeer {
  id: number
  name: string
  url: string
  apiKey: string
  availableToMembers: boolean
  createdAt: string
}

const toPeer = (row: PeerRow): StoredPeer => ({
  id: row.id,
  name: row.name,
  url: row.url,
  apiKey: row.api_key,
  availableToMembers: row.available_to_members === 1,
  createdAt: row.created_at,
})

/** SQLite access for peers; the only place that knows the peers table. */
export function createPeerRepository(db: Database) {
  const all = db.query<PeerRow, []>('SELECT * FROM peers ORDER BY name COLLATE NOCASE, id')
  const byId = db.query<PeerRow, [number]>('SELECT * FROM peers WHERE id = ?')
  return {
    list: () => all.all().map(toPeer),
    find: (id: number) => {
      const row = byId.get(id)
      return row === null ? null : toPeer(row)
    },
    insert: (peer: Omit<StoredPeer, 'id'>): StoredPeer => {
      const { lastInsertRowid } = db
        .query('INSERT INTO peers (name, url, api_key, available_to_members, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(peer.name, peer.url, peer.apiKey, peer.availableToMembers ? 1 : 0, peer.createdAt)
      return { ...peer, id: Number(lastInsertRowid) }
    },
    remove: (id: number) => {
      db.query('DELETE FROM peers WHERE id = ?').run(id)
    },
  }
}

export type PeerRepository = ReturnType<typeof createPeerRepository>
