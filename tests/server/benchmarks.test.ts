import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { clampSizes } from '../../server/features/benchmarks/service'
import type { BenchmarkRun } from '../../shared/benchmarks'
import type { Profile } from '../../shared/profiles'
import { FAST_TIMING, freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp, sseReader, type SseEvent } from './helpers'

const MEMBER = { email: 'member@example.com', password: 'member-password' }

let app: ReturnType<typeof createTestApp>
let token = ''
let memberToken = ''

beforeAll(async () => {
  app = createTestApp({ serving: { env: standinEnv(), timing: FAST_TIMING }, benchmarks: { sampleEveryMs: 20 } })
  token = (await app.signUp(ADMIN)).token ?? ''
  const member = await app.signUp(MEMBER)
  await app.json('PATCH', `/api/users/${member.user.id}`, { token, body: { status: 'approved' } })
  memberToken = await app.signIn(MEMBER)
})
afterAll(() => app.serving.supervisor.stopAll())

async function profile(body: Record<string, unknown>): Promise<Profile> {
  const created = await app.json<Profile>('POST', '/api/profiles', { token, body: { port: await freePort(), ...body } })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  return created.body
}

describe('prompt sizes', () => {
  test('are cut to what fits the context with the answer, each once, smallest first', () => {
    expect(clampSizes([4096, 128, 1024], 128, null)).toEqual([128, 1024, 4096])
    expect(clampSizes([128, 1024, 4096], 128, 2048)).toEqual([128, 1024, 1904])
    expect(clampSizes([128, 1024, 4096], 128, 512)).toEqual([128, 368])
    expect(clampSizes([4, 10], 16, null)).toEqual([16])
  })
})

