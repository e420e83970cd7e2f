// A distributed profile for real: two ranks of the real mlx_lm.server on loopback (mlx.launch, ring
// backend, pipeline mode) serving the tiny test model, in one run:
// - start to ready through the manager (host preflight, model checks, hostfile, mlx.launch, rank
//   watch, readiness through rank 0) against the manager's very command and environment started by
//   hand and polled directly with the same one-token completion every millisecond.
// Needs the real-engine tier's cached environment (`bun test tests/real` makes it); skips otherwise.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { systemPortProbe } from '../server/features/profiles/ports'
import type { ServerStatus } from '../shared/servers'
import { FAST_TIMING } from '../tests/fixtures/engine/harness'
import { buildTinyModel, removeDir } from '../tests/real/setup'
import { benchApp, fmt, freePort, row, tempHome, msUntilFirstCompletion, median, environOf, cachedEngineEnvironment } from './lib'

const STARTS = Number(process.env.BENCH_STARTS ?? 5)
const TARGET_MS = 200


const venv = cachedEngineEnvironment()
if (venv === null) {
  console.log('skip  distributed: no cached mlx_lm.server environment (run `bun test tests/real` once with Python 3.10+ to make it)')
  process.exit(0)
}

/** Pipeline mode picks each rank's files from the weight index, which mlx_lm.convert writes; the tiny model gets one from its header. */
function writeWeightIndex(folder: string): void {
  const bytes = readFileSync(join(folder, 'model.safetensors'))
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, unknown>
  const weightMap = Object.fromEntries(Object.keys(header).filter((key) => key !== '__metadata__').map((key) => [key, 'model.safetensors']))
  writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }))
}

const modelDir = await buildTinyModel(venv)
writeWeightIndex(modelDir)
const home = tempHome()
mkdirSync(join(home, 'engines'), { recursive: true })
symlinkSync(venv, join(home, 'engines', 'mlx_lm.server'))
const app = benchApp({ serving: { env: { ...process.env, PATH: '/usr/bin:/bin' }, timing: { ...FAST_TIMING, readyTimeoutMs: 120_000, stopGraceMs: 5_000, statsIntervalMs: 2_000 } } }, home)
const host = app.serving.hosts.create({ name: 'this machine', address: '127.0.0.1', local: true, pythonEnv: venv })
const profile = await app.serving.profiles.create({
  name: 'tiny-2',
  model: modelDir,
  engine: 'mlx_lm.server',
  port: await freePort(),
  distributedHosts: [host.id, host.id],
  distributedMode: 'pipeline',
})

/** From the start call to the spawn of mlx.launch (preflight, checks, hostfile), per manager start. */
const spawnDelays: number[] = []

async function throughManager(): Promise<{ ms: number; command: string[]; env: Record<string, string> }> {
  let resolveReady: (status: ServerStatus) => void = () => undefined
  const ready = new Promise<ServerStatus>((resolve) => (resolveReady = resolve))
  let spawnedAt = Number.NaN
  const unsubscribe = app.bus.subscribe(({ event }) => {
    if (event.type !== 'servers.state' || event.data.profileId !== profile.id) return
    if (event.data.state === 'starting' && Number.isNaN(spawnedAt)) spawnedAt = performance.now()
    if (event.data.state === 'ready' || event.data.state === 'failed') resolveReady(event.data)
  })
  const started = performance.now()
  await app.serving.supervisor.start(profile.id)
  const status = await ready
  const ms = performance.now() - started
  spawnDelays.push(spawnedAt - started)
  unsubscribe()
  if (status.state !== 'ready') throw new Error(`the manager's start failed: ${status.failure?.message}`)
  const env = environOf(status.pid ?? 0)
  await app.serving.supervisor.stop(profile.id)
  return { ms, command: status.command ?? [], env }
}

const listeningOn = (port: number) => Bun.spawnSync(['ss', '-Hltn', `sport = :${port}`]).stdout.toString().trim() !== ''

/** mlx.launch started by hand with the same arguments and environment, in a group of its own so all its ranks can be ended. */
async function byHand(command: string[], env: Record<string, string>): Promise<number> {
  const port = Number(command[command.indexOf('--port') + 1])
  const started = performance.now()
  const child = Bun.spawn(command, { env, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', cwd: home, detached: true })
  try {
    return await msUntilFirstCompletion(port, started)
  } finally {
    process.kill(-child.pid, 'SIGKILL')
    await child.exited
    // Killed, a multi-threaded rank holds its listening socket until its last thread is gone, after
    // the launcher has exited: the next start checks the port, so wait until nothing listens there.
    while (listeningOn(port) || (await systemPortProbe.check('127.0.0.1', port)) !== 'free') await Bun.sleep(20)
  }
}

try {
  const warm = await throughManager() // the first start pays for cold disk caches
  await byHand(warm.command, warm.env)
  const manager: number[] = []
  const direct: number[] = []
  for (let i = 0; i < STARTS; i++) {
    if (i % 2 === 0) {
      manager.push((await throughManager()).ms)
      direct.push(await byHand(warm.command, warm.env))
    } else {
      direct.push(await byHand(warm.command, warm.env))
      manager.push((await throughManager()).ms)
    }
  }
  const overhead = median(manager.map((ms, i) => ms - (direct[i] ?? Number.NaN)))
  const m = median(manager)
  const d = median(direct)
  row('start→ready, 2 ranks (mlx.launch)', fmt.ms(m), fmt.ms(d), fmt.ratio(m / d), `added < ${TARGET_MS} ms`, overhead < TARGET_MS)
  console.log(
    `      manager ${manager.map((ms) => ms.toFixed(0)).join(', ')} ms; by hand ${direct.map((ms) => ms.toFixed(0)).join(', ')} ms; median paired difference ${overhead.toFixed(1)} ms, of which before the spawn (preflight, checks, hostfile) ${median(spawnDelays).toFixed(1)} ms`,
  )
} finally {
  await app.serving.supervisor.stopAll()
  removeDir(modelDir)
}
