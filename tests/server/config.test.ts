import { describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, isLoopback, loadConfig } from '../../server/config'
import { tempDir } from './helpers'

describe('configuration', () => {
  test('defaults follow DESIGN.md', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      hostExplicit: false,
      home: join(homedir(), '.mlx-manager'),
      hfEndpoint: 'https://huggingface.co',
      hfTokenPath: join(homedir(), '.cache', 'huggingface', 'token'),
      hfHubCache: join(homedir(), '.cache', 'huggingface', 'hub'),
      enginePath: [],
    })
  })

  test('without HF_TOKEN the token hf auth login saved is used; HF_TOKEN wins over it', () => {
    const hfHome = tempDir('mlx-manager-hf-home-')
    expect(loadConfig({ HF_HOME: hfHome }).hfToken).toBeNull()
    writeFileSync(join(hfHome, 'token'), 'hf_saved\n')
    expect(loadConfig({ HF_HOME: hfHome }).hfToken).toBe('hf_saved')
    expect(loadConfig({ HF_HOME: hfHome, HF_TOKEN: 'hf_env' }).hfToken).toBe('hf_env')
    writeFileSync(join(hfHome, 'elsewhere'), 'hf_elsewhere')
    expect(loadConfig({ HF_HOME: hfHome, HF_TOKEN_PATH: join(hfHome, 'elsewhere') }).hfToken).toBe('hf_elsewhere')
    writeFileSync(join(hfHome, 'token'), '  \n')
    expect(loadConfig({ HF_HOME: hfHome }).hfToken).toBeNull()
  })

  test('HF_HUB_CACHE wins over HF_HOME, which wins over the default', () => {
    expect(loadConfig({ HF_HOME: '/data/hf' }).hfHubCache).toBe('/data/hf/hub')
    expect(loadConfig({ HF_HOME: '/data/hf', HF_HUB_CACHE: '/cache' }).hfHubCache).toBe('/cache')
  })

  test('values are read and trimmed', () => {
    const config = loadConfig({
      PORT: ' 9000 ',
      HOST: '0.0.0.0',
      HF_ENDPOINT: 'http://127.0.0.1:8090/',
      HF_TOKEN: 'hf_abc',
      MLX_MANAGER_ENGINE_PATH: '/opt/a:/opt/b',
      MLX_MANAGER_HOME: '~/mm',
    })
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      hostExplicit: true,
      hfEndpoint: 'http://127.0.0.1:8090',
      hfToken: 'hf_abc',
      enginePath: ['/opt/a', '/opt/b'],
      home: join(homedir(), 'mm'),
    })
  })

  test.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number'],
    [{ PORT: '0' }, 'PORT must be a whole number'],
    [{ PORT: '70000' }, 'PORT must be a whole number'],
    [{ PORT: '80.5' }, 'PORT must be a whole number'],
    [{ MLX_MANAGER_HOME: 'relative/dir' }, 'MLX_MANAGER_HOME must be an absolute path'],
    [{ HF_ENDPOINT: 'not a url' }, 'HF_ENDPOINT must be a URL'],
    [{ HF_ENDPOINT: 'ftp://hub' }, 'HF_ENDPOINT must use http or https'],
    [{ MLX_MANAGER_ENGINE_PATH: 'bin' }, 'MLX_MANAGER_ENGINE_PATH must be an absolute path'],
    [{ HF_TOKEN_PATH: 'token' }, 'HF_TOKEN_PATH must be an absolute path'],
  ])('bad value %p fails fast with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  test('loopback detection', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopback(host)).toBe(true)
    for (const host of ['0.0.0.0', '192.168.1.2', '::']) expect(isLoopback(host)).toBe(false)
  })
})
