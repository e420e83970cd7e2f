import type { Database } from 'bun:sqlite'
import { Elysia } from 'elysia'
import { memoryBudget } from '../shared/memory-fit'
import type { SystemMemory } from '../shared/events'
import type { Config } from './config'
import { authRoutes } from './features/auth'
import { benchmarkRoutes } from './features/benchmarks'
import { createBenchmarkRepository } from './features/benchmarks/repository'
import { BenchmarkService } from './features/benchmarks/service'
import { catalogRoutes } from './features/catalog'
import { chatRoutes } from './features/chat'
import { ChatService } from './features/chat/service'
import type { ExchangeDeps } from './features/chat/exchange'
import { systemChatUpstream, type ChatUpstream } from './features/chat/upstream'
import { machineMemory } from './features/catalog/machine'
import { CatalogService } from './features/catalog/service'
import { downloadRoutes } from './features/downloads'
import { systemDownloadDisk, type DownloadDisk } from './features/downloads/disk'
import { createDownloadHub } from './features/downloads/hub'
import type { DownloadOptions } from './features/downloads/options'
import { createDownloadRepository } from './features/downloads/repository'
import { DownloadService } from './features/downloads/service'
import { argon2idHasher, type PasswordHasher } from './features/auth/passwords'
import { AuthService } from './features/auth/service'
import { AccessWatch } from './features/auth/access-watch'
import { SessionTokens, sessionPlugin, sessionSigner } from './features/auth/session'
import { createSessionRepository } from './features/auth/sessions'
import { SetupCode } from './features/auth/setup-code'
import { LoginThrottle, RegisterThrottle } from './features/auth/throttle'
import { EventBus } from './features/events/bus'
import { eventRoutes } from './features/events'
import { gatewayRoutes } from './features/gateway'
import { messagesRoutes } from './features/gateway/anthropic'
import { GatewayService } from './features/gateway/service'
import { healthRoutes } from './features/health'
import { keyRoutes } from './features/keys'
import { createApiKeyRepository } from './features/keys/repository'
import { ApiKeyService } from './features/keys/service'
import { memoryUsageRoutes } from './features/memory-usage'
import { systemPeakReader, type PeakReader } from './features/memory-usage/readers'
import { createMemoryPeakRepository } from './features/memory-usage/repository'
import { MemoryUsageService } from './features/memory-usage/service'
import { metricsRoutes } from './features/metrics'
import { createMetricsRepository } from './features/metrics/repository'
import { MetricsService } from './features/metrics/service'
import { metricsGauges } from './features/metrics/gauges'
import { createObservability, type ObservabilityOptions } from './features/usage/setup'
import { modelRoutes } from './features/models'
import { systemCacheReader } from './features/models/cache-reader'
import { createModelUsageRepository } from './features/models/repository'
import { recordModelUseOnReady, servingModelUsage } from './features/models/serving-usage'
import { LocalModelService } from './features/models/service'
import { createServing, type ServingDeps } from './features/servers/setup'
import { poolMemory } from './features/serving/memory'
import type { PoolClock, PoolOptions } from './features/serving/model'
import { ServingPool } from './features/serving/pool'
import { peerRoutes } from './features/peers'
import type { PeerTiming } from './features/peers/model'
import { PeerRelay } from './features/peers/relay'
import { createPeerRepository } from './features/peers/repository'
import { PeerService } from './features/peers/service'
import { settingsRoutes } from './features/settings'
import { diskSpace } from './features/settings/disk'
import { HubTokenStore } from './features/settings/hub-token'
import { createSettingsRepository } from './features/settings/repository'
import { SettingsService } from './features/settings/service'
import { systemRoutes } from './features/system'
import { templateRoutes } from './features/templates'
import { systemTemplateDisk } from './features/templates/disk'
import { templatesFolder } from './features/templates/location'
import { TemplateService } from './features/templates/service'
import { readSystemMemory } from './features/system/memory'
import { MemorySampler } from './features/system/sampler'
import { userRoutes } from './features/users'
import { createUserRepository, toPublicUser } from './features/users/repository'
import { UserAdminService } from './features/users/service'
import { webRoutes } from './features/web'
import { createHubClient } from './hub/client'
import { declaredLimits, type BodyLimitTable, type RouteList } from './http/body-limit'
import { httpEdge } from './http/edge'
import { errorHandler } from './http/error-handler'

