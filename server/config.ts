import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { projectRoot } from './paths'

/** Everything the manager reads from its environment, read once at start. */
export interface Config {
  port: number
  host: string
  /** True when HOST was set explicitly: binding beyond loopback must be a choice. */
  hostExplicit: boolean
  home: string
  hfEndpoint: string
  /** HF_TOKEN, or else the token `hf auth login` saved (at `hfTokenPath`). */
  hfToken: string | null
  /** Where huggingface_hub keeps the signed-in token: HF_TOKEN_PATH, or `token` in HF_HOME. */
  hfTokenPath: string
  hfHubCache: string
  enginePath: string[]
  /** Where the built web app lives; the manager serves it with an SPA fallback. */
  webDist: string
  /** Extra names the manager answers to in the Host header (MLX_MANAGER_ALLOWED_HOSTS), lower case. */
  allowedHosts: string[]
  /** Days request records and server samples are kept, rolled up as they age (MLX_MANAGER_RETENTION_DAYS, default 90). */
  retentionDays: number
  /** The SSH client hosts are reached with (MLX_MANAGER_SSH, default `ssh`): a program and its fixed arguments. */
  sshCommand: string[]
  version: string
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = Record<string, string | undefined>


export function parsePort(raw: string, source: string): number {
  const port = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${source} must be a whole number from 1 to 65535, not "${raw}".`)
  }
  return port
}

function absoluteDir(raw: string, source: string): string {
  const expanded = raw.startsWith('~/') ? join(homedir(), raw.slice(2)) : raw
  if (!isAbsolute(expanded)) throw new ConfigError(`${source} must be an absolute path, not "${raw}".`)
  return expanded
}

function parseUrl(raw: string, source: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${source} must be a URL such as https://huggingface.co, not "${raw}".`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${source} must use http or https, not "${url.protocol}".`)
  }
  return url.toString().replace(/\/+$/, '')
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** The token a `hf auth login` (or `huggingface-cli login`) saved, when there is one. */
function savedToken(path: string): string | null {
  try {
    const token = readFileSync(path, 'utf8').trim()
    return token === '' ? null : token
  } catch {
    return null
  }
}

/** A comma list of host names or addresses, as a client writes them in the Host header (no port, no scheme). */
function parseAllowedHosts(raw: string): string[] {
  const names = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
  for (const name of names) {
    if (!/^(\[[0-9a-f:.]+\]|[0-9a-f:]+:[0-9a-f:.]*|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(name)) {
      throw new ConfigError(`MLX_MANAGER_ALLOWED_HOSTS lists host names or addresses separated by commas (such as mac-studio.local,192.168.1.20), not "${name}".`)
    }
  }
  return names.map((name) => (name.includes(':') && !name.startsWith('[') ? `[${name}]` : name))
}

function parseRetentionDays(raw: string): number {
  const days = Number(raw)
  if (!/^\d+$/.test(raw) || days < 1 || days > 3650) {
    throw new ConfigError(`MLX_MANAGER_RETENTION_DAYS is how many days request history is kept: a whole number from 1 to 3650, not "${raw}".`)
  }
  return days
}

/** Reads and checks the environment; throws ConfigError with a sentence a person can act on. */
export function loadConfig(env: Env = process.env, version = '0.0.0'): Config {
  const hostRaw = nonEmpty(env, 'HOST')
  const portRaw = nonEmpty(env, 'PORT')
  const home = absoluteDir(nonEmpty(env, 'MLX_MANAGER_HOME') ?? join(homedir(), '.mlx-manager'), 'MLX_MANAGER_HOME')
  const hfHome = absoluteDir(nonEmpty(env, 'HF_HOME') ?? join(homedir(), '.cache', 'huggingface'), 'HF_HOME')
  const hubCacheRaw = nonEmpty(env, 'HF_HUB_CACHE')
  const enginePathRaw = nonEmpty(env, 'MLX_MANAGER_ENGINE_PATH')
  const webDistRaw = nonEmpty(env, 'MLX_MANAGER_WEB_DIST')
  const tokenPathRaw = nonEmpty(env, 'HF_TOKEN_PATH')
  const hfTokenPath = tokenPathRaw === undefined ? join(hfHome, 'token') : absoluteDir(tokenPathRaw, 'HF_TOKEN_PATH')
  return {
    port: portRaw === undefined ? 8080 : parsePort(portRaw, 'PORT'),
    host: hostRaw ?? '127.0.0.1',
    hostExplicit: hostRaw !== undefined,
    home,
    hfEndpoint: parseUrl(nonEmpty(env, 'HF_ENDPOINT') ?? 'https://huggingface.co', 'HF_ENDPOINT'),
    hfToken: nonEmpty(env, 'HF_TOKEN') ?? savedToken(hfTokenPath),
    hfTokenPath,
    hfHubCache: hubCacheRaw === undefined ? join(hfHome, 'hub') : absoluteDir(hubCacheRaw, 'HF_HUB_CACHE'),
    enginePath: (enginePathRaw ?? '')
      .split(':')
      .filter((dir) => dir !== '')
      .map((dir) => absoluteDir(dir, 'MLX_MANAGER_ENGINE_PATH')),
    webDist: webDistRaw === undefined ? join(projectRoot(), 'web', 'dist') : absoluteDir(webDistRaw, 'MLX_MANAGER_WEB_DIST'),
    allowedHosts: parseAllowedHosts(nonEmpty(env, 'MLX_MANAGER_ALLOWED_HOSTS') ?? ''),
    retentionDays: parseRetentionDays(nonEmpty(env, 'MLX_MANAGER_RETENTION_DAYS') ?? '90'),
    sshCommand: (nonEmpty(env, 'MLX_MANAGER_SSH') ?? 'ssh').split(/\s+/),
    version,
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
