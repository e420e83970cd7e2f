import { chmodSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Config } from '../config'
import { launchdCommands, launchdPath, launchdPlist } from './launchd'
import { serviceEnvironment, type ServiceSpec } from './spec'
import { systemdCommands, systemdPath, systemdUnit } from './systemd'

export interface CommandResult {
  ok: boolean
  output: string
}

export type CommandRunner = (argv: string[]) => CommandResult

export interface ServiceFiles {
  write(path: string, content: string): void
  remove(path: string): boolean
}

export interface ServiceOptions {
  platform: NodeJS.Platform
  /** The user's home directory, where the agent or unit file goes. */
  home: string
  config: Config
  env: Record<string, string | undefined>
  /** The Bun executable and the manager's entry point. */
  program: string[]
  uid: number
  run: CommandRunner
  files?: ServiceFiles
  /** Write the file only; print the commands that would load it. */
  noStart?: boolean
}

export interface ServiceReport {
  path: string
  content: string | null
  /** Commands run (or to run by hand), and whether each worked. */
  steps: { command: string; ok: boolean | null; output: string }[]
  ok: boolean
}

export class ServiceError extends Error {
  override name = 'ServiceError'
}

export const systemServiceFiles: ServiceFiles = {
  write(path, content) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, content, { mode: 0o600 })
    // It may hold HF_TOKEN: readable by its owner only, even when it already existed.
    chmodSync(path, 0o600)
  },
  remove(path) {
    if (!existsSync(path)) return false
    rmSync(path, { force: true })
    return true
  },
}

export const spawnRunner: CommandRunner = (argv) => {
  try {
    const result = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
    return { ok: result.exitCode === 0, output: `${result.stdout.toString()}${result.stderr.toString()}`.trim() }
  } catch (error) {
    return { ok: false, output: error instanceof Error ? error.message : String(error) }
  }
}

function kind(platform: NodeJS.Platform): 'launchd' | 'systemd' {
  if (platform === 'darwin') return 'launchd'
  if (platform === 'linux') return 'systemd'
  throw new ServiceError(`install-service supports macOS (launchd) and Linux (systemd), not ${platform}.`)
}

export function serviceSpec(options: Pick<ServiceOptions, 'config' | 'env' | 'program'>): ServiceSpec {
  return {
    program: options.program,
    workingDirectory: options.config.home,
    logPath: join(options.config.home, 'logs', 'manager.log'),
    environment: serviceEnvironment(options.config, options.env),
  }
}

/** The file this platform's service manager reads, and its content for the current configuration. */
export function serviceFile(options: Pick<ServiceOptions, 'platform' | 'home' | 'config' | 'env' | 'program'>): { path: string; content: string } {
  const spec = serviceSpec(options)
  return kind(options.platform) === 'launchd'
    ? { path: launchdPath(options.home), content: launchdPlist(spec) }
    : { path: systemdPath(options.home), content: systemdUnit(spec) }
}

function runSteps(steps: { argv: string[]; mayFail: boolean }[], options: ServiceOptions, report: ServiceReport): void {
  for (const step of steps) {
    const command = step.argv.join(' ')
    if (options.noStart === true) {
      report.steps.push({ command, ok: null, output: '' })
      continue
    }
    const result = options.run(step.argv)
    report.steps.push({ command, ok: result.ok, output: result.output })
    if (!result.ok && !step.mayFail) {
      report.ok = false
      return
    }
  }
}

/** Writes the launch agent or user unit and loads it so the manager starts now and at every login. */
export function installService(options: ServiceOptions): ServiceReport {
  const { path, content } = serviceFile(options)
  mkdirSync(join(options.config.home, 'logs'), { recursive: true })
  ;(options.files ?? systemServiceFiles).write(path, content)
  const report: ServiceReport = { path, content, steps: [], ok: true }
  const commands = kind(options.platform) === 'launchd' ? launchdCommands(path, options.uid).install : systemdCommands().install
  runSteps(commands, options, report)
  return report
}

/** Stops the service, stops it starting at login, and removes its file. */
export function uninstallService(options: ServiceOptions): ServiceReport {
  const { path } = serviceFile(options)
  const report: ServiceReport = { path, content: null, steps: [], ok: true }
  if (kind(options.platform) === 'launchd') {
    runSteps(launchdCommands(path, options.uid).uninstall, options, report)
    ;(options.files ?? systemServiceFiles).remove(path)
  } else {
    const commands = systemdCommands()
    runSteps(commands.uninstall, options, report)
    ;(options.files ?? systemServiceFiles).remove(path)
    runSteps(commands.afterUninstall, options, report)
  }
  return report
}
