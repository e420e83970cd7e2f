import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../server/config'
import { installService, serviceFile, uninstallService, type CommandRunner, type ServiceOptions } from '../../server/service-install'
import { runServiceCommand, type ServiceIo } from '../../server/service-install/cli'
import { tempDir } from './helpers'

const PROGRAM = ['/opt/homebrew/bin/bun', '/Users/ann/mlx-manager/server/cli.ts']

function options(platform: NodeJS.Platform, overrides: Partial<ServiceOptions> = {}) {
  const home = tempDir()
  const env = {
    MLX_MANAGER_HOME: join(home, '.mlx-manager'),
    PORT: '9090',
    HF_TOKEN: 'hf_secret',
    HF_ENDPOINT: 'https://hub.example.com',
    MLX_MANAGER_ENGINE_PATH: '/Users/ann/venvs/mlx/bin',
    PATH: '/Users/ann/venvs/mlx/bin:/usr/bin:/bin',
    UNRELATED: 'not copied',
  }
  const ran: string[][] = []
  const run: CommandRunner = (argv) => {
    ran.push(argv)
    return { ok: true, output: '' }
  }
  const opts: ServiceOptions = { platform, home, config: loadConfig(env), env, program: PROGRAM, uid: 501, run, ...overrides }
  return { opts, home, ran }
}

