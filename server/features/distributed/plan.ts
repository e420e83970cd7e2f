import type { DistributedBackend, Host } from '../../../shared/hosts'
import { destination } from '../hosts/preflight'

/**
 * mlx.launch runs a rank without SSH only when its hostfile `ssh` entry is exactly 127.0.0.1
 * (mlx/_distributed_utils/launch.py); every other entry is reached with `ssh -tt <entry>`.
 */
const LOCAL_SSH = '127.0.0.1'

/** The hostfile mlx.launch reads (`--hostfile`): one entry per rank, in rank order. */
export interface Hostfile {
  backend: DistributedBackend
  envs: string[]
  hosts: { ssh: string; ips: string[]; rdma: (string | null)[] }[]
}

/**
 * One entry per rank. `ips` is where the other ranks connect (the ring backend), `ssh` how the
 * launcher reaches the machine (user@address; this machine's ranks run directly). For jaccl each
 * rank lists the RDMA device towards every other rank, null towards itself: with one Thunderbolt
 * link per pair, the device each host names.
 */
export function buildHostfile(ranks: Host[], backend: DistributedBackend, envs: string[]): Hostfile {
  return {
    backend,
    envs,
    hosts: ranks.map((host, rank) => ({
      ssh: host.local ? LOCAL_SSH : destination(host),
      ips: [host.address],
      rdma: backend === 'jaccl' ? ranks.map((_, other) => (other === rank ? null : host.rdmaDevice)) : [],
    })),
  }
}

/**
 * Prefixes every line a rank writes, and says when its process ended, so one log tells the ranks
 * apart. A bash read loop, not awk: Debian's mawk reads a pipe in blocks, holding lines back for
 * minutes; `read` takes one line at a time on macOS and Linux alike.
 */
const PREFIX_OUTPUT = `exec > >(while IFS= read -r line || [ -n "$line" ]; do printf '[rank %s] %s\\n' "$MLX_RANK" "$line"; done; printf '[rank %s] process ended\\n' "$MLX_RANK") 2>&1`

const shellWord = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * The program after `--`: bash picks the rank's own mlx_lm.server (each host has its own Python
 * environment, and mlx.launch runs one command everywhere), tags its output, then execs it, so the
 * rank's process is the server itself (what mlx.launch's kill script and the manager's signals reach).
 */
export function rankProgram(ranks: Host[], serverArgs: string[]): string[] {
  const cases = ranks.map((host, rank) => `${rank}) server=${shellWord(`${host.pythonEnv}/bin/mlx_lm.server`)} ;;`).join(' ')
  const script = [
    `case "$MLX_RANK" in ${cases} *) echo "no program for rank $MLX_RANK" >&2; exit 2 ;; esac`,
    PREFIX_OUTPUT,
    'exec "$server" "$@"',
  ].join('\n')
  return ['/bin/bash', '-c', script, 'mlx_lm.server', ...serverArgs]
}

export interface LaunchInputs {
  /** mlx.launch from this machine's mlx environment. */
  launcher: string
  hostfilePath: string
  backend: DistributedBackend
  /** The ring backend listens from here, one port per rank. */
  startingPort: number
  ranks: Host[]
  /** mlx_lm.server's arguments (without the program): --model … --host … --port …, --pipeline in pipeline mode. */
  serverArgs: string[]
}

export function launchCommand(inputs: LaunchInputs): string[] {
  return [inputs.launcher, '--backend', inputs.backend, '--hostfile', inputs.hostfilePath, '--starting-port', String(inputs.startingPort), '--', ...rankProgram(inputs.ranks, inputs.serverArgs)]
}

/**
 * Where a profile's ring listens: its own block of ports above mlx.launch's default 32323, so two
 * distributed profiles never share one (16 per profile, the most ranks a profile may have).
 */
export const ringPort = (profileId: number): number => 32323 + (profileId % 2000) * 16
