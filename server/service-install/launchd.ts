import { join } from 'node:path'
import { LAUNCHD_LABEL, type ServiceSpec } from './spec'

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

export function launchdPath(home: string): string {
  return join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`)
}

/** A per-user launch agent: starts at login, restarts after a crash, not after a clean exit. */
export function launchdPlist(spec: ServiceSpec): string {
  const strings = (values: string[], indent: string) => values.map((value) => `${indent}<string>${xml(value)}</string>`).join('\n')
  const environment = Object.entries(spec.environment)
    .map(([key, value]) => `    <key>${xml(key)}</key>\n    <string>${xml(value)}</string>`)
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${strings(spec.program, '    ')}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
${environment}
  </dict>
  <key>WorkingDirectory</key>
  <string>${xml(spec.workingDirectory)}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <!-- The manager stops its model servers (SIGTERM, then SIGKILL) before it exits; give it time. -->
  <key>ExitTimeOut</key>
  <integer>30</integer>
  <key>StandardOutPath</key>
  <string>${xml(spec.logPath)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(spec.logPath)}</string>
</dict>
</plist>
`
}

export function launchdCommands(path: string, uid: number) {
  const target = `gui/${uid}`
  return {
    install: [
      // A previous version may be loaded; replacing it needs it out first (failure here is fine).
      { argv: ['launchctl', 'bootout', `${target}/${LAUNCHD_LABEL}`], mayFail: true },
      { argv: ['launchctl', 'bootstrap', target, path], mayFail: false },
    ],
    uninstall: [{ argv: ['launchctl', 'bootout', `${target}/${LAUNCHD_LABEL}`], mayFail: true }],
  }
}
