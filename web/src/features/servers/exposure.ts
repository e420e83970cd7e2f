/** Names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase()
  return name === '' || name === 'localhost' || name === '::1' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

/** Said wherever an engine listens beyond loopback: the editor and its server's tile. */
export const EXPOSED_ENGINE_WARNING =
  'Other machines can reach this engine directly, without signing in: engines have no authentication of their own.'
