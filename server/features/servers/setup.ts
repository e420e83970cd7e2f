import type { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import type { ProfileFields } from '../../../shared/profiles'
import type { Config } from '../../config'
import { AccessViews } from '../access/views'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import type { EventBus } from '../events/bus'
import { DistributedLauncher, profileKvBytes, readLocalModel } from '../distributed/service'
import { engineRoutes } from '../engines'
import { engineEnvironment } from '../engines/environment'
import { systemEngineHost, type EngineHost } from '../engines/host'
import { EngineService } from '../engines/service'
import { CONSTRAINTS } from '../engines/constraints'
import { EngineInstaller } from '../engines/installer'
import { systemInstallerHost, type InstallerHost } from '../engines/installer-host'
import { hostRoutes } from '../hosts'
import { systemRunner, type CommandRunner } from '../hosts/preflight'
import { createHostRepository } from '../hosts/repository'
import { HostService } from '../hosts/service'
import { profileRoutes } from '../profiles'
import { PortRegistry } from '../profiles/port-registry'
import { systemPortProbe, type PortProbe } from '../profiles/ports'
import { profileReads } from '../profiles/reads'
import { createProfileRepository } from '../profiles/repository'
import { ProfileService } from '../profiles/service'
import { ChatTemplateRules, systemTemplateFiles, templatesFolder, type TemplateFiles } from '../templates/location'
import { serverRoutes } from '.'
import { createLogFiles } from './log-files'
import { launchEnv } from './launch-env'
import { ServerLogs, type ServerLogsOptions } from './logs'
import { createPidFiles } from './pid-files'
import { systemProcessHost, type ProcessHost } from './process-host'
import { systemProcessTable, type ProcessTable } from './process-table'
import { ServerSupervisor, type SupervisorTiming } from './service'
import type { SupervisorClock } from './timing'
import { TreeStats } from './stats'

export interface ServingDeps {
  config: Config
  db: Database
  bus: EventBus
  logger?: Pick<Console, 'error'>
  /** The environment engines' variables are picked from (tests put the stand-in engine on its PATH). */
  env?: Record<string, string | undefined>
  timing?: Partial<SupervisorTiming>
  clock?: SupervisorClock
  logOptions?: ServerLogsOptions
  /** Seams for tests. */
  ports?: PortProbe
  processes?: ProcessHost
  processTable?: ProcessTable
  engineHost?: EngineHost
  installerHost?: InstallerHost
  templateFiles?: TemplateFiles
  fetch?: (url: string, init?: RequestInit) => Promise<Response>
  /** How host checks run programs (the probe, SSH). */
  hostRunner?: CommandRunner
  /** The HuggingFace token at each engine start (Settings may change it); the config's when left out. */
  hfToken?: () => string | null
  /** What a profile created without an engine or idle time gets (Settings). */
  profileDefaults?: () => Pick<ProfileFields, 'engine' | 'idleTimeoutMinutes'>
}

/** Profiles, engines and the server supervisor, wired to each other and to the real OS. */
export function createServing(deps: ServingDeps) {
  const { config } = deps
  // HF_TOKEN is added at each start (launchEnv), so a token changed in Settings reaches the next one.
  const env = engineEnvironment(deps.env ?? process.env, { ...config, hfToken: null })
  const hfToken = deps.hfToken ?? (() => config.hfToken)
  const chatTemplates = new ChatTemplateRules(deps.templateFiles ?? systemTemplateFiles, {
    hfHubCache: config.hfHubCache,
    templatesDir: templatesFolder(config.home),
  })
  // The installer runs pip with the manager's whole environment (proxies, pip settings), unlike engines.
  const installerEnv = deps.env ?? process.env
  const installer = new EngineInstaller({
    host: deps.installerHost ?? systemInstallerHost(installerEnv.PATH),
    home: config.home,
    bus: deps.bus,
    constraints: CONSTRAINTS,
    env: installerEnv,
  })
  const engines = new EngineService({ host: deps.engineHost ?? systemEngineHost, enginePath: config.enginePath, env, managed: installer })
  // The supervisor only reads profiles and shares the port registry with them, so it is built first.
  const repository = createProfileRepository(deps.db)
  const ports = new PortRegistry({ probe: deps.ports ?? systemPortProbe, profiles: repository, reservedPorts: [config.port] })
  const logs = new ServerLogs(createLogFiles(join(config.home, 'logs')), deps.logOptions)
  const hosts = new HostService({
    hosts: createHostRepository(deps.db),
    usingHost: (hostId) => repository.usingHost(hostId),
    findProfile: (id) => repository.find(id),
    kvCacheBytes: (profile) => profileKvBytes(profile, config.hfHubCache),
    runner: deps.hostRunner ?? systemRunner,
    ssh: config.sshCommand,
    publish: (event) => deps.bus.publish(event, { kind: 'admins' }),
  })
  const rankEnv = launchEnv({ hfHubCache: config.hfHubCache, which: (name) => Bun.which(name, { PATH: env.PATH ?? '' }), hfToken })
  const distributed = new DistributedLauncher({
    hosts,
    runDir: join(config.home, 'run'),
    readModel: (profile) => readLocalModel(profile.model, config.hfHubCache),
    rankEnv,
    ssh: config.sshCommand,
  })
  const supervisor = new ServerSupervisor({
    profiles: profileReads(repository),
    ports,
    engines,
    bus: deps.bus,
    processes: deps.processes ?? systemProcessHost,
    stats: new TreeStats(deps.processTable ?? systemProcessTable()),
    logs,
    pidFiles: createPidFiles(join(config.home, 'run')),
    fetch: deps.fetch ?? ((url, init) => fetch(url, init)),
    chatTemplates,
    env,
    cwd: config.home,
    launchEnv: rankEnv,
    distributed,
    timing: deps.timing,
    clock: deps.clock,
    logger: deps.logger ?? console,
  })
  const profiles = new ProfileService({
    profiles: repository,
    ports,
    bus: deps.bus,
    servers: supervisor,
    chatTemplates,
    defaults: deps.profileDefaults,
    hostExists: (id) => hosts.find(id) !== null,
  })

  const views = new AccessViews({ profiles, servers: supervisor })

  function routes(session: ReturnType<typeof sessionPlugin>, watch: AccessWatch, heartbeatMs?: number) {
    return new Elysia()
      .use(profileRoutes(profiles, views, session))
      .use(engineRoutes(engines, session, installer))
      .use(serverRoutes(supervisor, logs, views, session, watch, heartbeatMs))
      .use(hostRoutes(hosts, session))
  }

  return { profiles, engines, installer, supervisor, logs, views, hosts, routes }
}

export type Serving = ReturnType<typeof createServing>
