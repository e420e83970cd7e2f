import { createConnection, createServer } from 'node:net'

/** What the OS says about a port on a host. */
export type PortCheck = 'free' | 'in-use' | 'address-unavailable' | 'forbidden'

export interface PortProbe {
  check(host: string, port: number): Promise<PortCheck>
}

function tryBind(host: string, port: number): Promise<PortCheck> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve('in-use')
      else if (error.code === 'EACCES' || error.code === 'EPERM') resolve('forbidden')
      else resolve('address-unavailable')
    })
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')))
  })
}

/** True when something accepts connections on host:port (BSD lets a specific bind coexist with a wildcard one). */
function answers(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const done = (result: boolean) => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]'])

/** Asks the OS: try to bind the port (exclusively), and for loopback or wildcard hosts also try to connect. */
export const systemPortProbe: PortProbe = {
  async check(host, port) {
    const bindHost = host.startsWith('[') ? host.slice(1, -1) : host
    const bound = await tryBind(bindHost, port)
    if (bound !== 'free') return bound
    const loopback = WILDCARD.has(host) || host === 'localhost' || host.startsWith('127.') ? '127.0.0.1' : null
    if (loopback !== null && (await answers(loopback, port))) return 'in-use'
    return 'free'
  },
}
