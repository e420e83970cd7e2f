import { describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheControlFor } from '../../server/features/web'
import { createTestApp } from './helpers'

function appWithBuiltWeb() {
  const app = createTestApp()
  const dist = app.config.webDist
  mkdirSync(join(dist, 'assets'), { recursive: true })
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>MLX Manager</title>')
  writeFileSync(join(dist, 'sw.js'), 'self.addEventListener("fetch", () => {})')
  writeFileSync(join(dist, 'manifest.webmanifest'), '{"name":"MLX Manager"}')
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)')
  writeFileSync(join(dist, 'secret-neighbour.txt'), 'inside')
  writeFileSync(join(app.home, 'outside.txt'), 'TOP-SECRET-OUTSIDE')
  return app
}

describe('serving the web app', () => {
  test('index.html, the service worker and the manifest are revalidated on every load', async () => {
    const app = appWithBuiltWeb()
    for (const path of ['/', '/index.html', '/sw.js', '/manifest.webmanifest']) {
      const response = await app.call('GET', path)
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-cache')
    }
  })

  test('hashed assets are cached for a year as immutable', async () => {
    const app = appWithBuiltWeb()
    const response = await app.call('GET', '/assets/index-abc123.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(response.headers.get('content-type')).toContain('javascript')
  })

  test('deep links fall back to index.html so the app can route them', async () => {
    const app = appWithBuiltWeb()
    for (const path of ['/users', '/catalog/mlx-community/Qwen3-8B-4bit', '/catalog/mlx-community/Qwen2.5-VL-7B-Instruct-4bit', '/login?next=%2Fusers']) {
      const response = await app.call('GET', path)
      expect(response.status).toBe(200)
      expect(await response.text()).toContain('<title>MLX Manager</title>')
      expect(response.headers.get('cache-control')).toBe('no-cache')
    }
  })

  test('missing files and API paths are 404s, not the app shell', async () => {
    const app = appWithBuiltWeb()
    for (const path of ['/assets/missing.js', '/missing.css', '/icons/none.png', '/api/unknown']) {
      const response = await app.call('GET', path)
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ error: { code: 'not-found' } })
    }
    // The OpenAI-compatible family answers in OpenAI's error shape.
    const gateway = await app.call('GET', '/v1/models-not-yet')
    expect(gateway.status).toBe(404)
    const { error } = (await gateway.json()) as { error: { type: unknown; message: unknown } }
    expect([typeof error.type, typeof error.message]).toEqual(['string', 'string'])
  })

  test('paths never escape the web app folder', async () => {
    const app = appWithBuiltWeb()
    for (const path of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/%2e%2e/%2e%2e/outside.txt', '/%00', '/%E0%A4%A']) {
      const response = await app.call('GET', path)
      expect(await response.text()).not.toContain('TOP-SECRET-OUTSIDE')
    }
  })

  test('an unbuilt app says how to build it', async () => {
    const app = createTestApp()
    const response = await app.call('GET', '/')
    expect(response.status).toBe(503)
    expect(await response.text()).toContain('npm start')
  })

  test('cache policy by path', () => {
    expect(cacheControlFor('/registerSW.js')).toBe('no-cache')
    expect(cacheControlFor('/workbox-1234.js')).toBe('no-cache')
    expect(cacheControlFor('/icons/icon-192.png')).toBe('public, max-age=3600')
  })
})