export interface AppDeps {
  config: Config
  db: Database
  secret: string
  /** Seams for tests: a cheap hasher, a fixed clock, a fake memory reader. */
  hasher?: PasswordHasher
  now?: () => Date
  readMemory?: () => SystemMemory
  heartbeatMs?: number
  logger?: Pick<Console, 'error'>
  /** Tests: the address a request seems to come from (a socket's peer otherwise). */
  clientAddress?: (request: Request) => string | undefined
  /** Download tuning (tests shorten timeouts), the hub's fetch and the disk, as seams. */
  downloads?: Partial<DownloadOptions>
  hubFetch?: typeof fetch
  downloadDisk?: DownloadDisk
  /** Profiles and model servers: the engines' environment, supervisor timing and OS seams. */
  serving?: Partial<Omit<ServingDeps, 'config' | 'db' | 'bus'>>
  /** Chat: the engine call and how long a silent engine is waited for. */
  chat?: { upstream?: ChatUpstream; idleTimeoutMs?: number; heartbeatMs?: number }
  /** The serving pool: its clock (tests drive idle stops with a fake one) and limits. */
  pool?: { clock?: PoolClock; options?: Partial<PoolOptions> }
  /** How a server's peak memory is read (the platform's own way by default). */
  peakReader?: PeakReader
  /** Benchmarks: how often memory is sampled during a request. */
  benchmarks?: { sampleEveryMs?: number }
  /** Request history: retention tiers, sample window, rollup timer. */
  observability?: ObservabilityOptions
  /** Other managers: how fast links notice silence and reconnect. */
  peers?: { timing?: Partial<PeerTiming> }
}

