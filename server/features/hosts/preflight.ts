import type { Host, HostFacts, HostProblem } from '../../../shared/hosts'
import { memoryBudget } from '../../../shared/memory-fit'
import { formatBytes } from '../../../shared/units'

/** Runs a program to its end; never throws (a program that cannot start answers code null and why in stderr). */
export interface CommandRunner {
  run(argv: string[], options: { timeoutMs: number }): Promise<{ code: number | null; stdout: string; stderr: string; missing: boolean }>
}

export const systemRunner: CommandRunner = {
  async run(argv, { timeoutMs }) {
    let child
    try {
      // The manager's own environment: ssh needs SSH_AUTH_SOCK to reach the user's agent.
      child = Bun.spawn(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: process.env })
    } catch (error) {
      return { code: null, stdout: '', stderr: error instanceof Error ? error.message : String(error), missing: true }
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    clearTimeout(timer)
    return { code: child.signalCode === null ? code : null, stdout, stderr, missing: false }
  },
}

/** Marks the probe's answer in output that may also hold a login banner. */
const MARKER = 'MLX-MANAGER-PROBE '

/**
 * What the probe asks a host's Python: mlx and mlx-lm versions from package metadata (no import, so it
 * is quick), memory, and where the model is (an absolute path, or the repo in that host's HF cache).
 */
export const PROBE_SCRIPT = `
import json, os, sys, platform
from importlib.metadata import version
out = {}
for name in ('mlx', 'mlx-lm'):
    try: out[name] = version(name)
    except Exception: out[name] = None
out['platform'] = sys.platform
out['arch'] = platform.machine()
out['total'] = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
out['available'] = None
try:
    for line in open('/proc/meminfo'):
        if line.startswith('MemAvailable:'): out['available'] = int(line.split()[1]) * 1024
except OSError: pass
model = sys.argv[1] if len(sys.argv) > 1 else ''
if model:
    path = None
    if model.startswith('/'): path = model
    else:
        hub = os.environ.get('HF_HUB_CACHE') or os.path.join(os.environ.get('HF_HOME') or os.path.expanduser('~/.cache/huggingface'), 'hub')
        repo = os.path.join(hub, 'models--' + model.replace('/', '--'))
        try: path = os.path.join(repo, 'snapshots', open(os.path.join(repo, 'refs', 'main')).read().strip())
        except OSError: path = repo
    found = os.path.isfile(os.path.join(path, 'config.json'))
    weights = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path) if f.endswith('.safetensors')) if found else 0
    out['model'] = {'path': path, 'found': found and weights > 0, 'weights': weights}
print('${MARKER}' + json.dumps(out))
`

/** Quotes one word for a POSIX shell (the remote side of ssh runs its command through one). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

export const destination = (host: Host): string => `${host.sshUser ?? ''}@${host.address}`

/** The argv that runs the probe on `host`: directly for this machine, else over SSH without ever asking for a password. */
export function probeArgv(host: Host, ssh: string[], model: string | null): string[] {
  const probe = [`${host.pythonEnv}/bin/python`, '-c', PROBE_SCRIPT, model ?? '']
  if (host.local) return probe
  return [...ssh, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'StrictHostKeyChecking=accept-new', destination(host), probe.map(shellQuote).join(' ')]
}

