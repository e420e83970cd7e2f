import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { BenchmarkRun } from '../../../../shared/benchmarks'
import { api, request } from '../../api/client'
import { guarded, useGuardedLoad } from '../auth/guarded'

/** Benchmark results (newest first), kept current by `benchmarks.progress` events. */
export const useBenchmarksStore = defineStore('benchmarks', () => {
  const runs = ref<BenchmarkRun[]>([])
  /** A start call in flight, by profile id. */
  const starting = ref<number | null>(null)

  const { loaded, loading, loadError, load, forget } = useGuardedLoad(() => request(api.benchmarks.get()), (list) => (runs.value = list))

  /** The run going on now, if any: one at a time on the manager. */
  const running = computed(() => runs.value.find((run) => run.status === 'running') ?? null)
  const finished = computed(() => runs.value.filter((run) => run.status !== 'running'))

  function apply(run: BenchmarkRun): void {
    const index = runs.value.findIndex((item) => item.id === run.id)
    runs.value = index === -1 ? [run, ...runs.value] : runs.value.map((item, i) => (i === index ? run : item))
  }

  async function start(profileId: number): Promise<BenchmarkRun> {
    starting.value = profileId
    try {
      const run = await guarded(() => request(api.benchmarks.post({ profileId })))
      apply(run)
      return run
    } finally {
      starting.value = null
    }
  }

  return { runs, running, finished, starting, loaded, loading, loadError, load, forget, apply, start }
})
