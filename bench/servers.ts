// Server supervision figures: start-to-ready overhead over the engine's own load time, and the CPU
// cost of sampling the process trees of 10 running servers. Engines are the stand-in (tests/fixtures/engine).
import { join } from 'node:path'
import { createApp } from '../server/app'
import { loadConfig } from '../server/config'
import { openDatabase } from '../server/db/database'
import type { ServerStatus } from '../shared/servers'
import { FAST_TIMING, standinEnv } from '../tests/fixtures/engine/harness'
import { fmt, freePort, row, tempHome, timeToFirst200 } from './lib'
import { median as middle } from '../server/features/metrics/service'

const RUNS = 5

const median = (values: number[]): number => middle(values) ?? Number.NaN

function makeApp(env: Record<string, string> = {}) {
  const home = tempHome()
  const config = loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), PORT: '1' })
  return createApp({
    config,
    db: openDatabase(':memory:'),
    secret: 'bench-secret-that-is-long-enough-for-hs256',
    logger: { error: () => undefined },
    serving: { env: standinEnv(env), timing: { ...FAST_TIMING, readyTimeoutMs: 30_000, statsIntervalMs: 60_000 } },
  })
}

/** Milliseconds from asking the supervisor to start until it publishes `ready`. */
async function startToReady(app: ReturnType<typeof makeApp>, profileId: number): Promise<number> {
  let resolveReady = (_at: number) => undefined as void
  const ready = new Promise<number>((resolve) => (resolveReady = resolve))
  const unsubscribe = app.bus.subscribe(({ event }) => {
    if (event.type !== 'servers.state') return
    const status: ServerStatus = event.data
    if (status.profileId === profileId && status.state === 'ready') resolveReady(performance.now())
    if (status.profileId === profileId && status.state === 'failed') throw new Error(status.failure?.message)
  })
  const started = performance.now()
  await app.serving.supervisor.start(profileId)
  const at = await ready
  unsubscribe()
  await app.serving.supervisor.stop(profileId)
  return at - started
}

async function readiness() {
  for (const engine of ['mlx-openai-server', 'mlx_lm.server'] as const) {
    for (const loadMs of [300, 1000]) {
      const app = makeApp()
      const profile = await app.serving.profiles.create({ name: `${engine} ${loadMs}`, model: `standin/load-${loadMs}ms`, engine, port: await freePort() })
      await startToReady(app, profile.id) // warm: engine discovery runs once per executable
      const times: number[] = []
      for (let i = 0; i < RUNS; i++) times.push(await startToReady(app, profile.id))
      const ms = median(times)
      row(`start→ready ${engine}, load ${loadMs} ms`, fmt.ms(ms), fmt.ms(loadMs), fmt.ratio(ms / loadMs), 'overhead < 100 ms', ms - loadMs < 100)
      if (engine === 'mlx-openai-server') {
        const direct = median(await Promise.all([0, 1, 2].map(() => spawnAndPoll(loadMs))))
        row(`  same engine alone, polled every 1 ms`, fmt.ms(direct), fmt.ms(loadMs), fmt.ratio(direct / loadMs), '(for comparison)', true)
      }
      await app.serving.supervisor.stopAll()
    }
  }
}

/** The engine on its own, spawned directly and polled as fast as possible: what no supervisor can beat. */
async function spawnAndPoll(loadMs: number): Promise<number> {
  const port = await freePort()
  const argv = [join(import.meta.dir, '..', 'tests', 'fixtures', 'engine', 'mlx-openai-server'), 'launch', '--model-path', `standin/load-${loadMs}ms`, '--host', '127.0.0.1', '--port', String(port)]
  const { ms, child } = await timeToFirst200(argv, `http://127.0.0.1:${port}/health`, standinEnv() as Record<string, string>)
  child.kill()
  await child.exited
  return ms
}

function cpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

async function sampling() {
  const app = makeApp()
  const ids: number[] = []
  for (let i = 0; i < 10; i++) {
    const profile = await app.serving.profiles.create({ name: `server ${i}`, model: 'standin/load-100ms', port: await freePort() })
    ids.push(profile.id)
  }
  await Promise.all(ids.map((id) => app.serving.supervisor.start(id, { wait: true })))
  const running = app.serving.supervisor.list().filter((status) => status.state === 'ready').length
  const ticks = 200
  app.serving.supervisor.sampleStats()
  const before = cpuMs()
  for (let i = 0; i < ticks; i++) app.serving.supervisor.sampleStats()
  const perTick = (cpuMs() - before) / ticks
  // What many tools do instead: spawn `ps` each tick.
  const psBefore = performance.now()
  for (let i = 0; i < 20; i++) Bun.spawnSync(['ps', '-axo', 'pid=,ppid=,pgid=,rss=,time='], { stdout: 'pipe' })
  const psTick = (performance.now() - psBefore) / 20
  const intervalMs = 2000
  const share = (perTick / intervalMs) * 100
  row(`sampling ${running} servers, per tick`, fmt.ms(perTick), `${fmt.ms(psTick)} ps`, fmt.ratio(perTick / psTick), '—', true)
  row(`sampling ${running} servers, one core`, `${share.toFixed(3)} %`, `every ${intervalMs / 1000} s`, '', '< 1 % of one core', share < 1)
  await app.serving.supervisor.stopAll()
}

await readiness()
await sampling()
