import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from './helpers'

const CLI = join(import.meta.dir, '..', '..', 'server', 'cli.ts')

function spawnManager(args: string[], env: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, CLI, ...args], {
    env: { ...process.env, MLX_MANAGER_HOME: tempDir(), HF_HUB_CACHE: tempDir(), ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = server.port ?? 0
  await server.stop(true)
  return port
}

async function waitForHealth(port: number, timeoutMs = 10_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await fetch(`http://127.0.0.1:${port}/api/health`)
    } catch (error) {
      if (Date.now() > deadline) throw error
      await Bun.sleep(50)
    }
  }
}

describe('the mlx-manager command', () => {
  test('starts on --port, answers /api/health, and exits cleanly on SIGTERM', async () => {
    const port = await freePort()
    const manager = spawnManager(['--port', String(port)])
    const health = await waitForHealth(port)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok' })
    manager.kill('SIGTERM')
    expect(await manager.exited).toBe(0)
    expect(await new Response(manager.stdout).text()).toContain('shutting down')
  })

  test('SIGINT also shuts down cleanly', async () => {
    const port = await freePort()
    const manager = spawnManager([], { PORT: String(port) })
    await waitForHealth(port)
    manager.kill('SIGINT')
    expect(await manager.exited).toBe(0)
  })

  test('a taken port is named, with what to do', async () => {
    const blocker = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('other program') })
    const manager = spawnManager(['--port', String(blocker.port)])
    expect(await manager.exited).toBe(1)
    const stderr = await new Response(manager.stderr).text()
    expect(stderr).toContain(`Port ${blocker.port} on 127.0.0.1 is already in use`)
    expect(stderr).toContain('--port')
    await blocker.stop(true)
  })

  test('bad options and bad configuration fail fast with a message', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['--port', 'eighty'], {}, '--port must be a whole number'],
      [['--bogus'], {}, 'mlx-manager --help'],
      [[], { PORT: '99999' }, 'PORT must be a whole number'],
      [[], { HF_ENDPOINT: 'nope' }, 'HF_ENDPOINT must be a URL'],
    ]
    for (const [args, env, message] of cases) {
      const manager = spawnManager(args, env)
      expect(await manager.exited).toBe(1)
      expect(await new Response(manager.stderr).text()).toContain(message)
    }
  })

  test('binding beyond loopback is announced', async () => {
    const port = await freePort()
    const manager = spawnManager(['--port', String(port), '--host', '0.0.0.0'])
    await waitForHealth(port)
    manager.kill('SIGTERM')
    await manager.exited
    expect(await new Response(manager.stdout).text()).toContain('other machines on your network can reach this manager')
  })

  test('--help and --version', async () => {
    const help = spawnManager(['--help'])
    expect(await help.exited).toBe(0)
    expect(await new Response(help.stdout).text()).toContain('Usage: mlx-manager')
    const version = spawnManager(['--version'])
    expect(await version.exited).toBe(0)
    expect((await new Response(version.stdout).text()).trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})
