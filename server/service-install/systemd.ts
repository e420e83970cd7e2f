import { join } from 'node:path'
import { SERVICE_NAME, type ServiceSpec } from './spec'

/** systemd's quoting: a double-quoted word, with % (specifiers) and $ (variables) taken literally. */
function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%').replaceAll('$', '$$$$')}"`
}

/** Paths in WorkingDirectory= and append: are taken as written, except % starts a specifier. */
const literal = (path: string) => path.replaceAll('%', '%%')

export function systemdPath(home: string): string {
  return join(home, '.config', 'systemd', 'user', `${SERVICE_NAME}.service`)
}

/** A user unit: started with the user's session (default.target), restarted after a crash. */
export function systemdUnit(spec: ServiceSpec): string {
  const environment = Object.entries(spec.environment)
    .map(([key, value]) => `Environment=${quote(`${key}=${value}`)}`)
    .join('\n')
  return `[Unit]
Description=MLX Manager: local MLX model servers

[Service]
Type=simple
ExecStart=${spec.program.map(quote).join(' ')}
WorkingDirectory=${literal(spec.workingDirectory)}
${environment}
Restart=on-failure
RestartSec=5
# The manager stops its model servers itself (SIGTERM, then SIGKILL after a grace period), and after
# a crash the next manager adopts the servers still answering. So only the manager gets the signal.
KillMode=process
TimeoutStopSec=30
StandardOutput=append:${literal(spec.logPath)}
StandardError=append:${literal(spec.logPath)}

[Install]
WantedBy=default.target
`
}

export function systemdCommands() {
  const unit = `${SERVICE_NAME}.service`
  return {
    install: [
      { argv: ['systemctl', '--user', 'daemon-reload'], mayFail: false },
      { argv: ['systemctl', '--user', 'enable', '--now', unit], mayFail: false },
    ],
    uninstall: [{ argv: ['systemctl', '--user', 'disable', '--now', unit], mayFail: true }],
    afterUninstall: [{ argv: ['systemctl', '--user', 'daemon-reload'], mayFail: true }],
  }
}
