import { join } from 'node:path'
import { createApp } from './app'
import { isLoopback, type Config } from './config'
import { openDatabase } from './db/database'
import { LARGEST_BODY_BYTES } from './http/body-limit'
import { downloadOptionsFromEnv } from './features/downloads/options'
import { tightenPrivateTree, tightenedNotice } from './private-files'
import { loadOrCreateSecret } from './secret'

export class StartError extends Error {
  override name = 'StartError'
}

function isAddressInUse(error: unknown): boolean {
  const text = error instanceof Error ? `${(error as { code?: string }).code ?? ''} ${error.message}` : String(error)
  return /EADDRINUSE|address already in use|in use/i.test(text)
}

/** Opens the data dir, builds the app and listens; returns a stop function that closes everything. */
export function startManager(config: Config, log: (line: string) => void = console.log) {
  // Before anything is opened: a home made by an older version (or by hand) may be readable by others.
  const tightened = tightenPrivateTree(config.home)
  const db = openDatabase(join(config.home, 'manager.db'))
  const { app, auth, keys, memory, downloads, serving, pool, metrics, observability, peers } = createApp({
    config,
    db,
    secret: loadOrCreateSecret(config.home),
    downloads: downloadOptionsFromEnv(process.env),
  })
  // The servers' figures and /metrics counters are summed from the stored requests once, before any request waits on it.
  metrics.warm()
  try {
    // The socket takes the largest body any route does; each route's own cap is checked per request.
    app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: LARGEST_BODY_BYTES + 1024 })
  } catch (error) {
    db.close()
    if (isAddressInUse(error)) {
      throw new StartError(
        `Port ${config.port} on ${config.host} is already in use. Stop the other program or start with --port <another port> (or PORT=...).`,
      )
    }
    throw error
  }
  memory.start()
  // Requests and samples age into per-minute, then per-hour rollups, and go after the retention.
  observability.start()
  // Downloads a stop or a crash interrupted continue from their partial files.
  downloads.start()
  // Take over servers a previous manager left running and healthy, clean up the rest, then auto-start.
  const serversReady = serving.supervisor
    .recover()
    .then(() => serving.supervisor.autoStart())
    .catch((error: unknown) => console.error(error))
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${app.server?.port ?? config.port}`
  log(`MLX Manager ${config.version} is running at ${url}`)
  log(`Data: ${config.home}  Models: ${config.hfHubCache}`)
  const notice = tightenedNotice(config.home, tightened)
  if (notice !== null) log(notice)
  if (!isLoopback(config.host)) {
    log(`Listening on ${config.host}: other machines on your network can reach this manager. Accounts still need approval.`)
    // Only someone who can read this output may make the first (admin) account from another machine.
    const setupCode = auth.pendingSetupCode()
    if (setupCode !== null) {
      log(`Setup code: ${setupCode} (enter it to create the first account from another machine; a restart makes a new one).`)
    }
  }
  return {
    url,
    port: app.server?.port ?? config.port,
    async stop() {
      memory.stop()
      // Links to other managers stop reconnecting; requests relayed to them end with the server.
      peers.close()
      // Pause transfers cleanly first: partial files stay, and the queue resumes on the next start.
      await downloads.stop()
      // Model servers stop in order (SIGTERM, then SIGKILL after a grace period) before the database closes.
      await serversReady
      pool.close()
      await serving.supervisor.stopAll()
      await app.stop(true)
      // Requests still queued and samples of the open window are written before the database closes.
      observability.stop()
      metrics.flush()
      keys.writeUses()
      db.close()
    },
  }
}
