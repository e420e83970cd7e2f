import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { ManagedEngine } from '../../../web/src/features/engines/store'
import { useEnginesStore } from '../../../web/src/features/engines/store'
import EnginesView from '../../../web/src/features/engines/EnginesView.vue'
import { useAuthStore } from '../../../web/src/features/auth/store'
import { failure, fakeServer, json, makeUser } from '../helpers'
import { byTestId, click, mountInApp, requireTestId } from './mount'

const APPLE_ONLY = 'mlx-openai-server installs only on Apple silicon: its dependencies (mflux, torchvision) need the Metal or CUDA 13 build of MLX.'

function engine(overrides: Partial<ManagedEngine>): ManagedEngine {
  return {
    name: 'mlx_lm.server',
    title: 'mlx_lm.server',
    installed: false,
    path: null,
    version: null,
    installCommand: 'pip install mlx-lm',
    installHint: 'mlx_lm.server is not installed.',
    modelTypes: ['lm'],
    toolCallParsers: [],
    reasoningParsers: [],
    fields: [],
    reasoningField: 'reasoning',
    source: null,
    installable: true,
    notInstallableReason: null,
    installState: null,
    ...overrides,
  }
}

const missing = engine({})
const openai = engine({ name: 'mlx-openai-server', title: 'mlx-openai-server', installCommand: 'pip install mlx-openai-server', installable: false, notInstallableReason: APPLE_ONLY })
const custom = engine({ name: 'custom', title: 'Custom command', installCommand: null, installable: false, notInstallableReason: 'Custom commands run programs you install yourself.' })
const managed = engine({ installed: true, source: 'managed', version: '0.32.2', path: '/home/me/.mlx-manager/engines/mlx_lm.server/bin/mlx_lm.server' })
const onPath = engine({ installed: true, source: 'path', version: '0.31.0', path: '/usr/local/bin/mlx_lm.server' })

async function open(list: ManagedEngine[], routes: Parameters<typeof fakeServer>[0] = {}) {
  const server = fakeServer({ 'GET /api/engines': () => json(list), ...routes })
  useAuthStore().user = makeUser({ id: 1, isAdmin: true })
  mountInApp(EnginesView)
  await flushPromises()
  return server
}

function row(name: string): HTMLElement {
  const found = [...document.querySelectorAll<HTMLElement>('[data-testid="engine-row"]')].find((element) => element.dataset.name === name)
  if (found === undefined) throw new Error(`No row for ${name}.`)
  return found
}

const buttons = (element: HTMLElement) => [...element.querySelectorAll<HTMLElement>('button')].map((button) => button.dataset.testid)

