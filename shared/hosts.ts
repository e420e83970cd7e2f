/**
 * Hosts: the machines that run ranks of a distributed profile (MLX's `mlx.launch`). Both sides
 * validate with `hostProblems`; the preflight report is what `POST /api/hosts/:id/check` answers.
 */

export const HOST_LIMITS = {
  nameMaxLength: 64,
  userMaxLength: 32,
  pathMaxLength: 1024,
  rdmaDeviceMaxLength: 64,
  /** Ranks a distributed profile may have (mlx.launch itself sets no limit; this keeps mistakes small). */
  maxRanks: 16,
} as const

/** How the ranks talk: TCP sockets (`ring`) or RDMA over Thunderbolt 5 (`jaccl`, macOS 26.2 or later). */
export const DISTRIBUTED_BACKENDS = ['ring', 'jaccl'] as const
export type DistributedBackend = (typeof DISTRIBUTED_BACKENDS)[number]

/** Tensor parallel splits every layer across ranks; pipeline (`--pipeline`) gives each rank a run of layers. */
export const DISTRIBUTED_MODES = ['tensor', 'pipeline'] as const
export type DistributedMode = (typeof DISTRIBUTED_MODES)[number]

export interface Host {
  id: number
  name: string
  /** The IP address other ranks reach this machine at (the ring backend needs addresses, not names). */
  address: string
  /** The user to SSH in as; null for this machine, whose ranks run without SSH. */
  sshUser: string | null
  /** The Python virtual environment with mlx-lm on that machine (it holds bin/python and bin/mlx_lm.server). */
  pythonEnv: string
  /** This machine: its ranks and checks run here, without SSH. */
  local: boolean
  /** For the jaccl backend: the RDMA device (such as rdma_en2) this machine's Thunderbolt link uses. */
  rdmaDevice: string | null
  createdAt: string
  updatedAt: string
}

export type HostFields = Omit<Host, 'id' | 'createdAt' | 'updatedAt'>

export interface HostFieldProblem {
  field: keyof HostFields
  message: string
}

const CONTROL = /[\u0000-\u001f\u007f]/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/
const USER = /^[a-z_][a-z0-9_.-]*\$?$/i
const DEVICE = /^[A-Za-z0-9_.-]+$/

export const isLoopbackAddress = (address: string): boolean => /^127\.\d+\.\d+\.\d+$/.test(address) || address === '::1'

export function hostProblems(fields: HostFields): HostFieldProblem[] {
  const problems: HostFieldProblem[] = []
  const add = (field: keyof HostFields, message: string) => problems.push({ field, message })
  const name = fields.name.trim()
  if (name === '') add('name', 'Give the host a name, such as studio-1.')
  else if ([...name].length > HOST_LIMITS.nameMaxLength) add('name', `A host name is at most ${HOST_LIMITS.nameMaxLength} characters.`)
  else if (CONTROL.test(name)) add('name', 'A host name cannot contain control characters.')
  if (!IPV4.test(fields.address) && !IPV6.test(fields.address)) {
    add('address', `"${fields.address}" is not an IP address. The ring backend connects ranks by address: enter one such as 192.168.1.20 (this machine alone: 127.0.0.1).`)
  } else if (isLoopbackAddress(fields.address) && !fields.local) {
    add('address', `${fields.address} is this machine itself: mark the host as this machine, or enter the address other machines reach it at.`)
  }
  if (fields.sshUser !== null) {
    if (!USER.test(fields.sshUser) || fields.sshUser.length > HOST_LIMITS.userMaxLength) {
      add('sshUser', `"${fields.sshUser}" is not a user name (letters, digits, "_", "-" and ".", at most ${HOST_LIMITS.userMaxLength}).`)
    }
  } else if (!fields.local) add('sshUser', 'Enter the user to sign in as over SSH on that machine (the user names may differ between Macs).')
  const env = fields.pythonEnv
  if (!env.startsWith('/')) add('pythonEnv', 'The Python environment is an absolute path to a virtual environment with mlx-lm, such as /Users/me/mlx-env.')
  else if (env.length > HOST_LIMITS.pathMaxLength) add('pythonEnv', `A path is at most ${HOST_LIMITS.pathMaxLength} characters.`)
  else if (CONTROL.test(env) || /['"`$\\]/.test(env)) add('pythonEnv', 'The Python environment path cannot contain quotes, "$", "\\" or control characters.')
  else if (env.split('/').includes('..')) add('pythonEnv', 'The Python environment path cannot contain "..": write the folder it means.')
  if (fields.rdmaDevice !== null && (!DEVICE.test(fields.rdmaDevice) || fields.rdmaDevice.length > HOST_LIMITS.rdmaDeviceMaxLength)) {
    add('rdmaDevice', `"${fields.rdmaDevice}" is not an RDMA device name such as rdma_en2 (ibv_devices lists them).`)
  }
  return problems
}

/** What one check found wrong, each with what to do about it. */
export const HOST_PROBLEM_CODES = [
  'ssh-auth',
  'ssh-host-key',
  'ssh-unreachable',
  'ssh-failed',
  'python-missing',
  'mlx-missing',
  'mlx-lm-missing',
  'version-mismatch',
  'model-missing',
  'not-enough-memory',
] as const
export type HostProblemCode = (typeof HOST_PROBLEM_CODES)[number]

export interface HostProblem {
  code: HostProblemCode
  /** What is wrong and what to do, in one or two sentences. */
  message: string
}

/** What a host said about itself (null where it could not be read). */
export interface HostFacts {
  mlx: string | null
  mlxLm: string | null
  platform: string | null
  arch: string | null
  totalBytes: number | null
  /** What a model may use there (see shared/memory-fit.ts `memoryBudget`). */
  budgetBytes: number | null
  /** When a profile was checked: the model folder on that host and its weights' size. */
  modelPath: string | null
  modelFound: boolean | null
}

export interface HostCheck {
  hostId: number
  name: string
  ok: boolean
  checkedAt: string
  /** How long the check took, SSH included. */
  tookMs: number
  facts: HostFacts
  problems: HostProblem[]
}
