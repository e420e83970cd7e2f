// The one Bun global the pure server tests use, for their run under Vitest on Node.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

if (!('Bun' in globalThis)) Object.defineProperty(globalThis, 'Bun', { configurable: true, value: { sleep } })
