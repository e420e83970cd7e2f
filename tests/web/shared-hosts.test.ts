import { describe, expect, it } from 'vitest'
import { hostProblems, isLoopbackAddress, type HostFields } from '../../shared/hosts'

/** The rules a host must satisfy on both sides (shared/hosts.ts), with the sentence each field reports. */

const remote: HostFields = { name: 'studio-2', address: '192.168.1.21', sshUser: 'me', pythonEnv: '/Users/me/mlx-env', local: false, rdmaDevice: null }
const local: HostFields = { ...remote, name: 'this-mac', address: '127.0.0.1', sshUser: null, local: true }

function problems(fields: Partial<HostFields>) {
  return hostProblems({ ...remote, ...fields })
}

/** The one problem a host has, as `field: message`; fails when it has none or several. */
function onlyProblem(fields: Partial<HostFields>): string {
  const found = problems(fields)
  expect(found).toHaveLength(1)
  return `${found[0]?.field}: ${found[0]?.message}`
}

describe('hostProblems', () => {
  it('a remote host and this machine as they are usually entered have none', () => {
    expect(problems({})).toEqual([])
    expect(hostProblems(local)).toEqual([])
    expect(problems({ address: 'fe80::1', rdmaDevice: 'rdma_en2', sshUser: 'first.last-2' })).toEqual([])
    expect(hostProblems({ ...local, address: '::1' })).toEqual([])
  })

  it('names: required, at most 64 characters, no control characters', () => {
    expect(onlyProblem({ name: '  ' })).toBe('name: Give the host a name, such as studio-1.')
    expect(problems({ name: 'h'.repeat(64) })).toEqual([])
    expect(problems({ name: '💻'.repeat(64) })).toEqual([])
    expect(onlyProblem({ name: 'h'.repeat(65) })).toBe('name: A host name is at most 64 characters.')
    expect(onlyProblem({ name: 'studio\t2' })).toBe('name: A host name cannot contain control characters.')
  })

  it('addresses: IPv4 or IPv6 only, since the ring backend connects by address', () => {
    for (const address of ['studio.local', '256.0.0.1', '1.2.3', '', '12345', 'fe80::zz']) {
      expect(onlyProblem({ address })).toBe(
        `address: "${address}" is not an IP address. The ring backend connects ranks by address: enter one such as 192.168.1.20 (this machine alone: 127.0.0.1).`,
      )
    }
    for (const address of ['10.0.0.1', '255.255.255.255', '::ffff:192.168.1.2', '2001:db8::1']) expect(problems({ address })).toEqual([])
  })

  it('a loopback address belongs to this machine only', () => {
    expect(onlyProblem({ address: '127.0.0.1' })).toBe(
      'address: 127.0.0.1 is this machine itself: mark the host as this machine, or enter the address other machines reach it at.',
    )
    expect(onlyProblem({ address: '::1' })).toContain('address: ::1 is this machine itself')
    expect(problems({ address: '192.168.1.21', local: true, sshUser: null })).toEqual([])
  })

  it('SSH users: a user name of at most 32 characters, required unless the host is this machine', () => {
    expect(problems({ sshUser: 'u'.repeat(32) })).toEqual([])
    expect(problems({ sshUser: 'machine$' })).toEqual([])
    for (const sshUser of ['u'.repeat(33), '1user', 'me@host', 'a b', '']) {
      expect(onlyProblem({ sshUser })).toBe(`sshUser: "${sshUser}" is not a user name (letters, digits, "_", "-" and ".", at most 32).`)
    }
    expect(onlyProblem({ sshUser: null })).toBe('sshUser: Enter the user to sign in as over SSH on that machine (the user names may differ between Macs).')
  })

  it('Python environments: an absolute path of at most 1024 characters, nothing a shell reads specially', () => {
    expect(problems({ pythonEnv: `/${'p'.repeat(1023)}` })).toEqual([])
    expect(onlyProblem({ pythonEnv: `/${'p'.repeat(1024)}` })).toBe('pythonEnv: A path is at most 1024 characters.')
    expect(onlyProblem({ pythonEnv: 'mlx-env' })).toBe(
      'pythonEnv: The Python environment is an absolute path to a virtual environment with mlx-lm, such as /Users/me/mlx-env.',
    )
    for (const pythonEnv of ["/Users/me/it's", '/Users/"me"', '/Users/`id`', '/Users/$HOME', '/Users\\me', '/Users/me\nx']) {
      expect(onlyProblem({ pythonEnv })).toBe('pythonEnv: The Python environment path cannot contain quotes, "$", "\\" or control characters.')
    }
    expect(onlyProblem({ pythonEnv: '/Users/me/../other' })).toBe('pythonEnv: The Python environment path cannot contain "..": write the folder it means.')
    expect(problems({ pythonEnv: '/Users/me/..env' })).toEqual([])
  })

  it('RDMA devices: a device name of at most 64 characters', () => {
    expect(problems({ rdmaDevice: 'd'.repeat(64) })).toEqual([])
    for (const rdmaDevice of ['d'.repeat(65), 'rdma en2', '', 'rdma/en2']) {
      expect(onlyProblem({ rdmaDevice })).toBe(`rdmaDevice: "${rdmaDevice}" is not an RDMA device name such as rdma_en2 (ibv_devices lists them).`)
    }
  })

  it('reports every field that is wrong, in form order', () => {
    const all = hostProblems({ name: '', address: 'x', sshUser: null, pythonEnv: 'env', local: false, rdmaDevice: '?' })
    expect(all.map((problem) => problem.field)).toEqual(['name', 'address', 'sshUser', 'pythonEnv', 'rdmaDevice'])
  })
})

describe('isLoopbackAddress', () => {
  it('is the whole 127.0.0.0/8 range and ::1', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '127.10.200.30', '::1']) expect(isLoopbackAddress(address)).toBe(true)
    for (const address of ['128.0.0.1', '10.127.0.1', '127.0.0.1.5', 'x127.0.0.1', '::2', '0.0.0.0']) expect(isLoopbackAddress(address)).toBe(false)
  })
})
