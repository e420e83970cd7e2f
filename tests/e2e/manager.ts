import { test as base, type Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BUN = join(ROOT, 'node_modules', '.bin', 'bun')

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Runs a Bun-only stand-in (the hub, its fault proxy) as a child process, since Playwright runs on
 * Node, and resolves with the URL it prints once it listens.
 */
export async function startBunServer(args: string[], printedUrl: RegExp): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(BUN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start in 20 s:\n${output}`)), 20_000)
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const found = printedUrl.exec(output)?.[1]
      if (found !== undefined) {
        clearTimeout(timer)
        resolve(found)
      }
    })
    child.once('exit', () => {
      clearTimeout(timer)
      reject(new Error(`${args.join(' ')} exited early:\n${output}`))
    })
  })
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The manager exited early:\n${log()}`)
    try {
      if ((await fetch(`${url}/api/health`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`The manager did not answer in 20 s:\n${log()}`)
}

/**
 * Options that let a script act with a page's session: the manager refuses cookie-borne changes
 * that do not come from its own origin, and `page.request` sends no Origin by itself.
 */
export function asPage(page: Page): { headers: Record<string, string> } {
  return { headers: { origin: new URL(page.url()).origin } }
}

export interface Manager {
  url: string
  home: string
  env: Record<string, string>
}

/** Starts the real manager (built web app included) on a fresh data dir for one test. */
export async function startManager(extraEnv: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'mlx-manager-e2e-'))
  const port = await freePort()
  // HF_TOKEN_PATH names no file: a developer's own `hf auth login` token never reaches a test.
  const env = { MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), PORT: String(port), HF_TOKEN_PATH: join(home, 'no-hf-token'), ...extraEnv }
  let output = ''
  const child = spawn(BUN, ['server/cli.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `http://127.0.0.1:${port}`
  await waitForHealth(url, child, () => output)
  return {
    manager: { url, home, env } satisfies Manager,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

export const test = base.extend<{ manager: Manager }>({
  manager: async ({}, use) => {
    const started = await startManager()
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

export { expect } from '@playwright/test'
