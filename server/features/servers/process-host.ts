import { readFileSync } from 'node:fs'

export interface ExitInfo {
  /** Null when it died by a signal, or when it was not our child and its code is unknown. */
  code: number | null
  signal: string | null
}

export interface SpawnedProcess {
  pid: number
  exited: Promise<ExitInfo>
}

/** Process calls the supervisor makes, behind one seam so its logic can be tested with fakes. */
export interface ProcessHost {
  /** Starts `argv` in its own process group with stdout and stderr written to `outputFd`. Throws when it cannot start. */
  spawn(argv: string[], options: { env: Record<string, string | undefined>; cwd: string; outputFd: number }): SpawnedProcess
  /**
   * Signals the whole process group led by `pid`, falling back to the process itself unless
   * `groupOnly` (after the leader exited its pid may be reused; its group id cannot be while members live).
   */
  signalGroup(pid: number, signal: NodeJS.Signals, groupOnly?: boolean): boolean
  isAlive(pid: number): boolean
  /** The running command line of `pid`, or null when it cannot be read. */
  commandLine(pid: number): string[] | null
}

function signal(target: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(target, name)
    return true
  } catch {
    return false
  }
}

/** An exited process nobody has reaped yet (its parent died and init is slow or absent) still answers signal 0. */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

export const systemProcessHost: ProcessHost = {
  spawn(argv, { env, cwd, outputFd }) {
    // detached: a process group of its own, so signals reach its helpers too and a Ctrl-C in the
    // manager's terminal does not hit engines before the manager can stop them in order.
    const child = Bun.spawn(argv, { env, cwd, stdin: 'ignore', stdout: outputFd, stderr: outputFd, detached: true })
    const exited = child.exited.then(() => ({
      code: child.signalCode === null ? child.exitCode : null,
      signal: child.signalCode === null ? null : String(child.signalCode),
    }))
    return { pid: child.pid, exited }
  },
  signalGroup(pid, name, groupOnly = false) {
    return signal(-pid, name) || (!groupOnly && signal(pid, name))
  },
  isAlive(pid) {
    try {
      process.kill(pid, 0)
    } catch (error) {
      // EPERM: alive, but not ours to signal.
      return (error as NodeJS.ErrnoException).code === 'EPERM'
    }
    return !isZombie(pid)
  },
  commandLine(pid) {
    if (process.platform === 'linux') {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '')
      } catch {
        return null
      }
    }
    const result = Bun.spawnSync(['ps', '-o', 'command=', '-p', String(pid)], { stdout: 'pipe', stderr: 'ignore' })
    const text = result.stdout.toString().trim()
    return result.exitCode === 0 && text !== '' ? text.split(/\s+/) : null
  },
}

/** A process we did not start (adopted after a manager restart): its end is noticed by checking, not by a wait. */
export function watchForeignExit(host: ProcessHost, pid: number, everyMs: number): { exited: Promise<ExitInfo>; cancel: () => void } {
  let timer: ReturnType<typeof setInterval> | null = null
  const exited = new Promise<ExitInfo>((resolve) => {
    timer = setInterval(() => {
      if (host.isAlive(pid)) return
      if (timer !== null) clearInterval(timer)
      resolve({ code: null, signal: null })
    }, everyMs)
  })
  return {
    exited,
    cancel: () => {
      if (timer !== null) clearInterval(timer)
    },
  }
}

/**
 * True when a live process's command line ends with the arguments we started it with (pids get reused).
 * Arguments at `hidden` indices were not recorded (a chat template's text) and match anything.
 */
export function sameCommand(actual: string[] | null, recorded: string[], hidden: readonly number[] = []): boolean {
  if (actual === null) return true
  const squash = (args: string[]) => args.join(' ').replace(/\s+/g, ' ').trim()
  if (hidden.length === 0) return squash(actual).endsWith(squash(recorded.slice(1)))
  const pattern = recorded
    .slice(1)
    .map((arg, index) => (hidden.includes(index + 1) ? '(?: [\\s\\S]*)?' : `${index === 0 ? '' : ' '}${squash([arg]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    .join('')
  return new RegExp(`${pattern}$`).test(squash(actual))
}
