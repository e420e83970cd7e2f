import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { ApiError } from '../../web/src/api/client'
import { useBusyAction } from '../../web/src/composables/busy-action'

describe('useBusyAction', () => {
  it('is busy while the action runs and refuses a second one meanwhile', async () => {
    const { busy, run } = useBusyAction()
    const error = ref<string | null>(null)
    let finish = () => undefined as void
    const first = run(error, () => new Promise<void>((resolve) => (finish = resolve)))
    expect(busy.value).toBe(true)
    let secondRan = false
    expect(
      await run(error, () => {
        secondRan = true
        return Promise.resolve()
      }),
    ).toBe(false)
    expect(secondRan).toBe(false)
    finish()
    expect(await first).toBe(true)
    expect(busy.value).toBe(false)
  })

  it('puts the manager’s sentence into the error, clears it on the next try, and is free again after a failure', async () => {
    const { busy, run } = useBusyAction()
    const error = ref<string | null>('an old failure')
    const failed = await run(error, () => Promise.reject(new ApiError('peer-unreachable', 'Nothing answers at that address.', 502)))
    expect([failed, error.value, busy.value]).toEqual([false, 'Nothing answers at that address.', false])
    expect(await run(error, () => Promise.resolve())).toBe(true)
    expect(error.value).toBeNull()
  })
})
