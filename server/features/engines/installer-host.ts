import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'

export interface InstallRun {
  exitCode: number | null
  /** Everything it printed (stdout then stderr), for short probes. */
  output: string
}

/** The process and file calls the engine installer makes, behind one seam for tests. */
export interface InstallerHost {
  platform: NodeJS.Platform
  arch: string
  /** True when `nvidia-smi` runs and lists a GPU. */
  hasNvidiaGpu(): Promise<boolean>
  /** An executable on PATH, or null. */
  which(name: string): string | null
  run(
    argv: string[],
    options: { env?: Record<string, string | undefined>; timeoutMs?: number; signal?: AbortSignal; onLine?: (line: string) => void },
  ): Promise<InstallRun>
  exists(path: string): boolean
  readFile(path: string): string | null
  writeFile(path: string, text: string): void
  mkdir(path: string): void
  remove(path: string): Promise<void>
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void, keep: string[]): Promise<void> {
  const decoder = new TextDecoder()
  let buffer = ''
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    // pip redraws progress with carriage returns; each redraw is a line of its own here.
    const parts = buffer.split(/\r?\n|\r/)
    buffer = parts.pop() ?? ''
    for (const line of parts) {
      if (line.trim() === '') continue
      keep.push(line)
      onLine(line)
    }
  }
  if (buffer.trim() !== '') {
    keep.push(buffer)
    onLine(buffer)
  }
}

export function systemInstallerHost(path = process.env.PATH ?? ''): InstallerHost {
  const which = (name: string) => Bun.which(name, { PATH: path })
  return {
    platform: process.platform,
    arch: process.arch,
    async hasNvidiaGpu() {
      const smi = which('nvidia-smi')
      if (smi === null) return false
      const result = await this.run([smi, '-L'], { timeoutMs: 10_000 })
      return result.exitCode === 0 && /GPU \d/.test(result.output)
    },
    which,
    async run(argv, { env, timeoutMs, signal, onLine }) {
      try {
        const child = Bun.spawn(argv, {
          env: env ?? { PATH: path },
          stdin: 'ignore',
          stdout: 'pipe',
          stderr: 'pipe',
          ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
          killSignal: 'SIGKILL',
        })
        const stop = () => child.kill('SIGTERM')
        signal?.addEventListener('abort', stop, { once: true })
        const out: string[] = []
        const err: string[] = []
        const forward = onLine ?? (() => undefined)
        await Promise.all([readLines(child.stdout, forward, out), readLines(child.stderr, forward, err), child.exited])
        signal?.removeEventListener('abort', stop)
        return { exitCode: child.signalCode === null ? child.exitCode : null, output: [...out, ...err].join('\n') }
      } catch (error) {
        return { exitCode: null, output: error instanceof Error ? error.message : String(error) }
      }
    },
    exists: (file) => existsSync(file),
    readFile(file) {
      try {
        return readFileSync(file, 'utf8')
      } catch {
        return null
      }
    },
    writeFile: (file, text) => writeFileSync(file, text, { mode: 0o600 }),
    mkdir: (dir) => void mkdirSync(dir, { recursive: true, mode: 0o700 }),
    remove: (dir) => rm(dir, { recursive: true, force: true }),
  }
}

