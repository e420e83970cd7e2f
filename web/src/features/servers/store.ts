import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ServerChatMetrics } from '../../../../shared/chat'
import type { ServerStatsEvent, ServerStatus } from '../../../../shared/servers'
import { api, openServerLog, request, type EventConnection } from '../../api/client'
import { isStaleStatus } from './freshness'
import { guarded, useGuardedLoad } from '../auth/guarded'

/** How many stats samples each server keeps for its sparkline (a few minutes at the manager's rate). */
export const HISTORY_LENGTH = 60
/** Lines the log view keeps; older ones scroll away. */
export const LOG_KEEP_LINES = 2000

export interface StatsSample {
  at: number
  cpuPercent: number
  rssBytes: number
}

export type LogState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

const RUNNING = new Set(['starting', 'ready', 'stopping'])

export function isRunning(server: Pick<ServerStatus, 'state'>): boolean {
  return RUNNING.has(server.state)
}

/** Every profile's server, kept current by `servers.state` and `servers.stats` events. */
export const useServersStore = defineStore('servers', () => {
  const servers = ref<ServerStatus[]>([])
  const history = ref<Record<number, StatsSample[]>>({})
  /** Chat figures by profile id; a server that never chatted has none. */
  const chatSummaries = ref<Record<number, ServerChatMetrics>>({})
  /** Which servers have a start, stop or restart call in flight. */
  const busy = ref<Record<number, 'start' | 'stop' | 'restart'>>({})

  const byId = computed(() => new Map(servers.value.map((server) => [server.profileId, server])))
  const running = computed(() => servers.value.filter(isRunning))
  /** Resident memory the running servers hold together. */
  const heldBytes = computed(() => running.value.reduce((sum, server) => sum + (server.rssBytes ?? 0), 0))

  const { loaded, loading, loadError, updatedAt, fromDevice, load } = useGuardedLoad(
    () => request(api.servers.get()),
    (list) => (servers.value = list),
    { snapshot: 'servers' },
  )

  function applyState(status: ServerStatus): void {
    const index = servers.value.findIndex((server) => server.profileId === status.profileId)
    if (isStaleStatus(status, servers.value[index])) return
    if (index === -1) servers.value = [...servers.value, status]
    else servers.value = servers.value.map((server, i) => (i === index ? status : server))
    // A new run starts a new chart.
    if (status.state === 'starting' || status.state === 'stopped' || status.state === 'failed') {
      const { [status.profileId]: _, ...rest } = history.value
      history.value = rest
    }
  }

  function applyStats(event: ServerStatsEvent): void {
    const at = Date.parse(event.at)
    const next = { ...history.value }
    for (const sample of event.servers) {
      const server = byId.value.get(sample.profileId)
      if (server !== undefined) {
        applyState({ ...server, cpuPercent: sample.cpuPercent, rssBytes: sample.rssBytes })
      }
      next[sample.profileId] = [...(next[sample.profileId] ?? []), { at, cpuPercent: sample.cpuPercent, rssBytes: sample.rssBytes }].slice(
        -HISTORY_LENGTH,
      )
    }
    history.value = next
  }

  function forget(profileId: number): void {
    servers.value = servers.value.filter((server) => server.profileId !== profileId)
    const { [profileId]: _, ...rest } = history.value
    history.value = rest
    const { [profileId]: __, ...summaries } = chatSummaries.value
    chatSummaries.value = summaries
  }

  async function act(profileId: number, action: 'start' | 'stop' | 'restart'): Promise<ServerStatus> {
    busy.value = { ...busy.value, [profileId]: action }
    try {
      const server = api.servers({ profileId })
      const status = await guarded(() =>
        request(action === 'start' ? server.start.post({}) : action === 'stop' ? server.stop.post({}) : server.restart.post({})),
      )
      applyState(status)
      return status
    } finally {
      const { [profileId]: _, ...rest } = busy.value
      busy.value = rest
    }
  }

  // --- chat summaries (messages, tokens, medians), per server ------------------------------------

  /** Fetches every server's chat summary. A failure keeps the last figures: they are a side note. */
  async function loadChatSummaries(): Promise<void> {
    try {
      const rows = await guarded(() => request(api.metrics.servers.get()))
      chatSummaries.value = Object.fromEntries(rows.map((row) => [row.profileId, row]))
    } catch {
      // Quietly stale; the next chat.metrics event or visit tries again.
    }
  }

  /**
   * A chat reply ended somewhere (`chat.metrics`): the event carries that server's whole summary,
   * as the viewer may see it, so it replaces the row without asking the manager again.
   */
  function chatMetricsChanged(summary: ServerChatMetrics): void {
    chatSummaries.value = { ...chatSummaries.value, [summary.profileId]: summary }
  }

  const start = (profileId: number) => act(profileId, 'start')
  const stop = (profileId: number) => act(profileId, 'stop')
  const restart = (profileId: number) => act(profileId, 'restart')

  // --- the open log (one at a time) -------------------------------------------------------------
  const logProfileId = ref<number | null>(null)
  const logLines = ref<string[]>([])
  const logState = ref<LogState>('idle')
  /** Lines streamed since the log opened, past the kept window too: a paused view counts what it has not shown. */
  const logReceived = ref(0)
  let logConnection: EventConnection | null = null

  function openLog(profileId: number): void {
    closeLog()
    logProfileId.value = profileId
    logLines.value = []
    logReceived.value = 0
    logState.value = 'connecting'
    logConnection = openServerLog(profileId, {
      onTail: (lines) => {
        logLines.value = lines.slice(-LOG_KEEP_LINES)
        logState.value = 'open'
      },
      onLines: (lines) => {
        logReceived.value += lines.length
        logLines.value = [...logLines.value, ...lines].slice(-LOG_KEEP_LINES)
      },
      onError: (why) => {
        logState.value = why
      },
    })
  }

  function closeLog(): void {
    logConnection?.close()
    logConnection = null
    logProfileId.value = null
    logState.value = 'idle'
  }

  return {
    servers,
    updatedAt,
    fromDevice,
    history,
    loaded,
    loading,
    loadError,
    busy,
    byId,
    running,
    heldBytes,
    load,
    applyState,
    applyStats,
    forget,
    chatSummaries,
    loadChatSummaries,
    chatMetricsChanged,
    start,
    stop,
    restart,
    logProfileId,
    logLines,
    logState,
    logReceived,
    openLog,
    closeLog,
  }
})
