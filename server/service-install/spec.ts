import type { Config } from '../config'

/** What a login service needs to start the manager the way it runs now. */
export interface ServiceSpec {
  /** The Bun executable and the manager's entry point. */
  program: string[]
  workingDirectory: string
  /** The manager's own log when run as a service. */
  logPath: string
  environment: Record<string, string>
}

export const SERVICE_NAME = 'mlx-manager'
export const LAUNCHD_LABEL = 'local.mlx-manager'

/**
 * The environment to bake into the service: the resolved config (so the service uses the same data
 * dir, port and model cache) and PATH (so engines are found; launchd's own PATH is minimal).
 */
export function serviceEnvironment(config: Config, env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {
    MLX_MANAGER_HOME: config.home,
    PORT: String(config.port),
    HF_HUB_CACHE: config.hfHubCache,
  }
  if (config.hostExplicit) result.HOST = config.host
  for (const name of ['HF_ENDPOINT', 'HF_TOKEN', 'HF_HOME', 'MLX_MANAGER_ENGINE_PATH', 'MLX_MANAGER_WEB_DIST', 'PATH']) {
    const value = env[name]
    if (value !== undefined && value !== '') result[name] = value
  }
  return result
}