export interface ProbeReport {
  mlx: string | null
  mlxLm: string | null
  platform: string | null
  arch: string | null
  totalBytes: number | null
  availableBytes: number | null
  model: { path: string; found: boolean; weightsBytes: number } | null
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .pop() ?? ''

/** Turns the probe's outcome into facts or the one problem that stopped it, with what to do. */
export function readProbe(host: Host, result: { code: number | null; stdout: string; stderr: string; missing: boolean }): { report: ProbeReport | null; problem: HostProblem | null } {
  const where = host.local ? 'on this machine' : `on ${host.name} (${destination(host)})`
  const python = `${host.pythonEnv}/bin/python`
  const line = result.stdout.split('\n').find((text) => text.startsWith(MARKER))
  if (line !== undefined) {
    try {
      const raw = JSON.parse(line.slice(MARKER.length)) as Record<string, unknown>
      const model = raw.model as { path: string; found: boolean; weights: number } | undefined
      return {
        report: {
          mlx: typeof raw.mlx === 'string' ? raw.mlx : null,
          mlxLm: typeof raw['mlx-lm'] === 'string' ? raw['mlx-lm'] : null,
          platform: typeof raw.platform === 'string' ? raw.platform : null,
          arch: typeof raw.arch === 'string' ? raw.arch : null,
          totalBytes: typeof raw.total === 'number' ? raw.total : null,
          availableBytes: typeof raw.available === 'number' ? raw.available : null,
          model: model === undefined ? null : { path: model.path, found: model.found, weightsBytes: model.weights },
        },
        problem: null,
      }
    } catch {
      // Fall through: an answer that is not the probe's is reported below.
    }
  }
  const stderr = result.stderr
  if (!host.local && result.code === 255) {
    if (/Permission denied|publickey|password|keyboard-interactive/i.test(stderr)) {
      return fail('ssh-auth', `SSH to ${destination(host)} needs a password or a key it does not have; the manager never types passwords. From this machine run ssh-copy-id ${destination(host)} (and check the user name on that Mac).`)
    }
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr)) {
      return fail('ssh-host-key', `${host.address}'s SSH host key does not match the one this machine knows. If the Mac was reinstalled, run ssh-keygen -R ${host.address}, then ssh ${destination(host)} once to accept the new key.`)
    }
    if (/Connection refused|timed out|No route to host|Network is unreachable|Could not resolve|Connection closed/i.test(stderr)) {
      return fail('ssh-unreachable', `${host.name} cannot be reached over SSH at ${host.address} (${lastLine(stderr)}). Check the address and turn on Remote Login on that Mac (System Settings → General → Sharing).`)
    }
    return fail('ssh-failed', `SSH to ${destination(host)} failed: ${lastLine(stderr) || 'no reason given'}.`)
  }
  if (result.missing || result.code === 127 || /No such file or directory|not found/i.test(stderr)) {
    return fail('python-missing', `There is no Python at ${python} ${where}. Set the host's Python environment to a virtual environment with mlx-lm (python3 -m venv ${host.pythonEnv} && ${host.pythonEnv}/bin/pip install mlx-lm).`)
  }
  const reason = lastLine(stderr) || lastLine(result.stdout) || (result.code === null ? 'it did not answer in time' : `exit code ${result.code}`)
  return fail('ssh-failed', `The check could not run ${python} ${where}: ${reason}.`)
}

function fail(code: HostProblem['code'], message: string): { report: null; problem: HostProblem } {
  return { report: null, problem: { code, message } }
}

/** The problems a report shows by itself (missing packages, missing model); versions and memory are compared by the caller. */
export function reportProblems(host: Host, report: ProbeReport, model: string | null): HostProblem[] {
  const problems: HostProblem[] = []
  const where = host.local ? 'this machine' : host.name
  if (report.mlx === null) problems.push({ code: 'mlx-missing', message: `mlx is not installed in ${host.pythonEnv} on ${where}: run ${host.pythonEnv}/bin/pip install mlx.` })
  if (report.mlxLm === null) problems.push({ code: 'mlx-lm-missing', message: `mlx-lm is not installed in ${host.pythonEnv} on ${where}: run ${host.pythonEnv}/bin/pip install mlx-lm.` })
  if (model !== null && report.model !== null && !report.model.found) {
    const fix = model.startsWith('/') ? `copy the model folder to ${model} there (every host loads it from the same path)` : `download ${model} there (hf download ${model}), or use a local path that exists on every host`
    problems.push({ code: 'model-missing', message: `The model is not at ${report.model.path} on ${where}: ${fix}.` })
  }
  return problems
}

/** What a model may use on the host, by the same rule as this machine's budget. */
export function budgetOf(report: ProbeReport): number | null {
  if (report.totalBytes === null || report.platform === null) return null
  const budget = memoryBudget({
    platform: report.platform,
    arch: report.arch === 'arm64' ? 'arm64' : (report.arch ?? ''),
    totalBytes: report.totalBytes,
    availableBytes: report.availableBytes ?? report.totalBytes,
    runningServersBytes: 0,
  })
  return budget.budgetBytes
}

export function factsOf(report: ProbeReport | null): HostFacts {
  return {
    mlx: report?.mlx ?? null,
    mlxLm: report?.mlxLm ?? null,
    platform: report?.platform ?? null,
    arch: report?.arch ?? null,
    totalBytes: report?.totalBytes ?? null,
    budgetBytes: report === null ? null : budgetOf(report),
    modelPath: report?.model?.path ?? null,
    modelFound: report?.model?.found ?? null,
  }
}

export function memoryProblem(host: Host, needBytes: number, budgetBytes: number, ranks: number): HostProblem | null {
  if (needBytes <= budgetBytes) return null
  const share = ranks === 1 ? 'its rank' : `its ${ranks} ranks`
  return {
    code: 'not-enough-memory',
    message: `${host.local ? 'This machine' : host.name} needs about ${formatBytes(needBytes)} for ${share} of the model, and ${formatBytes(budgetBytes)} is usable there. Stop other models on it, or add another host to share the model.`,
  }
}