/** Wires services to their adapters and mounts every feature's routes. */
export function createApp(deps: AppDeps) {
  const bus = new EventBus()
  const users = createUserRepository(deps.db)
  // Streams end when their session does: the watch hears of every removed session and account change.
  const watch: AccessWatch = new AccessWatch((sessionId) => auth.authenticate(sessionId), bus)
  const sessions = watch.watchSessions(createSessionRepository(deps.db))
  const hasher = deps.hasher ?? argon2idHasher
  const nowMs = () => (deps.now?.() ?? new Date()).getTime()
  const auth = new AuthService({
    users,
    sessions,
    hasher,
    bus,
    throttle: new LoginThrottle(nowMs),
    registerThrottle: new RegisterThrottle(nowMs),
    setupCode: new SetupCode(),
    now: deps.now,
  })
  const userAdmin = new UserAdminService({ users, sessions, hasher, bus })
  const memory = new MemorySampler(bus, deps.readMemory ?? (() => readSystemMemory()))
  // One HuggingFace token for the catalog, downloads and engines, read on each use so Settings changes it at once.
  const settingsRepo = createSettingsRepository(deps.db)
  const hubToken = new HubTokenStore(settingsRepo, deps.config.hfToken)
  const settings = new SettingsService({
    repo: settingsRepo,
    token: hubToken,
    hubEndpoint: deps.config.hfEndpoint,
    cacheDir: deps.config.hfHubCache,
    disk: diskSpace,
    tokenChanged: () => catalog.forgetAnswers(),
  })
  const hub = createHubClient({ endpoint: deps.config.hfEndpoint, token: () => hubToken.current(), fetch: deps.hubFetch })
  const serving = createServing({
    config: deps.config,
    db: deps.db,
    bus,
    logger: deps.logger,
    hfToken: () => hubToken.current(),
    profileDefaults: () => settings.profileDefaults(),
    ...deps.serving,
  })
  const keys = new ApiKeyService({
    keys: createApiKeyRepository(deps.db),
    users: { findById: (id) => { const user = users.findById(id); return user === null ? null : toPublicUser(user) } },
    profiles: serving.profiles,
    revoked: () => watch.changed(),
    now: deps.now,
    logger: deps.logger,
  })
  const tokens = new SessionTokens(auth, sessionSigner(deps.secret), keys)
  const session = sessionPlugin(auth, tokens, deps.clientAddress)
  const downloads = new DownloadService({
    repo: createDownloadRepository(deps.db),
    hub: createDownloadHub(hub),
    disk: deps.downloadDisk ?? systemDownloadDisk,
    bus,
    cacheDir: deps.config.hfHubCache,
    options: deps.downloads,
    logger: deps.logger ?? console,
  })
  const models = new LocalModelService({
    cacheDir: deps.config.hfHubCache,
    reader: systemCacheReader,
    bus,
    downloads,
    usageRecords: createModelUsageRepository(deps.db),
  })
  models.useModelUsage(servingModelUsage(serving))
  recordModelUseOnReady(bus, serving, models)
  const metrics = new MetricsService({
    repo: createMetricsRepository(deps.db),
    bus,
    db: deps.db,
    gauges: metricsGauges({ db: deps.db, servers: () => serving.supervisor.list(), memory: () => memory.current() }),
    logger: deps.logger,
  })
  const observability = createObservability({
    db: deps.db,
    bus,
    flush: () => metrics.flush(),
    profiles: serving.profiles,
    now: deps.now,
    retentionDays: deps.config.retentionDays,
    options: deps.observability,
    logger: deps.logger,
  })
  const memoryUsage = new MemoryUsageService({
    repo: createMemoryPeakRepository(deps.db),
    bus,
    reader: deps.peakReader ?? systemPeakReader(),
    profiles: serving.profiles,
    now: deps.now,
    logger: deps.logger ?? console,
  })
  // Running servers count at their measured peak when they have one: a server still loading grows to it.
  const machine = machineMemory(deps.readMemory ?? (() => readSystemMemory()), () => memoryUsage.heldBytes(serving.supervisor.list()))
  const pool = new ServingPool({
    profiles: serving.profiles,
    servers: serving.supervisor,
    memory: poolMemory({
      budget: () => memoryBudget(machine()),
      servers: () => serving.supervisor.list(),
      held: (servers) => memoryUsage.heldBytes(servers),
      measuredPeak: (profile) => memoryUsage.measuredFor(profile)?.peakBytes ?? null,
      localModel: async (modelId) => (await models.list()).find((model) => model.id === modelId) ?? null,
      localRanks: (profile) => profile.distributedHosts.filter((id) => serving.hosts.find(id)?.local === true).length,
    }),
    bus,
    clock: deps.pool?.clock,
    options: deps.pool?.options,
    logger: deps.logger ?? console,
  })
  // One engine exchange for chat and every gateway API: the same watchdog, measurements and records.
  const exchange: ExchangeDeps = {
    upstream: deps.chat?.upstream ?? systemChatUpstream,
    record: (record) => metrics.record(record),
    idleTimeoutMs: deps.chat?.idleTimeoutMs ?? 120_000,
    now: deps.now ?? (() => new Date()),
    clock: () => performance.now(),
  }
  const chat = new ChatService({ profiles: serving.views, servers: serving.supervisor, serving: pool, exchange })
  const catalog = new CatalogService({
    hub,
    machine,
    measurements: (modelId) => memoryUsage.measurements(modelId),
  })
  const benchmarks = new BenchmarkService({
    repo: createBenchmarkRepository(deps.db),
    bus,
    profiles: serving.profiles,
    servers: serving.supervisor,
    memory: memoryUsage,
    modelContext: async (modelId) => (await models.list()).find((model) => model.id === modelId)?.contextLength ?? null,
    sampleEveryMs: deps.benchmarks?.sampleEveryMs,
    now: deps.now,
    logger: deps.logger ?? console,
  })

  // Other managers: followed over their feeds; their profiles are relayed to, never awaited by local requests.
  const ownKey = (apiKey: string) => {
    try {
      keys.authenticate(apiKey)
      return true
    } catch {
      return false
    }
  }
  const peers = new PeerService({ repo: createPeerRepository(deps.db), bus, ownKey, timing: deps.peers?.timing, now: deps.now })
  const relay = new PeerRelay({ peers, localName: (model) => serving.profiles.list().some((p) => p.name === model || p.aliases.includes(model)) })
  peers.start()
  const peerFeed = {
    bus,
    profiles: serving.profiles,
    servers: serving.supervisor,
    owner: (id: number) => {
      const user = users.findById(id)
      return user === null ? null : toPublicUser(user)
    },
  }

  const gateway = new GatewayService({ profiles: serving.profiles, servers: serving.supervisor, serving: pool, exchange, usage: metrics })
  const gatewayOptions = { keyValid: (id: number) => keys.stillValid(id), heartbeatMs: deps.chat?.heartbeatMs, peers: relay }
  // Read from the routes' own `bodyLimit` options at the first request, when every route exists.
  let bodyLimitTable: BodyLimitTable | undefined
  let routes: RouteList = []
  const app = new Elysia()
    .use(errorHandler(deps.logger))
    .use(httpEdge({ config: deps.config, signedIn: (request) => tokens.signedIn(request), bodyLimits: () => (bodyLimitTable ??= declaredLimits(routes)) }))
    .use(healthRoutes(deps.config.version))
    .use(authRoutes(auth, session))
    .use(userRoutes(userAdmin, session))
    .use(settingsRoutes(settings, auth, session))
    .use(systemRoutes(memory, session))
    .use(
      eventRoutes(
        {
          bus,
          auth,
          users: userAdmin,
          memory,
          watch,
          availableToMembers: (id) => serving.profiles.find(id)?.availableToMembers === true,
          memberProfiles: () => serving.profiles.list().filter((profile) => profile.availableToMembers).map((profile) => profile.id),
          heartbeatMs: deps.heartbeatMs,
        },
        session,
      ),
    )
    .use(downloadRoutes(downloads, session))
    .use(modelRoutes(models, session))
    .use(catalogRoutes(catalog, session))
    .use(serving.routes(session, watch, deps.heartbeatMs))
    .use(templateRoutes(new TemplateService({ disk: systemTemplateDisk, dir: templatesFolder(deps.config.home) }), session))
    .use(chatRoutes(chat, session, watch, deps.chat?.heartbeatMs, relay))
    .use(peerRoutes({ peers, feed: peerFeed, watch, keyValid: (id) => keys.stillValid(id) }, session))
    .use(keyRoutes(keys, session, gateway))
    .use(gatewayRoutes(gateway, session, watch, gatewayOptions))
    .use(messagesRoutes(gateway, session, watch, gatewayOptions))
    .use(metricsRoutes(metrics, session, (viewer, profileId) => viewer.isAdmin || serving.profiles.find(profileId)?.availableToMembers === true, { tokens, auth }))
    .use(observability.routes(session))
    .use(memoryUsageRoutes(memoryUsage, session))
    .use(benchmarkRoutes(benchmarks, serving.profiles, session))
    .use(webRoutes(deps.config.webDist))

  routes = app.routes
  return { app, bus, auth, keys, peers, relay, memory, downloads, models, serving, pool, metrics, observability, memoryUsage, benchmarks, watching: () => watch.watching }
}

export type App = ReturnType<typeof createApp>['app']
