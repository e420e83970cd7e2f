import { homedir, userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { projectRoot } from '../paths'
import { ConfigError, loadConfig, parsePort } from '../config'
import { installService, ServiceError, spawnRunner, uninstallService, type CommandRunner, type ServiceReport } from './index'

export const SERVICE_COMMANDS = ['install-service', 'uninstall-service'] as const

const HELP = {
  'install-service': `Usage: mlx-manager install-service [--port <n>] [--host <address>] [--no-start]

Writes a service that starts MLX Manager at login with the current configuration (the environment
variables in effect now, and --port/--host), then loads it:
  macOS: a launch agent in ~/Library/LaunchAgents (launchctl)
  Linux: a systemd user unit in ~/.config/systemd/user (systemctl --user)

Options:
  --port <n>        Port the service listens on (default: PORT or 8080)
  --host <address>  Address it binds (default: HOST or 127.0.0.1)
  --no-start        Write the file only and print the commands that load it`,
  'uninstall-service': `Usage: mlx-manager uninstall-service [--no-start]

Stops the MLX Manager service, removes it from login, and deletes its file.

Options:
  --no-start        Remove the file only and print the commands that unload it`,
}

export interface ServiceIo {
  out: (line: string) => void
  err: (line: string) => void
  env: Record<string, string | undefined>
  platform: NodeJS.Platform
  home: string
  uid: number
  run: CommandRunner
  version: string
}

function print(report: ServiceReport, verb: string, io: ServiceIo): void {
  io.out(`${verb} ${report.path}`)
  for (const step of report.steps) {
    if (step.ok === null) io.out(`  then run: ${step.command}`)
    else if (step.ok) io.out(`  ran: ${step.command}`)
    else io.out(`  failed: ${step.command}${step.output === '' ? '' : `\n    ${step.output.split('\n').join('\n    ')}`}`)
  }
}

/** `mlx-manager install-service` and `uninstall-service`; returns the exit code. */
export function runServiceCommand(command: (typeof SERVICE_COMMANDS)[number], args: string[], io: ServiceIo): number {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'no-start': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    io.err(`mlx-manager ${command}: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  if (values.help === true) {
    io.out(HELP[command])
    return 0
  }
  try {
    const env = { ...io.env }
    if (values.port !== undefined) env.PORT = String(parsePort(values.port, '--port'))
    if (values.host !== undefined) env.HOST = values.host
    const options = {
      platform: io.platform,
      home: io.home,
      config: loadConfig(env, io.version),
      env,
      program: [process.execPath, join(projectRoot(), 'server', 'cli.ts')],
      uid: io.uid,
      run: io.run,
      noStart: values['no-start'] === true,
    }
    if (command === 'install-service') {
      const report = installService(options)
      print(report, 'Wrote', io)
      if (report.ok && options.noStart !== true) io.out(`MLX Manager now starts at login and is running at http://${options.config.host}:${options.config.port}`)
      if (!report.ok) io.err('The service file is written, but loading it failed; run the failed command yourself to see why.')
      return report.ok ? 0 : 1
    }
    const report = uninstallService(options)
    print(report, 'Removed', io)
    return report.ok ? 0 : 1
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ServiceError) {
      io.err(`mlx-manager ${command}: ${error.message}`)
      return 1
    }
    throw error
  }
}

export function defaultServiceIo(version: string): ServiceIo {
  return {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: process.env,
    platform: process.platform,
    home: homedir(),
    uid: userInfo().uid,
    run: spawnRunner,
    version,
  }
}
