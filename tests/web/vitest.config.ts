import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { NaiveUiResolver } from 'unplugin-vue-components/resolvers'
import Components from 'unplugin-vue-components/vite'
import { defineConfig } from 'vitest/config'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// Vitest 5's failure summary calls Map.groupBy, which Node only has from version 21. On Node 20 a
// failing test would print a TypeError instead of the failure; this fills the gap in the runner's process.
if (typeof Map.groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<K, T>(items: Iterable<T>, keyOf: (item: T, index: number) => K): Map<K, T[]> {
      const groups = new Map<K, T[]>()
      let index = 0
      for (const item of items) {
        const key = keyOf(item, index++)
        const group = groups.get(key)
        if (group === undefined) groups.set(key, [item])
        else group.push(item)
      }
      return groups
    },
  })
}

// Web tests run under Node with a simulated DOM and IndexedDB; server code is tested separately under Bun.
export default defineConfig({
  root: here('../..'),
  plugins: [vue(), Components({ dirs: [], dts: false, resolvers: [NaiveUiResolver()] })],
  resolve: {
    alias: {
      // The PWA plugin only exists in the app build; tests get a stand-in with the same shape.
      'virtual:pwa-register/vue': here('./stubs/pwa-register.ts'),
    },
  },
  test: {
    environment: 'happy-dom',
    setupFiles: ['fake-indexeddb/auto', here('./setup.ts')],
    include: ['tests/web/**/*.test.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
})
