import { describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { completeInCache, launchEnv } from '../../server/features/servers/launch-env'
import { PROFILE_DEFAULTS, type Profile } from '../../shared/profiles'
import { tempDir } from './helpers'

const COMMIT = 'a'.repeat(40)

/** A cache entry in the HuggingFace layout, with the parts a test leaves out. */
function cached(cache: string, id: string, omit: { refs?: boolean; config?: boolean; weights?: boolean } = {}, partial = false): void {
  const repo = join(cache, `models--${id.replace('/', '--')}`)
  const snapshot = join(repo, 'snapshots', COMMIT)
  mkdirSync(snapshot, { recursive: true })
  mkdirSync(join(repo, 'blobs'), { recursive: true })
  if (omit.refs !== true) {
    mkdirSync(join(repo, 'refs'), { recursive: true })
    writeFileSync(join(repo, 'refs', 'main'), `${COMMIT}\n`)
  }
  if (omit.config !== true) writeFileSync(join(snapshot, 'config.json'), '{}')
  if (omit.weights !== true) writeFileSync(join(snapshot, 'model.safetensors'), 'x')
  if (partial) writeFileSync(join(repo, 'blobs', 'etag123.incomplete'), 'x')
}

const profile = (model: string): Profile => ({
  ...PROFILE_DEFAULTS,
  id: 1,
  name: 'P',
  model,
  engine: 'mlx_lm.server',
  port: 8001,
  extraArgs: [],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
})

describe('completeInCache', () => {
  test('a finished snapshot: refs/main, its config and weights, nothing partial', () => {
    const cache = tempDir()
    cached(cache, 'org/done')
    cached(cache, 'org/no-ref', { refs: true })
    cached(cache, 'org/no-config', { config: true })
    cached(cache, 'org/no-weights', { weights: true })
    cached(cache, 'org/partial', {}, true)
    expect(completeInCache(cache, 'org/done')).toBe(true)
    for (const id of ['org/no-ref', 'org/no-config', 'org/no-weights', 'org/partial', 'org/absent']) expect({ id, complete: completeInCache(cache, id) }).toEqual({ id, complete: false })
  })

  test('a local path or anything not a repo id is never looked up', () => {
    const cache = tempDir()
    expect(completeInCache(cache, '/Users/me/models/qwen')).toBe(false)
    expect(completeInCache(cache, '../org/done')).toBe(false)
  })
})

describe('launchEnv', () => {
  const noCompiler = () => null
  const compiler = (name: string) => (name === 'g++' ? '/usr/bin/g++' : null)

  test('HF_HUB_OFFLINE=1 only for a model complete in the cache', () => {
    const cache = tempDir()
    cached(cache, 'org/done')
    cached(cache, 'org/partial', {}, true)
    const env = launchEnv({ hfHubCache: cache, platform: 'darwin', which: noCompiler })
    expect(env(profile('org/done'))).toEqual({ HF_HUB_OFFLINE: '1' })
    expect(env(profile('org/partial'))).toEqual({})
    expect(env(profile('org/absent'))).toEqual({})
    expect(env(profile('/Users/me/models/qwen'))).toEqual({})
  })

  test('MLX_DISABLE_COMPILE=1 on Linux when there is no g++, only then', () => {
    const cache = tempDir()
    expect(launchEnv({ hfHubCache: cache, platform: 'linux', which: noCompiler })(profile('org/x'))).toEqual({ MLX_DISABLE_COMPILE: '1' })
    expect(launchEnv({ hfHubCache: cache, platform: 'linux', which: compiler })(profile('org/x'))).toEqual({})
    expect(launchEnv({ hfHubCache: cache, platform: 'darwin', which: noCompiler })(profile('org/x'))).toEqual({})
  })

  test('asks for g++ by that name', () => {
    const asked: string[] = []
    launchEnv({ hfHubCache: tempDir(), platform: 'linux', which: (name) => (asked.push(name), null) })(profile('org/x'))
    expect(asked).toEqual(['g++'])
  })

  test('makes the cache folder before the engine starts', () => {
    const cache = join(tempDir(), 'not', 'yet', 'hub')
    expect(existsSync(cache)).toBe(false)
    launchEnv({ hfHubCache: cache, platform: 'darwin', which: noCompiler })(profile('org/x'))
    expect(existsSync(cache)).toBe(true)
  })
})
