import type { Config } from '../../config'

type Env = Record<string, string | undefined>

/** What a program needs to find things, write temporary files and print text, passed on as they are. */
const PASSED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'LANG', 'TZ', 'TERM', 'HF_HOME', 'HF_HUB_OFFLINE', 'CUDA_VISIBLE_DEVICES', 'VIRTUAL_ENV']
/** Locale, and the knobs of MLX and Metal themselves (MLX_METAL_FAST_SYNCH, METAL_DEVICE_WRAPPER_TYPE, …). */
const PASSED_PREFIXES = ['LC_', 'MLX_', 'METAL_']

/**
 * The environment engines run with: an allow-list of the manager's own, never all of it. Engines
 * are other people's programs that log freely; the manager's settings and whatever secrets its
 * environment holds stay with the manager. The hub settings come from the manager's config, so
 * engines read the same cache and hub (and token) as the manager does.
 */
export function engineEnvironment(source: Env, config: Pick<Config, 'hfHubCache' | 'hfEndpoint' | 'hfToken'>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name.startsWith('MLX_MANAGER_')) continue
    if (PASSED.includes(name) || PASSED_PREFIXES.some((prefix) => name.startsWith(prefix))) env[name] = value
  }
  return {
    ...env,
    // Engines log through Python; unbuffered, their lines reach the log file (and the live view) at once.
    PYTHONUNBUFFERED: '1',
    HF_HUB_CACHE: config.hfHubCache,
    HF_ENDPOINT: config.hfEndpoint,
    ...(config.hfToken === null ? {} : { HF_TOKEN: config.hfToken }),
  }
}
