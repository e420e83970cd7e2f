/**
 * The Mac paths, fed macOS command outputs written from their documented formats
 * (tests/fixtures/macos/README.md says so, and how to replace them with real captures).
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { machineMemory } from '../../server/features/catalog/machine'
import { parsePsTable, parsePsTime, PS_ARGS } from '../../server/features/servers/process-table'
import { treeMembers } from '../../server/features/servers/stats'
import { gpuWiredLimitBytes, macSystemMemory, parseSysctlNumber, parseVmStat, readGpuWiredLimit, vmStatUsedBytes, type CommandOutput } from '../../server/features/system/macos'
import { readSystemMemory } from '../../server/features/system/memory'
import { launchdPlist } from '../../server/service-install/launchd'
import { launchdTarget, parseLaunchctlPrint } from '../../server/service-install/launchd-status'
import { memoryBudget } from '../../shared/memory-fit'

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'macos')
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')
const GiB = 2 ** 30
const PAGE = 16384

/** A fake command runner answering from the fixtures, recording what it was asked. */
function commands(answers: Record<string, string | null>): CommandOutput & { asked: string[] } {
  const asked: string[] = []
  const run = (argv: string[]) => {
    asked.push(argv.join(' '))
    return answers[argv.join(' ')] ?? null
  }
  return Object.assign(run, { asked })
}

const mac = (limit: string | null = fixture('sysctl-iogpu.wired_limit_mb-default.txt')) =>
  commands({ 'sysctl -n hw.memsize': '34359738368\n', vm_stat: fixture('vm_stat.txt'), 'sysctl iogpu.wired_limit_mb': limit })

describe('vm_stat', () => {
  test('page size and every counter', () => {
    const vm = parseVmStat(fixture('vm_stat.txt'))
    expect(vm?.pageSize).toBe(PAGE)
    expect(vm?.counts).toMatchObject({ 'Pages free': 150112, 'Pages wired down': 350087, 'Anonymous pages': 900021, 'Pages purgeable': 20004, 'Pages occupied by compressor': 60011, 'Translation faults': 1289034512 })
  })

  test('used is app memory (anonymous, not purgeable) plus wired plus compressed, as Activity Monitor counts it', () => {
    const vm = parseVmStat(fixture('vm_stat.txt'))
    expect(vm === null ? null : vmStatUsedBytes(vm)).toBe((900021 - 20004 + 350087 + 60011) * PAGE)
  })

  test('an older vm_stat without anonymous pages counts active ones', () => {
    const old = fixture('vm_stat.txt').replace(/^Anonymous pages:.*\n/m, '')
    const vm = parseVmStat(old)
    expect(vm === null ? null : vmStatUsedBytes(vm)).toBe((881204 + 350087 + 60011) * PAGE)
  })

  test('anything else is not read', () => {
    expect(parseVmStat('')).toBeNull()
    expect(parseVmStat('vm_stat: command not found')).toBeNull()
  })
})

describe('sysctl', () => {
  test('hw.memsize, with and without -n', () => {
    expect(parseSysctlNumber(fixture('sysctl-hw.memsize.txt'), 'hw.memsize')).toBe(32 * GiB)
    expect(parseSysctlNumber('34359738368\n', 'hw.memsize')).toBe(32 * GiB)
  })

  test('iogpu.wired_limit_mb: the limit when set; none when 0, unknown or failed', () => {
    expect(gpuWiredLimitBytes(fixture('sysctl-iogpu.wired_limit_mb-set.txt'))).toBe(28 * GiB)
    expect(gpuWiredLimitBytes(fixture('sysctl-iogpu.wired_limit_mb-default.txt'))).toBeNull()
    expect(gpuWiredLimitBytes(fixture('sysctl-iogpu.wired_limit_mb-unknown.txt'))).toBeNull()
    expect(gpuWiredLimitBytes(null)).toBeNull()
  })
})

describe('system memory on a Mac', () => {
  test('total from hw.memsize, used from vm_stat', () => {
    expect(macSystemMemory(mac(), 'darwin')).toEqual({ totalBytes: 32 * GiB, usedBytes: (900021 - 20004 + 350087 + 60011) * PAGE })
  })

  test('readSystemMemory uses it when there is no /proc/meminfo', () => {
    expect(readSystemMemory(() => null, () => macSystemMemory(mac(), 'darwin')).totalBytes).toBe(32 * GiB)
  })

  test('nothing is run off macOS, and a failing command falls back', () => {
    const run = mac()
    expect(macSystemMemory(run, 'linux')).toBeNull()
    expect(readGpuWiredLimit(run, 'linux')).toBeNull()
    expect(run.asked).toEqual([])
    expect(macSystemMemory(commands({}), 'darwin')).toBeNull()
  })
})

