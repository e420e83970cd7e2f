import { describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './helpers'

const SCRIPT = join(import.meta.dir, '..', '..', 'scripts', 'doctor.ts')

async function doctor(env: Record<string, string | undefined>) {
  const child = Bun.spawn([process.execPath, SCRIPT], { env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()])
  return { code, stdout, stderr }
}

describe('npm run doctor', () => {
  test('prints one section for each thing the manager depends on, and exits 0', async () => {
    const home = join(tempDir(), 'data')
    const cache = join(tempDir(), 'hub')
    const { code, stdout, stderr } = await doctor({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9', CHROMIUM_PATH: '' })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const titles = stdout.split('\n').filter((line) => /^[A-Z]/.test(line))
    expect(titles).toEqual([
      expect.stringMatching(/^MLX Manager \d+\.\d+\.\d+: what it sees on this machine$/) as unknown as string,
      'System',
      'Python',
      'Engines',
      'Memory',
      'HuggingFace cache',
      'Data folder',
      'Browser for tests',
      'Login service',
    ])
    expect(stdout).toMatch(/^ {2}OS +\S+/m)
    expect(stdout).toMatch(/^ {2}CPU +.+, \d+ cores?$/m)
    expect(stdout).toMatch(/^ {2}3\.10 or newer +(yes|no: )/m)
    expect(stdout).toMatch(/^ {2}mlx_lm\.server +\S/m)
    expect(stdout).toMatch(/^ {2}mlx-openai-server +\S/m)
    expect(stdout).toMatch(/^ {2}model budget +\d+(\.\d)? [KMGT]?B$/m)
    expect(stdout).toMatch(/^ {2}worked out +.+(available|unified memory)/m)
    expect(stdout).toContain(`  folder             ${cache}`)
    expect(stdout).toContain(`  folder             ${home}`)
    expect(stdout).toMatch(/^ {2}disk +\d+(\.\d)? [KMGT]?B free$/m)
    expect(stdout).toMatch(/^ {2}browser +(system Chromium|Google Chrome|Playwright's Chromium|none)/m)
  }, 30_000)

  test('reads only: the data and cache folders are not made', async () => {
    const home = join(tempDir(), 'data')
    const cache = join(tempDir(), 'hub')
    await doctor({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: cache })
    expect(existsSync(home)).toBe(false)
    expect(existsSync(cache)).toBe(false)
  }, 30_000)

  test('a configuration it cannot read is a finding, not a crash', async () => {
    const { code, stdout } = await doctor({ PORT: 'not-a-port' })
    expect(code).toBe(0)
    expect(stdout).toContain('Configuration: ')
    expect(stdout).toContain('PORT')
  }, 30_000)
})
