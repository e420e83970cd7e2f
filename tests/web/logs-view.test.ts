import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { useAuthStore } from '../../web/src/features/auth/store'
import LogView from '../../web/src/features/servers/LogView.vue'
import { classify, filterLines, levelOf, segments } from '../../web/src/features/servers/log-lines'
import { mountInApp, requireTestId } from './components/mount'
import { FakeEventSource, fakeServer, json, makeProfile, makeServerStatus, makeUser, useFakeEventSource } from './helpers'
import { routerStub } from './servers-router'

// What engines really print: uvicorn, Python logging, loguru, a traceback, progress bars.
const ENGINE_LOG = [
  '[mlx-manager] 2026-01-01T10:00:00.000Z starting mlx-openai-server: mlx-openai-server launch --model-path x',
  'INFO:     Started server process [4242]',
  '2026-01-01 10:00:01.000 | DEBUG    | app.models:load:41 - loading weights',
  'Fetching 9 files: 100%|██████████| 9/9',
  '2026-01-01 10:00:02,000 - WARNING - context length capped at 8192',
  'Traceback (most recent call last):',
  '  File "/srv/engine/app.py", line 10, in <module>',
  'ValueError: bad template',
  'ERROR:    Exception in ASGI application',
  'INFO:     127.0.0.1:50000 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
]

describe('reading an engine log', () => {
  it('finds the level each line names, counting a traceback and its frames as an error', () => {
    expect(ENGINE_LOG.map(levelOf)).toEqual([null, 'info', 'debug', null, 'warning', 'error', null, 'error', 'error', 'info'])
    expect(classify(ENGINE_LOG).map((line) => line.level)).toEqual([null, 'info', 'debug', null, 'warning', 'error', 'error', 'error', 'error', 'info'])
    // Lower case is prose, not a level.
    expect(levelOf('finished with 0 errors and no warnings')).toBeNull()
  })

  it('keeps the chosen level and the ones above it, and lines containing the search in any case', () => {
    const lines = classify(ENGINE_LOG)
    expect(filterLines(lines, 'all', '')).toHaveLength(ENGINE_LOG.length)
    expect(filterLines(lines, 'warning', '').map((line) => line.index)).toEqual([4, 5, 6, 7, 8])
    expect(filterLines(lines, 'error', '').map((line) => line.index)).toEqual([5, 6, 7, 8])
    expect(filterLines(lines, 'info', 'post /V1').map((line) => line.index)).toEqual([9])
    expect(filterLines(lines, 'all', '  ')).toHaveLength(ENGINE_LOG.length)
  })

  it('cuts a line into plain and matching pieces for highlighting', () => {
    expect(segments('Error: an error', 'ERROR')).toEqual([
      { text: 'Error', match: true },
      { text: ': an ', match: false },
      { text: 'error', match: true },
    ])
    expect(segments('nothing here', 'x')).toEqual([{ text: 'nothing here', match: false }])
    expect(segments('<b>', '')).toEqual([{ text: '<b>', match: false }])
  })
})

async function openLog(path?: string, lines: string[] = ENGINE_LOG) {
  useFakeEventSource()
  useAuthStore().user = makeUser({ isAdmin: true })
  fakeServer({
    'GET /api/servers': () => json([makeServerStatus({ profileId: 3, name: 'Qwen', state: 'ready', pid: 7 })]),
    'GET /api/profiles': () => json([makeProfile({ id: 3, name: 'Qwen' })]),
  })
  const router = routerStub()
  if (path !== undefined) await router.push(path)
  mountInApp(LogView, { props: { profileId: '3' }, plugins: [router] })
  await flushPromises()
  const source = FakeEventSource.instances.find((item) => item.url.includes('/api/servers/3/logs'))
  if (source === undefined) throw new Error('The log stream was not opened.')
  source.open()
  source.emit('tail', { lines })
  await flushPromises()
  return source
}

const shownLines = () => [...requireTestId('log-lines').querySelectorAll('.line')].map((line) => line.textContent ?? '')

describe('the server log view', () => {
  it("opened from a distributed server's rank, shows that rank's lines", async () => {
    const ranks = ['[rank 0] INFO - Starting httpd', '[rank 1] ValueError: no such file', '[mlx-manager] note', '[rank 1] process ended', '[rank 10] other']
    await openLog('/servers/3/logs?rank=1', ranks)
    expect((requireTestId('log-search') as HTMLInputElement).value).toBe('[rank 1] ')
    expect(shownLines()).toEqual([ranks[1], ranks[3]])
  })

  it('searches with highlighted matches and filters by level', async () => {
    await openLog()
    expect(shownLines()).toHaveLength(ENGINE_LOG.length)
    expect(requireTestId('log-status').textContent).toBe('10 lines')

    const search = requireTestId('log-search') as HTMLInputElement
    search.value = 'info:'
    search.dispatchEvent(new Event('input', { bubbles: true }))
    await flushPromises()
    expect(shownLines()).toEqual([ENGINE_LOG[1], ENGINE_LOG[9]])
    expect([...requireTestId('log-lines').querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['INFO:', 'INFO:'])
    expect(requireTestId('log-status').textContent).toBe('2 of 10 lines')

    search.value = 'no such text'
    search.dispatchEvent(new Event('input', { bubbles: true }))
    await flushPromises()
    expect(shownLines()).toEqual([])
    expect(requireTestId('log-no-match').textContent).toContain('“no such text”')

    search.value = ''
    search.dispatchEvent(new Event('input', { bubbles: true }))
    requireTestId('log-level-error').querySelector('input')?.click()
    await flushPromises()
    expect(shownLines()).toEqual(ENGINE_LOG.slice(5, 9))
    expect(requireTestId('log-lines').querySelector('.line')?.getAttribute('data-level')).toBe('error')
  })

  it('pausing freezes the lines shown while new ones keep arriving; resuming shows them all', async () => {
    const source = await openLog()
    await flushPromises()
    requireTestId('log-pause').click()
    await flushPromises()
    source.emit('lines', { lines: ['INFO:     one more', 'INFO:     and another'] })
    await flushPromises()
    expect(shownLines()).toHaveLength(ENGINE_LOG.length)
    expect(requireTestId('log-pause').textContent?.trim()).toBe('Resume (2 new)')
    expect(requireTestId('log-pause').getAttribute('aria-pressed')).toBe('true')

    requireTestId('log-pause').click()
    await flushPromises()
    expect(shownLines().slice(-2)).toEqual(['INFO:     one more', 'INFO:     and another'])
    expect(requireTestId('log-pause').textContent?.trim()).toBe('Pause')
  })

  it('offers the whole log file for download', async () => {
    await openLog()
    const link = requireTestId('log-download')
    expect(link.tagName).toBe('A')
    expect(link.getAttribute('href')).toBe('/api/servers/3/logs/download')
    expect(link.hasAttribute('download')).toBe(true)
  })
})