describe('macOS launch agent', () => {
  test('the plist starts the manager at login with the current configuration', () => {
    const { opts, home, ran } = options('darwin')
    const report = installService(opts)
    const path = join(home, 'Library', 'LaunchAgents', 'local.mlx-manager.plist')
    expect(report).toMatchObject({ path, ok: true })
    const plist = readFileSync(path, 'utf8')
    expect(plist).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>local.mlx-manager</string>
  <key>ProgramArguments</key>
  <array>
    <string>/opt/homebrew/bin/bun</string>
    <string>/Users/ann/mlx-manager/server/cli.ts</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>MLX_MANAGER_HOME</key>
    <string>${home}/.mlx-manager</string>
    <key>PORT</key>
    <string>9090</string>
    <key>HF_HUB_CACHE</key>
    <string>${opts.config.hfHubCache}</string>
    <key>HF_ENDPOINT</key>
    <string>https://hub.example.com</string>
    <key>HF_TOKEN</key>
    <string>hf_secret</string>
    <key>MLX_MANAGER_ENGINE_PATH</key>
    <string>/Users/ann/venvs/mlx/bin</string>
    <key>PATH</key>
    <string>/Users/ann/venvs/mlx/bin:/usr/bin:/bin</string>
  </dict>
  <key>WorkingDirectory</key>
  <string>${home}/.mlx-manager</string>
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
  <string>${home}/.mlx-manager/logs/manager.log</string>
  <key>StandardErrorPath</key>
  <string>${home}/.mlx-manager/logs/manager.log</string>
</dict>
</plist>
`)
    // It holds a token: only its owner may read it.
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(ran).toEqual([
      ['launchctl', 'bootout', 'gui/501/local.mlx-manager'],
      ['launchctl', 'bootstrap', 'gui/501', path],
    ])
  })

  test('values are XML-escaped', () => {
    const { opts } = options('darwin', { program: ['/Apps/B&B <bun>', '/x/cli.ts'] })
    expect(serviceFile(opts).content).toContain('<string>/Apps/B&amp;B &lt;bun&gt;</string>')
  })

  test('uninstall unloads the agent and removes the file', () => {
    const { opts, ran } = options('darwin')
    const { path } = installService(opts)
    ran.length = 0
    const report = uninstallService(opts)
    expect(report.ok).toBe(true)
    expect(existsSync(path)).toBe(false)
    expect(ran).toEqual([['launchctl', 'bootout', 'gui/501/local.mlx-manager']])
  })
})

describe('Linux systemd user unit', () => {
  test('the unit starts with the session, restarts on failure and leaves stopping servers to the manager', () => {
    const { opts, home, ran } = options('linux', { env: { MLX_MANAGER_HOME: '/home/ann/.mlx-manager', HOST: '0.0.0.0', PATH: '/usr/bin:/bin', HF_TOKEN: 'hf_100%$x"y' } })
    opts.config = loadConfig(opts.env)
    const report = installService(opts)
    const path = join(home, '.config', 'systemd', 'user', 'mlx-manager.service')
    expect(report.path).toBe(path)
    expect(readFileSync(path, 'utf8')).toBe(`[Unit]
Description=MLX Manager: local MLX model servers

[Service]
Type=simple
ExecStart="/opt/homebrew/bin/bun" "/Users/ann/mlx-manager/server/cli.ts"
WorkingDirectory=/home/ann/.mlx-manager
Environment="MLX_MANAGER_HOME=/home/ann/.mlx-manager"
Environment="PORT=8080"
Environment="HF_HUB_CACHE=${opts.config.hfHubCache}"
Environment="HOST=0.0.0.0"
Environment="HF_TOKEN=hf_100%%$$x\\"y"
Environment="PATH=/usr/bin:/bin"
Restart=on-failure
RestartSec=5
# The manager stops its model servers itself (SIGTERM, then SIGKILL after a grace period), and after
# a crash the next manager adopts the servers still answering. So only the manager gets the signal.
KillMode=process
TimeoutStopSec=30
StandardOutput=append:/home/ann/.mlx-manager/logs/manager.log
StandardError=append:/home/ann/.mlx-manager/logs/manager.log

[Install]
WantedBy=default.target
`)
    expect(ran).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'mlx-manager.service'],
    ])
  })

  test('a failing systemctl is reported, and the file stays for a manual start', () => {
    const { opts } = options('linux', { run: (argv) => ({ ok: argv.includes('daemon-reload') ? false : true, output: 'Failed to connect to bus' }) })
    const report = installService(opts)
    expect(report.ok).toBe(false)
    expect(report.steps).toEqual([{ command: 'systemctl --user daemon-reload', ok: false, output: 'Failed to connect to bus' }])
    expect(existsSync(report.path)).toBe(true)
  })

  test('uninstall disables, removes and reloads', () => {
    const { opts, ran } = options('linux')
    const { path } = installService(opts)
    ran.length = 0
    uninstallService(opts)
    expect(existsSync(path)).toBe(false)
    expect(ran).toEqual([
      ['systemctl', '--user', 'disable', '--now', 'mlx-manager.service'],
      ['systemctl', '--user', 'daemon-reload'],
    ])
  })

  test('other platforms are refused with a sentence', () => {
    const { opts } = options('win32')
    expect(() => installService(opts)).toThrow('install-service supports macOS (launchd) and Linux (systemd), not win32.')
  })
})

describe('mlx-manager install-service', () => {
  function io(platform: NodeJS.Platform, env: Record<string, string> = {}) {
    const home = tempDir()
    const out: string[] = []
    const err: string[] = []
    const ran: string[][] = []
    const value: ServiceIo = {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { MLX_MANAGER_HOME: join(home, 'data'), PATH: '/usr/bin', ...env },
      platform,
      home,
      uid: 1000,
      run: (argv) => {
        ran.push(argv)
        return { ok: true, output: '' }
      },
      version: '1.2.3',
    }
    return { value, out, err, ran, home }
  }

  test('--port and --host go into the service; --no-start only writes and says what to run', () => {
    const { value, out, ran, home } = io('linux')
    expect(runServiceCommand('install-service', ['--port', '9191', '--host', '0.0.0.0', '--no-start'], value)).toBe(0)
    const unit = readFileSync(join(home, '.config', 'systemd', 'user', 'mlx-manager.service'), 'utf8')
    expect(unit).toContain('Environment="PORT=9191"')
    expect(unit).toContain('Environment="HOST=0.0.0.0"')
    expect(unit).toContain(`ExecStart="${process.execPath}" "${join(import.meta.dir, '..', '..', 'server', 'cli.ts')}"`)
    expect(ran).toEqual([])
    expect(out).toContain('  then run: systemctl --user enable --now mlx-manager.service')
  })

  test('bad options and configuration fail with a message', () => {
    const bad = io('linux')
    expect(runServiceCommand('install-service', ['--port', 'x'], bad.value)).toBe(1)
    expect(bad.err.join('\n')).toContain('--port must be a whole number')
    const unknown = io('darwin')
    expect(runServiceCommand('install-service', ['--bogus'], unknown.value)).toBe(1)
    const config = io('darwin', { HF_ENDPOINT: 'nope' })
    expect(runServiceCommand('install-service', [], config.value)).toBe(1)
    expect(config.err.join('\n')).toContain('HF_ENDPOINT must be a URL')
    const help = io('darwin')
    expect(runServiceCommand('uninstall-service', ['--help'], help.value)).toBe(0)
    expect(help.out.join('\n')).toContain('Usage: mlx-manager uninstall-service')
  })

  test('the real command writes the unit under HOME', async () => {
    const home = tempDir()
    const child = Bun.spawn([process.execPath, join(import.meta.dir, '..', '..', 'server', 'cli.ts'), 'install-service', '--no-start'], {
      env: { ...process.env, HOME: home, MLX_MANAGER_HOME: join(home, 'data') },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    expect(await child.exited).toBe(0)
    const stdout = await new Response(child.stdout).text()
    const file = process.platform === 'darwin' ? join(home, 'Library', 'LaunchAgents', 'local.mlx-manager.plist') : join(home, '.config', 'systemd', 'user', 'mlx-manager.service')
    expect(stdout).toContain(`Wrote ${file}`)
    expect(readFileSync(file, 'utf8')).toContain(join(home, 'data'))
    const removed = Bun.spawn([process.execPath, join(import.meta.dir, '..', '..', 'server', 'cli.ts'), 'uninstall-service', '--no-start'], {
      env: { ...process.env, HOME: home, MLX_MANAGER_HOME: join(home, 'data') },
    })
    expect(await removed.exited).toBe(0)
    expect(existsSync(file)).toBe(false)
  })
})
