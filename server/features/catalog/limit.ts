/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the order. On the first
 * failure no new calls start; the ones running finish, then that failure is thrown.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failure: { error: unknown } | null = null
  async function worker(): Promise<void> {
    while (failure === null && next < items.length) {
      const index = next++
      try {
        results[index] = await fn(items[index] as T)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()))
  if (failure !== null) throw (failure as { error: unknown }).error
  return results
}
