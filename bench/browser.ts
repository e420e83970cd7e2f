// Runs part of the web app in headless Chromium for a benchmark: bundles a module that sets
// `window.runBench`, serves it from a bare page, and returns what runBench(input) resolves to.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { ROOT } from './lib'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const PAGE = '<!doctype html><script type="module" src="/bench.js"></script>'

async function bundle(name: string, source: string, define: Record<string, string>): Promise<string> {
  // Inside the repo (under node_modules, which git ignores) so the bundler resolves vue, pinia and dexie.
  const cache = join(ROOT, 'node_modules', '.cache')
  mkdirSync(cache, { recursive: true })
  const dir = mkdtempSync(join(cache, `${name}-bench-`))
  try {
    const entry = join(dir, 'entry.ts')
    writeFileSync(entry, source)
    const built = await Bun.build({ entrypoints: [entry], target: 'browser', minify: true, define })
    const script = await built.outputs[0]?.text()
    if (!built.success || script === undefined) throw new Error(`Bundling the ${name} browser bench failed: ${built.logs.map((log) => log.message).join('\n')}`)
    return script
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function runInChromium<I, R>(name: string, source: string, input: I, define: Record<string, string> = {}): Promise<R> {
  const script = await bundle(name, source, define)
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request) =>
      new URL(request.url).pathname === '/bench.js'
        ? new Response(script, { headers: { 'content-type': 'text/javascript' } })
        : new Response(PAGE, { headers: { 'content-type': 'text/html' } }),
  })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${server.port}/`)
    await page.waitForFunction(() => 'runBench' in window)
    return await page.evaluate((arg) => (window as unknown as { runBench: (value: typeof arg) => Promise<R> }).runBench(arg), input)
  } finally {
    await browser.close()
    await server.stop(true)
  }
}
