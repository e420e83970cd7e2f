// The pure server tests import their API from 'bun:test'. Mutation testing runs them under Vitest
// (its runner knows which test covers which mutant, so each mutant reruns only those tests); the
// names they use exist in Vitest with the same meaning, and `jest` maps onto `vi` for the fake clock.
export { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test, vi as jest } from 'vitest'