describe('a benchmark against the stand-in engine', () => {
  test('runs each prompt size at the engine’s own count, reports progress over events, and stores the result', async () => {
    const shared = await profile({ name: 'Bench', model: 'standin/load-50ms-400tps', engine: 'mlx-openai-server', contextLength: 2048, availableToMembers: true })
    const refused = await app.json<{ error: { code: string } }>('POST', '/api/benchmarks', { token, body: { profileId: shared.id } })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('server-not-ready')

    expect((await app.json('POST', `/api/servers/${shared.id}/start?wait=true`, { token })).status).toBe(200)
    const controller = new AbortController()
    const events = sseReader(await app.call('GET', '/api/events', { token: memberToken, signal: controller.signal }))

    const started = await app.json<BenchmarkRun>('POST', '/api/benchmarks', { token, body: { profileId: shared.id, promptSizes: [40, 200, 4000], generatedTokens: 16 } })
    expect(started.status).toBe(202)
    expect(started.body).toMatchObject({ status: 'running', profileId: shared.id, modelId: 'standin/load-50ms-400tps', engine: 'mlx-openai-server', promptSizes: [40, 200, 2048 - 16 - 16], generatedTokens: 16 })
    expect(started.body.settings).toEqual({ contextLength: 2048, modelType: 'lm', trustRemoteCode: false, extraArgs: [] })
    expect(started.body.machine.cpuCores).toBeGreaterThan(0)

    const again = await app.json<{ error: { code: string } }>('POST', '/api/benchmarks', { token, body: { profileId: shared.id } })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('benchmark-running')

    const seen: SseEvent[] = []
    for (;;) {
      const batch = await events.next(1, 20_000)
      if (batch.length === 0) throw new Error('no benchmark progress')
      seen.push(...batch)
      const last = batch.at(-1)
      if (last?.event === 'benchmarks.progress' && (last.data as BenchmarkRun).status !== 'running') break
    }
    controller.abort()
    const progress = seen.filter((event) => event.event === 'benchmarks.progress').map((event) => event.data as BenchmarkRun)
    expect(progress.some((run) => run.phase === 'measuring 200 prompt tokens')).toBe(true)
    const done = progress.at(-1)
    expect(done?.status).toBe('completed')
    expect(done?.results.map((step) => step.targetPromptTokens)).toEqual([40, 200, 2016])
    for (const step of done?.results ?? []) {
      // The stand-in counts words: repeated filler reaches the size within a few tokens.
      expect(Math.abs(step.promptTokens - step.targetPromptTokens)).toBeLessThanOrEqual(Math.max(8, step.targetPromptTokens * 0.03))
      expect(step.generatedTokens).toBe(16)
      expect(step.timeToFirstTokenMs).toBeGreaterThan(0)
      expect(step.promptTokensPerSecond).toBeGreaterThan(0)
      // 400 tokens/s from the stand-in, timed from outside.
      expect(step.generationTokensPerSecond).toBeGreaterThan(150)
      expect(step.generationTokensPerSecond).toBeLessThan(600)
      expect(step.peakBytes).toBeGreaterThan(10 * 2 ** 20)
    }
    expect(done?.peakBytes).toBe(Math.max(...(done?.results ?? []).map((step) => step.peakBytes ?? 0)))
    expect(done?.memorySource).toBe('rss')

    const listed = await app.json<BenchmarkRun[]>('GET', '/api/benchmarks', { token })
    expect(listed.body[0]).toMatchObject({ id: started.body.id, status: 'completed', phase: null })
    expect(listed.body[0]?.results).toEqual(done?.results ?? [])
    await app.json('POST', `/api/servers/${shared.id}/stop`, { token })
  }, 60_000)

  test('members see results of profiles shared with them, without extra arguments, and may not run one', async () => {
    const hidden = await profile({ name: 'Hidden bench', model: 'standin/load-50ms-400tps', engine: 'mlx_lm.server', extraArgs: ['--log-level', 'INFO'] })
    await app.json('POST', `/api/servers/${hidden.id}/start?wait=true`, { token })
    const run = await app.json<BenchmarkRun>('POST', '/api/benchmarks', { token, body: { profileId: hidden.id, promptSizes: [32], generatedTokens: 4 } })
    expect(run.status).toBe(202)
    await app.benchmarks.running
    const forbidden = await app.json<{ error: { code: string } }>('POST', '/api/benchmarks', { token: memberToken, body: { profileId: hidden.id } })
    expect(forbidden.status).toBe(403)

    const mine = (await app.json<BenchmarkRun[]>('GET', '/api/benchmarks', { token })).body
    expect(mine.find((item) => item.id === run.body.id)?.settings.extraArgs).toEqual(['--log-level', 'INFO'])
    const theirs = (await app.json<BenchmarkRun[]>('GET', '/api/benchmarks', { token: memberToken })).body
    expect(theirs.map((item) => item.profileName)).toEqual(['Bench'])
    await app.json('PATCH', `/api/profiles/${hidden.id}`, { token, body: { availableToMembers: true } })
    const shared = (await app.json<BenchmarkRun[]>('GET', '/api/benchmarks', { token: memberToken })).body
    expect(shared.find((item) => item.id === run.body.id)?.settings.extraArgs).toEqual([])
    await app.json('POST', `/api/servers/${hidden.id}/stop`, { token })
  }, 60_000)

  test('a server that dies mid-benchmark fails the run with a sentence, and the next can start', async () => {
    const dying = await profile({ name: 'Dies', model: 'standin/load-50ms-die-mid-stream', engine: 'mlx_lm.server' })
    await app.json('POST', `/api/servers/${dying.id}/start?wait=true`, { token })
    const run = await app.json<BenchmarkRun>('POST', '/api/benchmarks', { token, body: { profileId: dying.id, promptSizes: [32], generatedTokens: 8 } })
    expect(run.status).toBe(202)
    await app.benchmarks.running
    const stored = (await app.json<BenchmarkRun[]>('GET', '/api/benchmarks', { token })).body.find((item) => item.id === run.body.id)
    expect(stored?.status).toBe('failed')
    expect(stored?.error).toMatch(/^The (benchmark failed|server stopped being ready)/)
    expect(stored?.finishedAt).not.toBeNull()
    await app.json('POST', `/api/servers/${dying.id}/stop`, { token })
  }, 60_000)

  test('bad bodies are refused before anything runs', async () => {
    for (const body of [{}, { profileId: 'one' }, { profileId: 1, promptSizes: [] }, { profileId: 1, promptSizes: [8] }, { profileId: 1, generatedTokens: 0 }]) {
      expect((await app.call('POST', '/api/benchmarks', { token, body })).status).toBe(400)
    }
    expect((await app.call('POST', '/api/benchmarks', { token, body: { profileId: 999 } })).status).toBe(404)
  })
})
