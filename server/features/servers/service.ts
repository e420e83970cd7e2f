import type { Profile } from '../../../shared/profiles'
import type { RankStatus, ServerFailure, ServerStatus } from '../../../shared/servers'
import { delay } from '../../delay'
import { AppError, conflict } from '../../http/errors'
import type { EventBus } from '../events/bus'
import type { EngineAdapter } from '../engines/adapter'
import { probeReady, type Fetcher } from '../engines/readiness'
import type { ResolvedEngine } from '../engines/service'
import type { PortRegistry } from '../profiles/port-registry'
import type { ProfileReads } from '../profiles/reads'
import type { CheckedTemplate, ChatTemplateRules } from '../templates/location'
import { recover as recoverServers } from './adoption'
import { applyRankEvent, firstEnded, rankEvent, rankFailureMessage, ranksFromLog } from '../distributed/ranks'
import { commandLines } from './command-lines'
import { classifyExit } from './exit'
import { describeExit, displayCommand, duration, spawnFailureReason } from './failure'
import type { ServerLogs } from './logs'
import { STARTUP_TAIL_LINES, startupFailure, watchStartup } from './startup-log'
import type { PidFiles, PidRecord } from './pid-files'
import type { ExitInfo, ProcessHost } from './process-host'
import { planRestart } from './restart-policy'
import { FRESH_RUN, newEntry, newRun, type Entry, type Run } from './run'
import { SamplingTimer, sampleEntries } from './sampling'
import type { TreeStats } from './stats'
import { buildStatus } from './status'
import { DEFAULT_TIMING, probeInterval, systemSupervisorClock, type SupervisorClock, type SupervisorTiming } from './timing'

export { DEFAULT_TIMING, type SupervisorTiming } from './timing'

/** Where running servers' ports are recorded and checked (shared with the profiles). */
export type PortLedger = Pick<PortRegistry, 'hold' | 'release' | 'holderOf' | 'assertFree'>

export interface EngineResolver {
  resolve(profile: Profile): Promise<ResolvedEngine>
}

/** The command lines of one start; a distributed start also names its ranks. */
export interface LaunchLines {
  command: string[]
  shown: string[]
  hidden: number[]
  ranks?: RankStatus[]
  /** A folder put first on the engine's PATH (mlx.launch finds its `ssh` there). */
  pathPrefix?: string
}

/** Checks a distributed profile's hosts and model, writes its hostfile, and answers the mlx.launch command. */
export interface DistributedPlanner {
  plan(profile: Profile, resolved: ResolvedEngine, template: CheckedTemplate | null): Promise<LaunchLines>
}

export interface SupervisorDeps {
  profiles: ProfileReads
  ports: PortLedger
  engines: EngineResolver
  bus: EventBus
  processes: ProcessHost
  stats: TreeStats
  logs: ServerLogs
  pidFiles: PidFiles
  fetch: Fetcher
  /** Checks (again: the file may have changed since the save) and reads a profile's chat template. */
  chatTemplates: Pick<ChatTemplateRules, 'check'>
  /** The environment engines run with. */
  env: Record<string, string | undefined>
  /** Variables for one start (offline when the model is already in the cache); also readies the cache folder. */
  launchEnv?: (profile: Profile) => Record<string, string>
  cwd: string
  /** Distributed profiles (several hosts) start through this; without it they cannot start. */
  distributed?: DistributedPlanner
  timing?: Partial<SupervisorTiming>
  /** Readiness and stop waits; the system clock unless a test moves time itself. */
  clock?: SupervisorClock
  logger?: Pick<Console, 'error'>
}

const FAILURE_TAIL_LINES = 40
/**
 * A rank's own output ends a moment before mlx.launch reports its exit code (and, for a non-zero
 * code, stops the others and exits): the failure waits this long for that report.
 */
const RANK_REPORT_WAIT_MS = 1_500

/** The fields of an entry that are published as its status. */
type EntryChange = Partial<Omit<Entry, 'profileId' | 'launching' | 'restartTimer'>>

/** How often a burst of idle-stop time changes is published. */
const IDLE_PUBLISH_MS = 1000

/**
 * Starts, watches and stops model servers. Every state change is published as `servers.state`;
 * CPU and memory of each process tree as `servers.stats` while anything runs.
 */
