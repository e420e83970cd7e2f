#!/usr/bin/env bun
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, parsePort } from './config'
import { defaultServiceIo, runServiceCommand, SERVICE_COMMANDS } from './service-install/cli'
import { StartError, startManager } from './start'
import pkg from '../package.json'

const HELP = `MLX Manager ${pkg.version}: find, download, serve and chat with MLX models.

Usage: mlx-manager [--port <n>] [--host <address>]
       mlx-manager install-service [--port <n>] [--host <address>]   start at login (launchd or systemd)
       mlx-manager uninstall-service

Options:
  --port <n>        Port to listen on (default 8080, or PORT)
  --host <address>  Address to bind (default 127.0.0.1, or HOST); anything but loopback exposes the manager
  -h, --help        Show this help
  -v, --version     Show the version

Configuration is read from the environment: MLX_MANAGER_HOME, HF_ENDPOINT, HF_TOKEN (or the token
hf auth login saved, at HF_TOKEN_PATH), HF_HUB_CACHE, HF_HOME,
MLX_MANAGER_ENGINE_PATH (see README.md).`

function fail(message: string): never {
  console.error(`mlx-manager: ${message}`)
  process.exit(1)
}

function main(): void {
  const [command, ...rest] = process.argv.slice(2)
  const service = SERVICE_COMMANDS.find((name) => name === command)
  if (service !== undefined) process.exit(runServiceCommand(service, rest, defaultServiceIo(pkg.version)))
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    }))
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\nRun mlx-manager --help for the options.`)
  }
  if (values.help === true) return console.log(HELP)
  if (values.version === true) return console.log(pkg.version)

  try {
    const env = { ...process.env }
    if (values.port !== undefined) env.PORT = String(parsePort(values.port, '--port'))
    if (values.host !== undefined) env.HOST = values.host
    const manager = startManager(loadConfig(env, pkg.version))
    let stopping = false
    const shutdown = (signal: string) => {
      if (stopping) return
      stopping = true
      console.log(`Received ${signal}, shutting down.`)
      manager.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error)
          process.exit(1)
        },
      )
    }
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartError) fail(error.message)
    throw error
  }
}

main()
