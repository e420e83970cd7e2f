import { afterEach, beforeEach, describe, expect, jest, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { STARTUP_TAIL_LINES, startupFailure, watchStartup } from '../../server/features/servers/startup-log'
import { ENGINE_DIR } from '../fixtures/engine/harness'

/** A log the real mlx_lm.server 0.32.2 wrote (tests/fixtures/engine/logs/README.md). */
const recorded = (name: string) => readFileSync(join(ENGINE_DIR, 'logs', `mlx_lm.server-${name}.log`), 'utf8').trimEnd().split('\n')
const tail = (lines: string[], n: number) => lines.slice(-n)

describe('startupFailure on mlx_lm.server logs', () => {
  test('a model that cannot load: the exception line, not the marker', () => {
    expect(startupFailure('mlx_lm.server', recorded('load-failure'))).toBe(
      'RuntimeError: [load_safetensors] The JSON header is 5803 bytes long but the file is only 5000 bytes. Perhaps an incomplete download or corrupt file?',
    )
  })

  test('a port already taken', () => {
    expect(startupFailure('mlx_lm.server', recorded('port-taken'))).toBe('OSError: [Errno 98] Address already in use')
  })

  test('a hub it cannot reach: the marker is a hundred lines back, inside the tail the watch reads', () => {
    const lines = recorded('hub-unreachable')
    const marker = lines.findIndex((line) => line.includes('generation thread died'))
    expect(lines.length - marker).toBeGreaterThan(100)
    expect(startupFailure('mlx_lm.server', tail(lines, 40))).toBeNull()
    // The engine keeps writing (access lines, warnings) after it; the watch still sees the marker.
    const later = [...lines, ...Array.from({ length: STARTUP_TAIL_LINES - lines.length - 1 }, () => '127.0.0.1 - - [02/Dec/2026 02:20:05] "GET /health HTTP/1.1" 503 -')]
    expect(startupFailure('mlx_lm.server', tail(later, STARTUP_TAIL_LINES))).toBe(
      'huggingface_hub.errors.LocalEntryNotFoundError: Got: ConnectError: [Errno 111] Connection refused',
    )
  })

  test('a healthy log with error-level lines about bad requests is not a failed start', () => {
    const lines = recorded('ok')
    expect(lines.some((line) => line.includes(' - ERROR - '))).toBe(true)
    expect(startupFailure('mlx_lm.server', lines)).toBeNull()
  })

  test('older versions say "Exception in thread"', () => {
    const lines = ['Exception in thread Thread-1 (_generate):', 'Traceback (most recent call last):', '  File "server.py", line 1', 'ValueError: Model type qwen9 not supported.']
    expect(startupFailure('mlx_lm.server', lines)).toBe('ValueError: Model type qwen9 not supported.')
  })

  test('the marker alone, with no exception line, is shown itself', () => {
    expect(startupFailure('mlx_lm.server', ['  2026-12-02 02:15:39,363 - ERROR - mlx_lm.server generation thread died: boom  '])).toBe(
      '2026-12-02 02:15:39,363 - ERROR - mlx_lm.server generation thread died: boom',
    )
  })

  test('the manager’s own notes never count, nor other engines’ logs', () => {
    expect(startupFailure('mlx_lm.server', ['[mlx-manager] port 8080: Address already in use elsewhere'])).toBeNull()
    expect(startupFailure('mlx-openai-server', recorded('port-taken'))).toBeNull()
    expect(startupFailure('custom', recorded('load-failure'))).toBeNull()
  })
})

describe('watchStartup', () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  test('reads until a fatal line shows, then aborts its signal and stops reading', () => {
    const until = new AbortController()
    let reads = 0
    const watch = watchStartup(() => (++reads >= 3 ? 'OSError: [Errno 98] Address already in use' : null), until.signal, 5)
    jest.advanceTimersByTime(10)
    expect(watch.signal.aborted).toBe(false)
    jest.advanceTimersByTime(5)
    expect(watch.signal.aborted).toBe(true)
    expect(watch.failure()).toBe('OSError: [Errno 98] Address already in use')
    expect(reads).toBe(3)
    jest.advanceTimersByTime(30)
    expect(reads).toBe(3)
    watch.stop()
    until.abort()
  })

  test('failure() checks at once, without waiting for the timer', () => {
    const until = new AbortController()
    const watch = watchStartup(() => 'boom', until.signal, 60_000)
    expect(watch.signal.aborted).toBe(false)
    expect(watch.failure()).toBe('boom')
    expect(watch.signal.aborted).toBe(true)
    watch.stop()
  })

  test('stops reading when the start ends', () => {
    const until = new AbortController()
    let reads = 0
    const watch = watchStartup(() => {
      reads++
      return null
    }, until.signal, 5)
    jest.advanceTimersByTime(25)
    expect(reads).toBe(5)
    until.abort()
    jest.advanceTimersByTime(30)
    expect(reads).toBe(5)
    expect(watch.failure()).toBeNull()
    expect(watch.signal.aborted).toBe(false)
  })
})
