/**
 * `npm run doctor`: what the manager sees on this machine, one section each. It reads only; it
 * never installs, starts or writes anything, and it always exits 0 (a missing piece is a finding).
 */
import { existsSync, statfsSync } from 'node:fs'
import { cpus, release, type as osType } from 'node:os'
import { dirname } from 'node:path'
import pkg from '../package.json'
import { loadConfig, type Config } from '../server/config'
import { machineMemory } from '../server/features/catalog/machine'
import { CONSTRAINTS } from '../server/features/engines/constraints'
import { engineEnvironment } from '../server/features/engines/environment'
import { systemEngineHost } from '../server/features/engines/host'
import { EngineInstaller, MANAGED, findPython } from '../server/features/engines/installer'
import { systemInstallerHost } from '../server/features/engines/installer-host'
import { EngineService } from '../server/features/engines/service'
import { EventBus } from '../server/features/events/bus'
import { readGpuWiredLimit, runCommand } from '../server/features/system/macos'
import { readSystemMemory } from '../server/features/system/memory'
import { launchdTarget, parseLaunchctlPrint } from '../server/service-install/launchd-status'
import { systemdPath } from '../server/service-install/systemd'
import { memoryBudget } from '../shared/memory-fit'
import { formatBytes } from '../shared/units'
import { findBrowser } from '../tests/e2e/find-browser'

type Row = [label: string, value: string]
interface Section {
  title: string
  rows: Row[]
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

function system(): Section {
  const cores = cpus()
  const appleSilicon = process.platform === 'darwin' && process.arch === 'arm64'
  return {
    title: 'System',
    rows: [
      ['OS', `${osType()} ${release()} (${process.platform} ${process.arch})`],
      ['CPU', `${cores[0]?.model.trim() ?? 'unknown'}, ${cores.length} ${cores.length === 1 ? 'core' : 'cores'}`],
      ['Apple silicon', appleSilicon ? 'yes' : 'no (MLX runs on the CPU here, or CUDA with an NVIDIA GPU)'],
      ['Bun', Bun.version],
    ],
  }
}

async function python(): Promise<Section> {
  const minimum = MANAGED['mlx_lm.server']?.minPython ?? [3, 10]
  try {
    const found = await findPython(systemInstallerHost(), minimum)
    return { title: 'Python', rows: [['path', found.path], ['version', found.version], [`${minimum.join('.')} or newer`, 'yes']] }
  } catch (error) {
    return { title: 'Python', rows: [[`${minimum.join('.')} or newer`, `no: ${message(error)}`]] }
  }
}

async function engines(config: Config): Promise<Section> {
  const installer = new EngineInstaller({ host: systemInstallerHost(), home: config.home, bus: new EventBus(), constraints: CONSTRAINTS, env: process.env })
  const service = new EngineService({ host: systemEngineHost, enginePath: config.enginePath, env: engineEnvironment(process.env, config), managed: installer })
  const rows: Row[] = []
  for (const engine of await service.list()) {
    if (engine.name === 'custom') continue
    const where = engine.source === 'managed' ? 'managed by the manager' : 'found on PATH or MLX_MANAGER_ENGINE_PATH'
    const installHere = engine.installable ? 'the manager can install it (Engines screen)' : `the manager cannot install it here: ${engine.notInstallableReason ?? 'unknown reason'}`
    rows.push([engine.name, engine.installed ? `${engine.version ?? 'version unknown'}, ${where}: ${engine.path ?? ''}` : `missing; ${installHere}`])
  }
  return { title: 'Engines', rows }
}

function memory(): Section {
  const read = machineMemory(() => readSystemMemory())
  const machine = read()
  const budget = memoryBudget(machine)
  const rows: Row[] = [
    ['total', formatBytes(machine.totalBytes)],
    ['available now', formatBytes(machine.availableBytes)],
  ]
  if (process.platform === 'darwin') {
    const limit = readGpuWiredLimit()
    rows.push(['GPU limit', limit === null ? 'not set (sysctl iogpu.wired_limit_mb is 0 or absent)' : `${formatBytes(limit)} (sysctl iogpu.wired_limit_mb)`])
  }
  rows.push(['model budget', formatBytes(budget.budgetBytes)], ['worked out', budget.appleSilicon ? `${budget.explanation} (Here: none, since doctor does not ask a running manager.)` : budget.explanation])
  return { title: 'Memory', rows }
}

/** Free space where a folder is, or would be made. */
function freeSpace(path: string): string {
  let at = path
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at)
  try {
    const stats = statfsSync(at)
    return `${formatBytes(Number(stats.bavail) * Number(stats.bsize))} free`
  } catch (error) {
    return `unknown (${message(error)})`
  }
}

function folders(config: Config): Section[] {
  const state = (path: string) => (existsSync(path) ? 'exists' : 'not made yet')
  return [
    { title: 'HuggingFace cache', rows: [['folder', config.hfHubCache], ['state', state(config.hfHubCache)], ['disk', freeSpace(config.hfHubCache)], ['hub', config.hfEndpoint]] },
    { title: 'Data folder', rows: [['folder', config.home], ['state', state(config.home)], ['disk', freeSpace(config.home)]] },
  ]
}

function browser(): Section {
  const found = findBrowser()
  if (found.ok) return { title: 'Browser for tests', rows: [['browser', `${found.browser.source}: ${found.browser.path}`]] }
  return { title: 'Browser for tests', rows: [['browser', `none. ${found.message.replaceAll('\n', '\n    ')}`]] }
}

function loginService(): Section {
  const home = process.env.HOME ?? ''
  if (process.platform === 'darwin') {
    const uid = process.getuid?.() ?? 501
    const status = parseLaunchctlPrint(runCommand(['launchctl', 'print', launchdTarget(uid)]) ?? '')
    const value = !status.loaded
      ? 'not installed (bun server/cli.ts install-service adds it)'
      : `launchd agent ${status.state ?? 'loaded'}${status.pid === null ? '' : `, pid ${status.pid}`}${status.lastExitCode === null ? '' : `, last exit code ${status.lastExitCode}`}`
    return { title: 'Login service', rows: [['launchd', value]] }
  }
  if (process.platform === 'linux') {
    const unit = systemdPath(home)
    return { title: 'Login service', rows: [['systemd', existsSync(unit) ? `user unit at ${unit}` : 'not installed (bun server/cli.ts install-service adds it)']] }
  }
  return { title: 'Login service', rows: [['service', `not supported on ${process.platform}`]] }
}

function render(sections: Section[]): string {
  const width = Math.max(...sections.flatMap((section) => section.rows.map(([label]) => label.length))) + 2
  const blocks = sections.map((section) => [section.title, ...section.rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`)].join('\n'))
  return `MLX Manager ${pkg.version}: what it sees on this machine\n\n${blocks.join('\n\n')}\n`
}

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig(process.env, pkg.version)
  } catch (error) {
    console.log(`Configuration: ${message(error)}`)
    return
  }
  const sections = [system(), await python(), await engines(config), memory(), ...folders(config), browser(), loginService()]
  process.stdout.write(render(sections))
}

await main()
