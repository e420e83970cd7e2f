/**
 * Which Chromium the browser tests (and `npm run doctor`) use, in order: CHROMIUM_PATH, the
 * system Chromium, Google Chrome on a Mac, then Playwright's own Chromium if it was downloaded.
 * Plain Node APIs only: the Playwright config loads this under Node.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

export type BrowserSource = 'CHROMIUM_PATH' | 'system Chromium' | 'Google Chrome' | "Playwright's Chromium"

export interface BrowserChoice {
  source: BrowserSource
  path: string
}

export interface FindBrowserOptions {
  env?: Record<string, string | undefined>
  exists?: (path: string) => boolean
  /** Where Playwright keeps its own Chromium (whether or not it was downloaded); null without playwright-core. */
  playwrightPath?: () => string | null
}

export const SYSTEM_CHROMIUM = '/usr/bin/chromium'
export const GOOGLE_CHROME_MAC = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'

export function playwrightChromiumPath(): string | null {
  try {
    const require = createRequire(import.meta.url)
    const { chromium } = require('playwright-core') as { chromium: { executablePath(): string } }
    return chromium.executablePath()
  } catch {
    return null
  }
}

export type BrowserResult = { ok: true; browser: BrowserChoice; tried: BrowserChoice[] } | { ok: false; message: string; tried: BrowserChoice[] }

export function findBrowser(options: FindBrowserOptions = {}): BrowserResult {
  const env = options.env ?? process.env
  const exists = options.exists ?? existsSync
  const chosen = env.CHROMIUM_PATH
  if (chosen !== undefined && chosen !== '') {
    const browser: BrowserChoice = { source: 'CHROMIUM_PATH', path: chosen }
    // Asked for by name: another browser in its place would hide the mistake.
    if (exists(chosen)) return { ok: true, browser, tried: [browser] }
    return { ok: false, tried: [browser], message: `CHROMIUM_PATH is ${chosen}, but there is no such file. Point it at a Chromium or Chrome executable, or unset it.` }
  }
  const playwright = (options.playwrightPath ?? playwrightChromiumPath)()
  const candidates: BrowserChoice[] = [
    { source: 'system Chromium', path: SYSTEM_CHROMIUM },
    { source: 'Google Chrome', path: GOOGLE_CHROME_MAC },
    ...(playwright === null ? [] : [{ source: "Playwright's Chromium" as const, path: playwright }]),
  ]
  const browser = candidates.find((candidate) => exists(candidate.path))
  if (browser !== undefined) return { ok: true, browser, tried: candidates }
  return { ok: false, tried: candidates, message: missingBrowserMessage(candidates) }
}

export function missingBrowserMessage(tried: BrowserChoice[]): string {
  return [
    'The browser tests need Chromium or Google Chrome, and none was found. Looked for:',
    ...tried.map((candidate) => `  ${candidate.source}: ${candidate.path}`),
    'Get one of these:',
    '  Debian or Ubuntu: apt-get install chromium',
    '  macOS: install Google Chrome (https://www.google.com/chrome/)',
    "  anywhere: npx playwright install chromium (Playwright's own build)",
    'or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  ].join('\n')
}

/** The executable for the tests; throws the how-to-get-one message when there is none. */
export function browserForTests(options: FindBrowserOptions = {}): BrowserChoice {
  const result = findBrowser(options)
  if (!result.ok) throw new Error(result.message)
  return result.browser
}