describe('the model memory budget on Apple silicon', () => {
  const read = () => macSystemMemory(mac(), 'darwin') ?? { totalBytes: 0, usedBytes: 0 }

  test('the platform rule, 75% of unified memory, when no limit is set', () => {
    const limit = readGpuWiredLimit(mac(), 'darwin')
    const budget = memoryBudget(machineMemory(read, () => 2 * GiB, 'darwin', 'arm64', () => limit)())
    expect(budget).toMatchObject({ rule: 'apple-silicon-working-set', usableBytes: 24 * GiB, budgetBytes: 22 * GiB })
  })

  test('the limit set with sysctl iogpu.wired_limit_mb wins, and says so', () => {
    const limit = readGpuWiredLimit(mac(fixture('sysctl-iogpu.wired_limit_mb-set.txt')), 'darwin')
    const budget = memoryBudget(machineMemory(read, () => 2 * GiB, 'darwin', 'arm64', () => limit)())
    expect(budget).toMatchObject({ rule: 'gpu-wired-limit', usableBytes: 28 * GiB, budgetBytes: 26 * GiB })
    expect(budget.explanation).toContain('iogpu.wired_limit_mb')
  })

  test('a limit above physical memory is capped at it; an Intel Mac or Linux ignores it', () => {
    expect(memoryBudget(machineMemory(read, () => 0, 'darwin', 'arm64', () => 64 * GiB)()).usableBytes).toBe(32 * GiB)
    expect(memoryBudget(machineMemory(read, () => 0, 'darwin', 'x64', () => 28 * GiB)()).rule).toBe('available-memory')
    expect(memoryBudget(machineMemory(read, () => 0, 'linux', 'arm64', () => 28 * GiB)()).rule).toBe('available-memory')
  })
})

describe('ps on macOS', () => {
  test('the arguments the table asks for', () => {
    expect(PS_ARGS).toEqual(['-axo', 'pid=,ppid=,pgid=,rss=,time='])
  })

  test('rows: RSS in KiB, CPU time as minutes:seconds.hundredths (minutes past 59 too)', () => {
    const rows = parsePsTable(fixture('ps-axo.txt'))
    expect(rows).toHaveLength(8)
    expect(rows.find((row) => row.pid === 4242)).toEqual({ pid: 4242, ppid: 4100, pgid: 4242, rssBytes: 5242880 * 1024, cpuSeconds: 12 * 60 + 34.56 })
    expect(rows.find((row) => row.pid === 158)?.cpuSeconds).toBeCloseTo(1234 * 60 + 56.78, 5)
    expect(parsePsTime('1-02:03:04.50')).toBeCloseTo(86_400 + 2 * 3600 + 3 * 60 + 4.5, 5)
  })

  test('a header or a blank line is skipped', () => {
    expect(parsePsTable(`  PID  PPID  PGID    RSS      TIME\n\n${fixture('ps-axo.txt')}`)).toHaveLength(8)
  })

  test('a server’s process tree is summed from it', () => {
    const tree = treeMembers(parsePsTable(fixture('ps-axo.txt')), 4242)
    expect(tree.map((row) => row.pid).sort()).toEqual([4242, 4250, 4251])
    expect(tree.reduce((sum, row) => sum + row.rssBytes, 0)).toBe((5242880 + 20480 + 18944) * 1024)
  })
})

describe('the launchd agent', () => {
  const spec = {
    program: ['/Users/me/mlx-manager/node_modules/.bin/bun', '/Users/me/mlx-manager/dist/server/cli.js'],
    workingDirectory: '/Users/me/.mlx-manager',
    logPath: '/Users/me/.mlx-manager/logs/manager.log',
    environment: { MLX_MANAGER_HOME: '/Users/me/.mlx-manager', PORT: '8080', HF_HUB_CACHE: '/Users/me/.cache/huggingface/hub', PATH: '/opt/homebrew/bin:/usr/bin:/bin' },
  }

  test('the plist is the recorded one, with only keys launchd.plist(5) documents', () => {
    const plist = launchdPlist(spec)
    expect(plist).toBe(fixture('local.mlx-manager.plist'))
    const keys = [...plist.matchAll(/^ {2}<key>(\w+)<\/key>/gm)].map((match) => match[1])
    expect(keys).toEqual(['Label', 'ProgramArguments', 'EnvironmentVariables', 'WorkingDirectory', 'RunAtLoad', 'KeepAlive', 'ExitTimeOut', 'StandardOutPath', 'StandardErrorPath'])
  })

  test('launchctl print: running, with its pid', () => {
    expect(launchdTarget(501)).toBe('gui/501/local.mlx-manager')
    expect(parseLaunchctlPrint(fixture('launchctl-print-running.txt'))).toEqual({ loaded: true, state: 'running', pid: 4100, lastExitCode: null })
  })

  test('launchctl print: loaded but exited, with its exit code', () => {
    expect(parseLaunchctlPrint(fixture('launchctl-print-exited.txt'))).toEqual({ loaded: true, state: 'not running', pid: null, lastExitCode: 1 })
  })

  test('launchctl print: not loaded', () => {
    expect(parseLaunchctlPrint(fixture('launchctl-print-missing.txt'))).toEqual({ loaded: false, state: null, pid: null, lastExitCode: null })
  })

  test('what launchd reports back matches what the plist asked for', () => {
    const print = fixture('launchctl-print-running.txt')
    expect(print).toContain('\texit timeout = 30\n')
    expect(print).toContain(`\tpath = /Users/me/Library/LaunchAgents/local.mlx-manager.plist\n`)
    for (const argument of spec.program) expect(print).toContain(`\t\t${argument}\n`)
    expect(print).toContain(`\tstdout path = ${spec.logPath}\n`)
  })
})
