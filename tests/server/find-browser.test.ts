import { describe, expect, test } from 'bun:test'
import { GOOGLE_CHROME_MAC, SYSTEM_CHROMIUM, browserForTests, findBrowser } from '../e2e/find-browser'

const PLAYWRIGHT = '/Users/me/Library/Caches/ms-playwright/chromium-1255/chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium'

/** A file system holding exactly `files`. */
const only = (...files: string[]) => (path: string) => files.includes(path)

const find = (files: string[], env: Record<string, string | undefined> = {}, playwright: string | null = PLAYWRIGHT) =>
  findBrowser({ env, exists: only(...files), playwrightPath: () => playwright })

describe('finding a browser for the tests', () => {
  test('CHROMIUM_PATH first', () => {
    const result = find(['/opt/chromium', SYSTEM_CHROMIUM, GOOGLE_CHROME_MAC], { CHROMIUM_PATH: '/opt/chromium' })
    expect(result).toMatchObject({ ok: true, browser: { source: 'CHROMIUM_PATH', path: '/opt/chromium' } })
  })

  test('a CHROMIUM_PATH that does not exist is an error, not a reason to take another', () => {
    const result = find([SYSTEM_CHROMIUM], { CHROMIUM_PATH: '/opt/nothing' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.message).toContain('CHROMIUM_PATH is /opt/nothing, but there is no such file')
  })

  test('then the system Chromium, then Google Chrome, then Playwright’s own', () => {
    expect(find([SYSTEM_CHROMIUM, GOOGLE_CHROME_MAC, PLAYWRIGHT], { CHROMIUM_PATH: '' })).toMatchObject({ browser: { source: 'system Chromium', path: SYSTEM_CHROMIUM } })
    expect(find([GOOGLE_CHROME_MAC, PLAYWRIGHT])).toMatchObject({ browser: { source: 'Google Chrome', path: GOOGLE_CHROME_MAC } })
    expect(find([PLAYWRIGHT])).toMatchObject({ browser: { source: "Playwright's Chromium", path: PLAYWRIGHT } })
  })

  test('Playwright’s Chromium only when its file is there', () => {
    const result = find([])
    expect(result.ok).toBe(false)
    expect(result.tried.map((candidate) => candidate.path)).toEqual([SYSTEM_CHROMIUM, GOOGLE_CHROME_MAC, PLAYWRIGHT])
  })

  test('none: the message says where it looked and how to get one', () => {
    const result = find([], {}, null)
    expect(result.ok).toBe(false)
    if (result.ok) return
    for (const text of [SYSTEM_CHROMIUM, GOOGLE_CHROME_MAC, 'apt-get install chromium', 'install Google Chrome', 'npx playwright install chromium', 'CHROMIUM_PATH']) {
      expect(result.message).toContain(text)
    }
    expect(() => browserForTests({ env: {}, exists: only(), playwrightPath: () => null })).toThrow('npx playwright install chromium')
  })

  test('the real lookup asks playwright-core where its Chromium lives', () => {
    const asked: string[] = []
    findBrowser({ env: {}, exists: (path) => (asked.push(path), false) })
    expect(asked.slice(0, 2)).toEqual([SYSTEM_CHROMIUM, GOOGLE_CHROME_MAC])
    expect(asked[2]).toMatch(/ms-playwright/)
  })
})
