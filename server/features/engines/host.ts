import { accessSync, constants, openSync, readSync, closeSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface RunResult {
  exitCode: number | null
  stdout: string
  stderr: string
}

/** The file system and process calls engine discovery needs, behind one seam for tests. */
export interface EngineHost {
  /** The first executable file called `name` in `dirs`, or null. */
  findExecutable(name: string, dirs: string[]): string | null
  /** The first bytes of a file (to read a script's `#!` line), or null if unreadable. */
  readHead(path: string, bytes: number): string | null
  /** A fingerprint that changes when the file is replaced (an upgrade). */
  fingerprint(path: string): string | null
  /** Runs a probe (`--help`, `--version`) with the same minimal environment engines get. */
  run(argv: string[], timeoutMs: number, env?: Record<string, string | undefined>): Promise<RunResult>
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export const systemEngineHost: EngineHost = {
  findExecutable(name, dirs) {
    for (const dir of dirs) {
      const candidate = join(dir, name)
      if (isExecutableFile(candidate)) return candidate
    }
    return null
  },
  readHead(path, bytes) {
    let fd: number | null = null
    try {
      fd = openSync(realpathSync(path), 'r')
      const buffer = Buffer.alloc(bytes)
      const read = readSync(fd, buffer, 0, bytes, 0)
      return buffer.subarray(0, read).toString('utf8')
    } catch {
      return null
    } finally {
      if (fd !== null) closeSync(fd)
    }
  },
  fingerprint(path) {
    try {
      const stat = statSync(realpathSync(path))
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`
    } catch {
      return null
    }
  },
  async run(argv, timeoutMs, env) {
    try {
      const child = Bun.spawn(argv, { env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs, killSignal: 'SIGKILL' })
      const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
      return { exitCode: child.signalCode === null ? exitCode : null, stdout, stderr }
    } catch (error) {
      return { exitCode: null, stdout: '', stderr: error instanceof Error ? error.message : String(error) }
    }
  },
}