export class ServerSupervisor {
  private readonly entries = new Map<number, Entry>()
  private readonly timing: SupervisorTiming
  private readonly clock: SupervisorClock
  // Calls through `this` so that a replaced `sampleStats` is the one the timer runs.
  private readonly sampling: SamplingTimer
  private shuttingDown = false
  /** When each entry was last published, and the publication waiting to coalesce changes. */
  private readonly publishing = new Map<number, { at: number; timer: ReturnType<typeof setTimeout> | null }>()

  constructor(private readonly deps: SupervisorDeps) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing }
    this.clock = deps.clock ?? systemSupervisorClock
    this.sampling = new SamplingTimer(() => this.sampleStats(), this.timing.statsIntervalMs)
  }

  list(): ServerStatus[] {
    return this.deps.profiles.list().map((profile) => buildStatus(this.entry(profile.id), profile))
  }

  get(profileId: number): ServerStatus {
    return buildStatus(this.entry(profileId), this.deps.profiles.get(profileId))
  }

  /** True while the profile's server is being launched, runs, or stops. */
  isActive(profileId: number): boolean {
    const entry = this.entries.get(profileId)
    return entry !== undefined && (entry.launching !== null || entry.run !== null)
  }

  holderOf(port: number): { profileId: number; name: string } | null {
    return this.deps.ports.holderOf(port)
  }

  /** Starts the server; with `wait`, answers once it is ready or has failed. */
  async start(profileId: number, options: { wait?: boolean; auto?: boolean } = {}): Promise<ServerStatus> {
    const profile = this.deps.profiles.get(profileId)
    const entry = this.entry(profileId)
    if (this.shuttingDown) throw conflict('shutting-down', 'MLX Manager is shutting down; start the server after it restarts.')
    // A start under way is joined, not refused: concurrent first requests cause one start.
    if (entry.launching !== null || (entry.run !== null && entry.state === 'starting')) return this.join(entry, options.wait === true)
    if (entry.run !== null) {
      const what = entry.state === 'stopping' ? 'is stopping; start it again once it has stopped' : 'is already running'
      throw conflict('server-running', `The server of "${profile.name}" ${what}.`)
    }
    this.cancelRestart(entry)
    if (options.auto !== true) entry.restarts = 0
    const launching = this.launch(entry, profile, options.auto === true)
    entry.launching = launching
    try {
      await launching
    } finally {
      entry.launching = null
    }
    // launch() has set entry.run by now; read it afresh (TypeScript still holds the earlier check).
    const run = this.entries.get(profileId)?.run ?? null
    if (options.wait === true && run !== null) await run.settled
    return this.get(profileId)
  }

  /** When the serving pool will stop this idle server (null: it will not); shown on its tile. */
  setIdleStop(profileId: number, at: string | null): void {
    const entry = this.entries.get(profileId)
    if (entry === undefined || entry.idleStopsAt === at) return
    // The pool clears and sets the time around every request, so a busy server would publish twice
    // per request to every open page: the time is always current here, and published at most once a
    // second (the last change always goes out).
    this.update(entry, { idleStopsAt: at }, 'coalesce')
  }

  /** Follows a start someone else began: once launched, and with `wait` until ready or failed. */
  private async join(entry: Entry, wait: boolean): Promise<ServerStatus> {
    if (entry.launching !== null) await entry.launching.catch(() => undefined)
    const run = entry.run
    if (wait && run !== null) await run.settled
    return this.get(entry.profileId)
  }

  /** Stops the server (SIGTERM, then SIGKILL after the grace period) and answers once it has exited. */
  async stop(profileId: number): Promise<ServerStatus> {
    this.deps.profiles.get(profileId)
    const entry = this.entry(profileId)
    const hadRestart = this.cancelRestart(entry)
    if (entry.launching !== null) await entry.launching.catch(() => undefined)
    const run = entry.run
    if (run !== null) await this.terminate(entry, run)
    else if (hadRestart) this.publish(entry)
    return this.get(profileId)
  }

  async restart(profileId: number, options: { wait?: boolean } = {}): Promise<ServerStatus> {
    await this.stop(profileId)
    return this.start(profileId, options)
  }

  /** Takes over servers a previous manager left running and healthy; stops the rest. */
  async recover(): Promise<void> {
    const { pidFiles, processes, profiles, fetch, logs, logger } = this.deps
    await recoverServers({ pidFiles, processes, profiles, fetch, logs, logger, timing: this.timing, adopt: (record, run, exited) => this.adopt(record, run, exited) })
  }

  /** Starts every profile marked auto-start that is not already running. */
  async autoStart(): Promise<void> {
    for (const profile of this.deps.profiles.list()) {
      if (!profile.autoStart || this.isActive(profile.id)) continue
      await this.start(profile.id, { auto: true }).catch(() => undefined)
    }
  }

  /** On manager shutdown: stop every server cleanly and leave no pid files behind. */
  async stopAll(): Promise<void> {
    this.shuttingDown = true
    for (const entry of this.entries.values()) this.cancelRestart(entry)
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        if (entry.launching !== null) await entry.launching.catch(() => undefined)
        if (entry.run !== null) await this.terminate(entry, entry.run)
      }),
    )
    this.updateSampling()
    this.deps.logs.stopAll()
    for (const { timer } of this.publishing.values()) if (timer !== null) clearTimeout(timer)
    this.publishing.clear()
  }

  /** A profile changed: its tile shows the new name, and a running server whether it needs a restart. */
  profileChanged(profile: Profile): void {
    const entry = this.entries.get(profile.id)
    if (entry !== undefined) this.publish(entry, profile)
  }

  profileDeleted(profileId: number): void {
    const entry = this.entries.get(profileId)
    if (entry !== undefined) this.cancelRestart(entry)
    this.entries.delete(profileId)
    this.deps.logs.forget(profileId)
  }

  /** Samples CPU and memory now (the timer calls this; the benchmark calls it directly). */
  sampleStats(): void {
    sampleEntries(this.entries.values(), this.deps)
  }

  private async launch(entry: Entry, profile: Profile, auto: boolean): Promise<void> {
    let resolved: ResolvedEngine
    let template: CheckedTemplate | null = null
    let lines: LaunchLines
    try {
      resolved = await this.deps.engines.resolve(profile)
      // The OS may have changed its mind since the save.
      await this.deps.ports.assertFree(profile.host, profile.port, profile.id)
      if (profile.chatTemplateFile !== null && resolved.adapter.chatTemplate !== null) {
        template = this.deps.chatTemplates.check(profile.model, profile.chatTemplateFile)
      }
      lines = await this.launchLines(profile, resolved, template)
    } catch (error) {
      // Nobody is there to read an auto-start's error response: show it on the server's tile instead.
      if (auto && error instanceof AppError) this.failBeforeSpawn(entry, error.message)
      throw error
    }
    const { command, shown, hidden } = lines
    const output = this.deps.logs.beginRun(profile.id)
    let spawned
    try {
      this.deps.logs.note(profile.id, `starting ${profile.engine}: ${displayCommand(shown)}`)
      const env = { ...this.deps.env, ...this.deps.launchEnv?.(profile) }
      if (lines.pathPrefix !== undefined) env.PATH = [lines.pathPrefix, env.PATH].filter((part) => part !== undefined && part !== '').join(':')
      spawned = this.deps.processes.spawn(command, { env, cwd: this.deps.cwd, outputFd: output })
    } catch (error) {
      const reason = spawnFailureReason(error)
      this.deps.logs.note(profile.id, `could not start: ${reason}`)
      this.deps.logs.endRun(profile.id)
      const message = `${command[0] ?? profile.engine} could not be started: ${reason}`
      this.failBeforeSpawn(entry, message)
      throw conflict('spawn-failed', message)
    } finally {
      this.deps.logs.closeRunOutput(output)
    }
    const ranks = lines.ranks ?? null
    // A distributed server's ranks are told apart by their tagged log lines.
    const unwatch = ranks === null ? () => undefined : this.deps.logs.subscribe(profile.id, (added) => this.onRankLines(entry, run, added))
    const run = newRun(spawned.pid, profile.engine, profile.host, profile.port, shown, profile.updatedAt, unwatch, hidden)
    this.update(entry, { ...FRESH_RUN, ranks, run, state: 'starting', startedAt: new Date().toISOString(), lastCommand: shown })
    this.writePidFile(entry, run)
    run.done = spawned.exited.then((exit) => this.onExit(entry, run, exit))
    this.updateSampling()
    this.awaitReady(entry, run, resolved.adapter).catch((error: unknown) => this.deps.logger?.error(error))
  }

  private async awaitReady(entry: Entry, run: Run, adapter: EngineAdapter): Promise<void> {
    const started = this.clock.now()
    const deadline = started + this.timing.readyTimeoutMs
    const { signal } = run.readiness
    const log = watchStartup(() => startupFailure(adapter.name, this.deps.logs.tail(entry.profileId, STARTUP_TAIL_LINES)), signal)
    while (!signal.aborted) {
      const remaining = deadline - this.clock.now()
      const fatal = log.failure()
      if (fatal !== null) {
        const name = this.deps.profiles.find(entry.profileId)?.name ?? 'The server'
        // The engine keeps running after such a failure; waiting would only end at the readiness timeout.
        run.failure = { reason: 'error-in-log', message: `"${name}" failed to start: ${fatal}` }
        this.deps.logs.note(entry.profileId, 'its log shows the start failed; stopping it')
        await this.terminate(entry, run)
        return
      }
      if (remaining <= 0) {
        const name = this.deps.profiles.find(entry.profileId)?.name ?? 'The server'
        run.failure = {
          reason: 'readiness-timeout',
          message: `"${name}" did not pass its readiness check within ${duration(this.timing.readyTimeoutMs)}, so it was stopped. Its log may say why; a very large model may need more time.`,
        }
        this.deps.logs.note(entry.profileId, `not ready after ${duration(this.timing.readyTimeoutMs)}; stopping it`)
        await this.terminate(entry, run)
        return
      }
      // A one-token completion waits for the load itself; the other checks should answer at once.
      const probeMs = adapter.readiness === 'one-token' ? remaining : Math.min(remaining, 2_000)
      const ready = await probeReady(this.deps.fetch, adapter.readiness, run.baseUrl, AbortSignal.any([signal, log.signal, AbortSignal.timeout(probeMs)]))
      if (signal.aborted || entry.run !== run) return
      if (log.signal.aborted) continue
      if (ready) {
        log.stop()
        const readyAt = new Date().toISOString()
        this.writePidFile(entry, run, readyAt)
        this.deps.logs.note(entry.profileId, `ready after ${duration(this.clock.now() - started)} at ${run.baseUrl}/v1`)
        run.settle()
        this.update(entry, { state: 'ready', readyAt, ranks: entry.ranks?.map((rank) => (rank.state === 'exited' ? rank : { ...rank, state: 'ready' })) ?? null })
        return
      }
      await this.clock.delay(probeInterval(this.clock.now() - started), signal)
    }
  }

  private terminate(entry: Entry, run: Run): Promise<void> {
    if (run.stopping !== null) return run.stopping
    run.stopRequested = true
    run.readiness.abort()
    const distributed = entry.ranks !== null
    this.update(entry, { state: 'stopping' })
    run.stopping = (async () => {
      this.deps.logs.note(entry.profileId, 'stopping: sent SIGTERM')
      this.deps.processes.signalGroup(run.pid, 'SIGTERM')
      if (!(await this.clock.within(run.done, this.timing.stopGraceMs))) {
        this.deps.logs.note(entry.profileId, `still running after ${duration(this.timing.stopGraceMs)}: sent SIGKILL`)
        this.deps.processes.signalGroup(run.pid, 'SIGKILL')
        if (!(await this.clock.within(run.done, this.timing.killWaitMs))) this.onExit(entry, run, { code: null, signal: 'SIGKILL' })
      }
      if (distributed) await this.portReleased(entry.profileId, run)
    })()
    return run.stopping
  }

  /**
   * mlx.launch exits before its ranks have: a rank's process lets go of its listening socket only
   * once its last thread is gone. Stopped means a start right after finds the port free.
   */
  private async portReleased(profileId: number, run: Run): Promise<void> {
    const deadline = Date.now() + this.timing.killWaitMs
    for (;;) {
      try {
        await this.deps.ports.assertFree(run.host, run.port, profileId)
        return
      } catch {
        if (Date.now() > deadline) return
        await delay(25)
      }
    }
  }

  private onExit(entry: Entry, run: Run, exit: ExitInfo): void {
    if (entry.run !== run) return
    run.readiness.abort()
    run.cancelWatch()
    // Helpers the engine started may outlive it; nothing of the group is wanted once the leader is gone.
    this.deps.processes.signalGroup(run.pid, 'SIGKILL', true)
    this.deps.logs.note(entry.profileId, describeExit(exit.code, exit.signal))
    this.deps.logs.endRun(entry.profileId)
    this.deps.pidFiles.remove(entry.profileId)
    const logTail = this.deps.logs.tail(entry.profileId, FAILURE_TAIL_LINES)
    const name = this.deps.profiles.find(entry.profileId)?.name ?? 'The server'
    // mlx.launch exits 0 after a rank dies: which rank, and why, is in the log.
    if (entry.ranks !== null && run.failure === null && !run.stopRequested) this.rankFailed(entry, run)
    const outcome = classifyExit({ name, previous: entry.state, stopRequested: run.stopRequested, failure: run.failure, exit, logTail })
    const restart = outcome.kind === 'crashed' ? this.restartAfterCrash(entry, outcome.failure) : null
    run.settle()
    this.update(entry, {
      run: null,
      state: outcome.state,
      failure: outcome.failure,
      exitCode: exit.code,
      signal: exit.signal,
      stoppedAt: new Date().toISOString(),
      cpuPercent: null,
      rssBytes: null,
      ranks: entry.ranks?.map((rank) => (rank.state === 'exited' ? rank : { ...rank, state: 'stopped' })) ?? null,
      ...restart?.change,
    })
    this.updateSampling()
    if (restart !== null && restart.waitMs !== null) this.armRestart(entry, restart.waitMs)
  }

  private async launchLines(profile: Profile, resolved: ResolvedEngine, template: CheckedTemplate | null): Promise<LaunchLines> {
    if (profile.distributedHosts.length === 0) return commandLines(resolved, profile, template)
    if (this.deps.distributed === undefined) throw conflict('distributed-unavailable', `"${profile.name}" runs on several hosts, which this manager cannot start.`)
    return this.deps.distributed.plan(profile, resolved, template)
  }

  /** New log lines of a distributed server: ranks heard from, and a rank that ended ends the whole server. */
  private onRankLines(entry: Entry, run: Run, lines: string[]): void {
    if (entry.run !== run || entry.ranks === null) return
    let ranks = entry.ranks
    let ended = false
    for (const line of lines) {
      const event = rankEvent(line)
      if (event === null) continue
      ranks = applyRankEvent(ranks, event)
      ended ||= event.kind === 'ended'
    }
    if (ranks !== entry.ranks) this.update(entry, { ranks })
    if (!ended || run.stopRequested || run.failure !== null || run.rankEnding) return
    run.rankEnding = true
    setTimeout(() => {
      if (entry.run !== run || run.stopRequested || run.failure !== null) return
      this.rankFailed(entry, run)
      void this.terminate(entry, run)
    }, RANK_REPORT_WAIT_MS).unref()
  }

  private rankFailed(entry: Entry, run: Run): void {
    const lines = this.deps.logs.tail(entry.profileId, STARTUP_TAIL_LINES)
    const first = firstEnded(lines)
    if (first === null || entry.ranks === null) return
    entry.ranks = ranksFromLog(entry.ranks, lines)
    const name = this.deps.profiles.find(entry.profileId)?.name ?? 'The server'
    const ready = entry.state === 'ready'
    run.failure = { reason: ready ? 'crashed' : 'exited', message: rankFailureMessage(name, entry.ranks, first, lines, ready) }
    this.deps.logs.note(entry.profileId, `rank ${first.rank} ended; stopping the other ranks`)
  }

  /** The restart a crash leads to, as a change to the entry; null when the profile does not restart on a crash. */
  private restartAfterCrash(entry: Entry, failure: ServerFailure | null): { change: EntryChange; waitMs: number | null } | null {
    const profile = this.deps.profiles.find(entry.profileId)
    if (profile === null || !profile.restartOnCrash || this.shuttingDown || failure === null) return null
    const plan = planRestart(entry.restarts, entry.readyAt, Date.now(), this.timing)
    const nextRestartAt = plan.waitMs === null ? entry.nextRestartAt : new Date(Date.now() + plan.waitMs).toISOString()
    return { change: { restarts: plan.restarts, nextRestartAt, failure: { ...failure, message: failure.message + plan.note } }, waitMs: plan.waitMs }
  }

  private armRestart(entry: Entry, waitMs: number): void {
    entry.restartTimer = setTimeout(() => {
      // Published by the start that follows (or, when it cannot start, by the catch).
      entry.restartTimer = null
      entry.nextRestartAt = null
      entry.restarts++
      this.start(entry.profileId, { auto: true }).catch(() => this.publish(entry))
    }, waitMs)
    entry.restartTimer.unref()
  }

  private cancelRestart(entry: Entry): boolean {
    if (entry.restartTimer === null) return false
    clearTimeout(entry.restartTimer)
    entry.restartTimer = null
    entry.nextRestartAt = null
    return true
  }

  private failBeforeSpawn(entry: Entry, message: string): void {
    const failure: ServerFailure = { reason: 'spawn-failed', message, logTail: this.deps.logs.tail(entry.profileId, FAILURE_TAIL_LINES) }
    this.update(entry, { state: 'failed', failure, stoppedAt: new Date().toISOString() })
  }

  private adopt(record: PidRecord, run: Run, exited: Promise<ExitInfo>): void {
    const entry = this.entry(record.profileId)
    this.deps.logs.resume(record.profileId)
    this.deps.logs.note(record.profileId, `adopted by a new manager (pid ${process.pid}); still answering at ${run.baseUrl}`)
    this.update(entry, {
      run,
      state: 'ready',
      startedAt: record.startedAt,
      readyAt: record.readyAt ?? new Date().toISOString(),
      stoppedAt: null,
      exitCode: null,
      signal: null,
      failure: null,
      lastCommand: record.command,
      adopted: true,
    })
    this.writePidFile(entry, run)
    run.done = exited.then((exit) => this.onExit(entry, run, exit))
    this.updateSampling()
  }

  private writePidFile(entry: Entry, run: Run, readyAt = entry.readyAt): void {
    this.deps.pidFiles.write({
      profileId: entry.profileId,
      pid: run.pid,
      engine: run.engine,
      host: run.host,
      port: run.port,
      command: run.command,
      hidden: run.hidden,
      startedAt: entry.startedAt ?? new Date().toISOString(),
      readyAt,
      profileUpdatedAt: run.profileUpdatedAt,
      managerPid: process.pid,
    })
  }

  /** Samples while any server runs, and not at all otherwise. */
  private updateSampling(): void {
    this.sampling.update([...this.entries.values()].some((entry) => entry.run !== null))
  }

  private entry(profileId: number): Entry {
    let entry = this.entries.get(profileId)
    if (entry === undefined) {
      entry = newEntry(profileId)
      this.entries.set(profileId, entry)
    }
    return entry
  }

  /**
   * Every change to what an entry shows goes through here, so each one is published: at once, or
   * (`coalesce`, for changes that come in bursts) within IDLE_PUBLISH_MS of the last publication.
   */
  private update(entry: Entry, change: EntryChange, when: 'now' | 'coalesce' = 'now'): void {
    Object.assign(entry, change)
    if (change.run === null) this.deps.ports.release(entry.profileId)
    else if (change.run !== undefined) this.deps.ports.hold(entry.profileId, change.run.port)
    if (when === 'now') this.publish(entry)
    else this.publishSoon(entry)
  }

  private publish(entry: Entry, profile = this.deps.profiles.find(entry.profileId)): void {
    const pending = this.publishing.get(entry.profileId)
    if (pending?.timer != null) clearTimeout(pending.timer)
    this.publishing.set(entry.profileId, { at: Date.now(), timer: null })
    if (profile === null) return
    this.deps.bus.publish({ type: 'servers.state', data: buildStatus(entry, profile) })
  }

  private publishSoon(entry: Entry): void {
    const last = this.publishing.get(entry.profileId) ?? { at: 0, timer: null }
    if (last.timer !== null) return
    const wait = last.at + IDLE_PUBLISH_MS - Date.now()
    if (wait <= 0 || this.shuttingDown) return this.publish(entry)
    const timer = setTimeout(() => this.publish(entry), wait)
    timer.unref?.()
    this.publishing.set(entry.profileId, { at: last.at, timer })
  }
}
