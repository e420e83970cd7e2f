import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ServerEvent } from '../../../../shared/events'
import { openEvents, type EventConnection } from '../../api/client'
import { useAuthStore } from '../auth/store'
import { useBenchmarksStore } from '../benchmarks/store'
import { useDownloadsStore } from '../downloads/store'
import { useEnginesStore } from '../engines/store'
import { useHostsStore } from '../hosts/store'
import { useLibraryStore } from '../models/store'
import { usePeersStore } from '../peers/store'
import { useProfilesStore } from '../profiles/store'
import { useServersStore } from '../servers/store'
import { useSystemStore } from '../system/store'
import { useUsersStore } from '../users/store'

export type StreamState = 'idle' | 'connecting' | 'open' | 'reconnecting'

/** How long to wait before opening the stream again after the browser gave up on it. */
export const RECONNECT_DELAY_MS = 5000

/**
 * The one live connection of a signed-in tab. It hands each event to the store that owns that
 * state, so the rest of the app never polls.
 */
export const useEventsStore = defineStore('events', () => {
  const state = ref<StreamState>('idle')
  let connection: EventConnection | null = null
  let retry: ReturnType<typeof setTimeout> | null = null

  function dispatch(event: ServerEvent): void {
    switch (event.type) {
      case 'users.pending':
        useUsersStore().setPendingCount(event.data.count)
        break
      case 'system.memory':
        useSystemStore().setMemory(event.data)
        break
      case 'session.user':
        void useAuthStore().applyAccountChange(event.data)
        break
      case 'downloads.progress':
        useDownloadsStore().applyProgress(event.data)
        break
      case 'downloads.state':
        useDownloadsStore().applyState(event.data)
        // A download starting, pausing or stopping changes how its folder shows in the library.
        useLibraryStore().changed()
        break
      case 'downloads.removed':
        useDownloadsStore().drop(event.data.ids)
        break
      case 'models.changed':
        useLibraryStore().changed()
        break
      case 'profiles.changed':
        useProfilesStore().upsert(event.data)
        break
      case 'profiles.deleted':
        useProfilesStore().drop(event.data.id)
        useServersStore().forget(event.data.id)
        break
      case 'servers.state':
        useServersStore().applyState(event.data)
        break
      case 'servers.stats':
        useServersStore().applyStats(event.data)
        break
      case 'chat.metrics':
        useServersStore().chatMetricsChanged(event.data)
        break
      case 'benchmarks.progress':
        useBenchmarksStore().apply(event.data)
        break
      case 'engines.install':
        useEnginesStore().applyInstall(event.data)
        break
      case 'peers.state':
        usePeersStore().apply(event.data)
        break
      case 'peers.removed':
        usePeersStore().drop(event.data.id)
        break
      case 'hosts.changed':
        useHostsStore().apply(event.data)
        break
      case 'hosts.removed':
        useHostsStore().drop(event.data.id)
        break
    }
  }

  function cancelRetry(): void {
    if (retry !== null) clearTimeout(retry)
    retry = null
  }

  /** The browser stopped retrying (the manager refused the stream): find out why before trying again. */
  async function recover(): Promise<void> {
    const auth = useAuthStore()
    await auth.refresh()
    if (auth.user === null || connection !== null) return
    cancelRetry()
    retry = setTimeout(() => {
      retry = null
      connect()
    }, RECONNECT_DELAY_MS)
  }

  function connect(): void {
    if (connection !== null) return
    cancelRetry()
    state.value = 'connecting'
    const opened = openEvents({
      onEvent: dispatch,
      onOpen: () => {
        state.value = 'open'
        // Changes made before this stream existed (say, an admin changed this account while the page
        // loaded, or while the connection was down) were never sent on it: confirm who is signed in.
        void useAuthStore().refresh()
        // Progress and library changes sent while the stream was down are lost: fetch the lists once.
        void useDownloadsStore().catchUp()
        void useLibraryStore().catchUp()
        // Server states too: a start that turned ready while the stream was down would look stuck.
        const servers = useServersStore()
        if (servers.loaded) void servers.load()
        const profiles = useProfilesStore()
        if (profiles.loaded) void profiles.load()
        // A list shown from this device's copy while offline is replaced by the live one.
        const users = useUsersStore()
        if (users.loaded) void users.load()
      },
      onError: (why) => {
        if (why === 'reconnecting') {
          state.value = 'reconnecting'
          useAuthStore().markUnreachable()
          return
        }
        if (connection === opened) connection = null
        opened.close()
        state.value = 'idle'
        void recover()
      },
    })
    connection = opened
  }

  function disconnect(): void {
    cancelRetry()
    connection?.close()
    connection = null
    state.value = 'idle'
  }

  /** Opens a fresh stream, e.g. after becoming an admin, so the first events match the new rights. */
  function reconnect(): void {
    disconnect()
    connect()
  }

  return { state, connect, disconnect, reconnect }
})
