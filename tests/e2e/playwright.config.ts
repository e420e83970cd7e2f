import { defineConfig } from '@playwright/test'
import { findBrowser } from './find-browser'

/** CHROMIUM_PATH, the system Chromium, Google Chrome or Playwright's own; with none, the run stops here saying how to get one. */
const browser = findBrowser()
if (!browser.ok) {
  console.error(browser.message)
  process.exit(1)
}
export const chromiumPath = browser.browser.path

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  // Each test starts its own manager on a fresh data dir; two at a time fit the 2-core budget.
  workers: 2,
  retries: process.env.CI === 'true' ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '../../test-results',
  use: {
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
})
