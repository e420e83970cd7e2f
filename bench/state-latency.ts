// How fast a server state change reaches an open browser tab: the manager stamps each change
// (startedAt, readyAt, stoppedAt); a page in Chromium listening on /api/events notes when it arrives.
// Baseline, in the same run: a bare Bun SSE endpoint pushing a stamped event to the same browser.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import type { ServerStatus } from '../shared/servers'
import { CHROMIUM, CHROMIUM_ARGS } from './browser'
import { fmt, freePort, percentile, ROOT, row, tempHome, timeToFirst200 } from './lib'

const ROUNDS = 5
const ENTRY = existsSync(join(ROOT, 'dist', 'server', 'cli.js')) ? 'dist/server/cli.js' : 'server/cli.ts'

const STAMP: Record<string, keyof ServerStatus> = { starting: 'startedAt', ready: 'readyAt', stopped: 'stoppedAt' }

async function json<T>(url: string, init: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } })
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

async function managerLatencies(browser: Browser): Promise<number[]> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { child } = await timeToFirst200([process.execPath, ENTRY, '--port', String(port)], `${base}/api/health`, {
    MLX_MANAGER_HOME: tempHome(),
    MLX_MANAGER_ENGINE_PATH: join(ROOT, 'tests', 'fixtures', 'engine'),
    MLX_STANDIN_BUN: process.execPath,
    MLX_STANDIN_LOAD_MS: '150',
  })
  try {
    const credentials = { email: 'bench@example.com', password: 'bench-password' }
    await json(`${base}/api/auth/register`, { method: 'POST', body: JSON.stringify(credentials) })
    const { token } = await json<{ token: string }>(`${base}/api/auth/login`, { method: 'POST', body: JSON.stringify(credentials) })
    const auth = { authorization: `Bearer ${token}` }
    const profile = await json<{ id: number }>(`${base}/api/profiles`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'bench', model: 'standin/bench', engine: 'mlx_lm.server', port: await freePort() }),
    })
    const context = await browser.newContext()
    await context.addCookies([{ name: 'mlx_session', value: token, url: base }])
    const page = await context.newPage()
    await page.goto(`${base}/api/health`)
    await page.evaluate((stamps) => {
      const store = window as unknown as { lags: number[] }
      store.lags = []
      const source = new EventSource('/api/events')
      source.addEventListener('servers.state', (message) => {
        const status = JSON.parse((message as MessageEvent<string>).data) as Record<string, string | null>
        const stamp = status[stamps[status.state ?? ''] ?? '']
        if (typeof stamp === 'string') store.lags.push(Date.now() - Date.parse(stamp))
      })
      return new Promise((resolve) => source.addEventListener('system.memory', resolve, { once: true }))
    }, STAMP as Record<string, string>)
    for (let i = 0; i < ROUNDS; i++) {
      await json(`${base}/api/servers/${profile.id}/start?wait=true`, { method: 'POST', headers: auth })
      await json(`${base}/api/servers/${profile.id}/stop`, { method: 'POST', headers: auth })
    }
    await Bun.sleep(200)
    const lags = await page.evaluate(() => (window as unknown as { lags: number[] }).lags)
    await context.close()
    return lags
  } finally {
    child.kill('SIGTERM')
    await child.exited
  }
}

async function baselineLatencies(browser: Browser): Promise<number[]> {
  // Held in an object so the stream's start callback can fill it in.
  const channel: { push: ((line: string) => void) | null } = { push: null }
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request) => {
      if (new URL(request.url).pathname !== '/events') return new Response('<p>baseline</p>', { headers: { 'content-type': 'text/html' } })
      const stream = new ReadableStream<string>({
        start(controller) {
          channel.push = (line) => controller.enqueue(line)
          controller.enqueue('event: ready\ndata: {}\n\n')
        },
      })
      return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
    },
  })
  const page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${server.port}/`)
  await page.evaluate(() => {
    const store = window as unknown as { lags: number[] }
    store.lags = []
    const source = new EventSource('/events')
    source.addEventListener('stamp', (message) => store.lags.push(Date.now() - Number((message as MessageEvent<string>).data)))
    return new Promise((resolve) => source.addEventListener('ready', resolve, { once: true }))
  })
  for (let i = 0; i < ROUNDS * 3; i++) {
    channel.push?.(`event: stamp\ndata: ${Date.now()}\n\n`)
    await Bun.sleep(100)
  }
  const lags = await page.evaluate(() => (window as unknown as { lags: number[] }).lags)
  await page.close()
  await server.stop(true)
  return lags
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
try {
  const manager = (await managerLatencies(browser)).sort((a, b) => a - b)
  const baseline = (await baselineLatencies(browser)).sort((a, b) => a - b)
  console.log(`Server state change to an open browser tab (${manager.length} changes; baseline: a bare Bun SSE push, ${baseline.length} events)`)
  const p50 = percentile(manager, 50)
  const max = manager.at(-1) ?? Number.NaN
  row('state change to tab, median', fmt.ms(p50), fmt.ms(percentile(baseline, 50)), fmt.ratio(p50 / Math.max(1, percentile(baseline, 50))), '< 200 ms', p50 < 200)
  row('state change to tab, slowest', fmt.ms(max), fmt.ms(baseline.at(-1) ?? Number.NaN), fmt.ratio(max / Math.max(1, baseline.at(-1) ?? 1)), '< 200 ms', max < 200)
} finally {
  await browser.close()
}
