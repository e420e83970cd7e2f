import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Profile } from '../../../shared/profiles'

const REPO_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/

/** True when the cache holds a finished snapshot of `modelId`: refs/main, its config and weights, nothing partial. */
export function completeInCache(cache: string, modelId: string): boolean {
  if (!REPO_ID.test(modelId)) return false
  const repo = join(cache, `models--${modelId.replace('/', '--')}`)
  try {
    const commit = readFileSync(join(repo, 'refs', 'main'), 'utf8').trim()
    const snapshot = join(repo, 'snapshots', commit)
    if (!existsSync(join(snapshot, 'config.json'))) return false
    if (!readdirSync(snapshot).some((file) => file.endsWith('.safetensors'))) return false
    return !readdirSync(join(repo, 'blobs')).some((file) => file.endsWith('.incomplete'))
  } catch {
    return false
  }
}

export interface LaunchEnvOptions {
  hfHubCache: string
  platform?: NodeJS.Platform
  /** Finds a program on the engines' PATH (g++ for MLX's compiler on Linux). */
  which: (name: string) => string | null
  /** The manager's HuggingFace token now (it may have changed in Settings since the manager started). */
  hfToken?: () => string | null
}

/**
 * Per-start engine variables. mlx_lm.server with a repo id asks the hub for it on every start
 * (and fails without a network) unless HF_HUB_OFFLINE=1, so a model already complete in the cache
 * starts offline. The cache folder must exist first: mlx_lm.server's /v1/models raises
 * CacheNotFound without it. On Linux, mx.compile builds kernels with g++ at run time; without
 * one, compiling is turned off rather than failing mid-answer. HF_TOKEN is read at each start, so
 * a token set in Settings reaches the next engine without restarting the manager.
 */
export function launchEnv(options: LaunchEnvOptions) {
  return (profile: Profile): Record<string, string> => {
    mkdirSync(options.hfHubCache, { recursive: true })
    const env: Record<string, string> = {}
    const token = options.hfToken?.() ?? null
    if (token !== null) env.HF_TOKEN = token
    if (completeInCache(options.hfHubCache, profile.model)) env.HF_HUB_OFFLINE = '1'
    if ((options.platform ?? process.platform) === 'linux' && options.which('g++') === null) env.MLX_DISABLE_COMPILE = '1'
    return env
  }
}
