import type { Profile } from '../../../shared/profiles'
import { probeReady, reachableBaseUrl, type Fetcher } from '../engines/readiness'
import { ENGINES } from '../engines/registry'
import type { ServerLogs } from './logs'
import type { PidFiles, PidRecord } from './pid-files'
import { sameCommand, watchForeignExit, type ExitInfo, type ProcessHost } from './process-host'
import { newRun, type Run } from './run'
import { within, type SupervisorTiming } from './timing'

export interface AdoptionDeps {
  pidFiles: PidFiles
  processes: ProcessHost
  profiles: { find(id: number): Profile | null }
  fetch: Fetcher
  logs: Pick<ServerLogs, 'note'>
  timing: Pick<SupervisorTiming, 'adoptProbeMs' | 'adoptedPollMs' | 'stopGraceMs' | 'killWaitMs'>
  logger?: Pick<Console, 'error'>
  /** Makes a healthy server left by a previous manager the supervisor's own. */
  adopt(record: PidRecord, run: Run, exited: Promise<ExitInfo>): void
}

/** Takes over servers a previous manager left running and healthy; stops the rest. */
export async function recover(deps: AdoptionDeps): Promise<void> {
  for (const record of deps.pidFiles.list()) {
    try {
      await recoverOne(record, deps)
    } catch (error) {
      deps.logger?.error(error)
    }
  }
}

async function recoverOne(record: PidRecord, deps: AdoptionDeps): Promise<void> {
  const { processes } = deps
  if (!processes.isAlive(record.pid) || !sameCommand(processes.commandLine(record.pid), record.command, record.hidden)) {
    deps.pidFiles.remove(record.profileId)
    return
  }
  const profile = deps.profiles.find(record.profileId)
  const baseUrl = reachableBaseUrl(record.host, record.port)
  const healthy = profile !== null && (await probeReady(deps.fetch, ENGINES[record.engine].readiness, baseUrl, AbortSignal.timeout(deps.timing.adoptProbeMs)))
  if (!healthy || profile === null) {
    await cleanUp(record, profile === null ? 'its profile was deleted' : 'it did not answer its health check', deps)
    return
  }
  const watch = watchForeignExit(processes, record.pid, deps.timing.adoptedPollMs)
  const run = newRun(record.pid, record.engine, record.host, record.port, record.command, record.profileUpdatedAt, watch.cancel, record.hidden)
  run.settle()
  deps.adopt(record, run, watch.exited)
}

/** Ends a server left by a previous manager that cannot be adopted. */
async function cleanUp(record: PidRecord, why: string, deps: AdoptionDeps): Promise<void> {
  const { processes, timing } = deps
  processes.signalGroup(record.pid, 'SIGTERM')
  const watch = watchForeignExit(processes, record.pid, 50)
  if (!(await within(watch.exited, timing.stopGraceMs))) {
    processes.signalGroup(record.pid, 'SIGKILL')
    await within(watch.exited, timing.killWaitMs)
  }
  watch.cancel()
  processes.signalGroup(record.pid, 'SIGKILL', true)
  deps.pidFiles.remove(record.profileId)
  if (deps.profiles.find(record.profileId) !== null) {
    deps.logs.note(record.profileId, `stopped pid ${record.pid} left by a previous manager: ${why}`)
  }
}