describe('engines screen', () => {
  it('lists the built-in engines, not custom commands', async () => {
    await open([openai, missing, custom])
    expect([...document.querySelectorAll<HTMLElement>('[data-testid="engine-row"]')].map((element) => element.dataset.name)).toEqual(['mlx-openai-server', 'mlx_lm.server'])
  })

  it('offers to install a missing engine', async () => {
    await open([missing])
    const lm = row('mlx_lm.server')
    expect(lm.dataset.state).toBe('missing')
    expect(byTestId('engine-source', lm)?.textContent).toBe('Not installed')
    expect(byTestId('engine-version', lm)).toBeNull()
    expect(buttons(lm)).toEqual(['engine-install'])
  })

  it('says why an engine cannot be installed here, and offers no button', async () => {
    await open([openai])
    const row_ = row('mlx-openai-server')
    expect(byTestId('engine-not-installable', row_)?.textContent).toContain('only on Apple silicon')
    expect(byTestId('engine-not-installable', row_)?.textContent).toContain('pip install mlx-openai-server')
    expect(buttons(row_)).toEqual([])
  })

  it('installs with live progress and the installer’s lines, then shows the managed engine', async () => {
    let list = [missing]
    const server = await open(list, {
      'POST /api/engines/mlx_lm.server/install': () => json({ engine: 'mlx_lm.server', state: 'installing' }, 202),
      'GET /api/engines': () => json(list),
    })
    await click('engine-install', row('mlx_lm.server'))
    expect(server.callsTo('POST /api/engines/mlx_lm.server/install')).toHaveLength(1)
    expect(row('mlx_lm.server').dataset.state).toBe('installing')
    expect(byTestId('engine-progress', row('mlx_lm.server'))?.textContent).toContain('Installing mlx_lm.server')

    const store = useEnginesStore()
    store.applyInstall({ engine: 'mlx_lm.server', state: 'installing', line: 'using Python 3.11.7 at /usr/bin/python3' })
    store.applyInstall({ engine: 'mlx_lm.server', state: 'installing', line: 'Collecting mlx-lm==0.32.2' })
    await flushPromises()
    expect(byTestId('engine-log', row('mlx_lm.server'))?.textContent).toBe('using Python 3.11.7 at /usr/bin/python3\nCollecting mlx-lm==0.32.2')
    expect(buttons(row('mlx_lm.server'))).toEqual([])

    list = [managed]
    store.applyInstall({ engine: 'mlx_lm.server', state: 'installed' })
    await flushPromises()
    const lm = row('mlx_lm.server')
    expect(lm.dataset.state).toBe('managed')
    expect(byTestId('engine-source', lm)?.textContent).toBe('Managed')
    expect(byTestId('engine-version', lm)?.textContent).toBe('version 0.32.2')
    expect(byTestId('engine-log', lm)).toBeNull()
    expect(buttons(lm)).toEqual(['engine-update', 'engine-remove', 'engine-show-log'])
  })

  it('shows an install under way when the screen opens during one', async () => {
    await open([engine({ installState: 'installing' })])
    expect(row('mlx_lm.server').dataset.state).toBe('installing')
    expect(byTestId('engine-progress', row('mlx_lm.server'))).not.toBeNull()
  })

  it('shows an engine found on PATH with its version, and offers a managed copy', async () => {
    await open([onPath])
    const lm = row('mlx_lm.server')
    expect(byTestId('engine-source', lm)?.textContent).toBe('Found on PATH')
    expect(byTestId('engine-path', lm)?.textContent).toBe('/usr/local/bin/mlx_lm.server')
    expect(byTestId('engine-version', lm)?.textContent).toBe('version 0.31.0')
    expect(buttons(lm)).toEqual(['engine-install'])
    expect(byTestId('engine-install', lm)?.textContent).toContain('Install managed copy')
  })

  it('shows a failed install with its error and lines, and lets it be tried again', async () => {
    await open([missing], { 'POST /api/engines/mlx_lm.server/install': () => json({ engine: 'mlx_lm.server', state: 'installing' }, 202) })
    await click('engine-install', row('mlx_lm.server'))
    const store = useEnginesStore()
    store.applyInstall({ engine: 'mlx_lm.server', state: 'installing', line: 'ERROR: No matching distribution found for mlx-lm==0.32.2' })
    store.applyInstall({ engine: 'mlx_lm.server', state: 'failed', error: 'pip install failed (exit 1): ERROR: No matching distribution found for mlx-lm==0.32.2' })
    await flushPromises()
    const lm = row('mlx_lm.server')
    expect(lm.dataset.state).toBe('failed')
    expect(byTestId('engine-source', lm)?.textContent).toBe('Install failed')
    expect(byTestId('engine-error', lm)?.textContent).toContain('No matching distribution found')
    expect(byTestId('engine-log', lm)?.textContent).toContain('ERROR: No matching distribution')
    expect(byTestId('engine-install', lm)?.textContent).toContain('Try again')
  })

  it('says why an install was refused before it began', async () => {
    await open([missing], { 'POST /api/engines/mlx_lm.server/install': () => failure(409, 'python-missing', 'Installing an engine needs Python 3.10 or newer, and none was found on PATH.') })
    await click('engine-install', row('mlx_lm.server'))
    expect(document.body.textContent).toContain('none was found on PATH')
    expect(row('mlx_lm.server').dataset.state).toBe('missing')
  })

  it('asks before removing a managed engine and removes it on confirmation', async () => {
    let list = [managed]
    const server = await open(list, {
      'GET /api/engines': () => json(list),
      'DELETE /api/engines/mlx_lm.server': () => {
        list = [missing]
        return new Response(null, { status: 204 })
      },
    })
    await click('engine-remove', row('mlx_lm.server'))
    expect(requireTestId('confirm-dialog').textContent).toContain('Remove the managed mlx_lm.server?')
    expect(server.callsTo('DELETE /api/engines/mlx_lm.server')).toEqual([])
    await click('confirm-ok')
    expect(server.callsTo('DELETE /api/engines/mlx_lm.server')).toHaveLength(1)
    expect(row('mlx_lm.server').dataset.state).toBe('missing')
  })
})
