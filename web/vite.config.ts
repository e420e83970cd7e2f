import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { NaiveUiResolver } from 'unplugin-vue-components/resolvers'
import Components from 'unplugin-vue-components/vite'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

/** The manager the dev server forwards API calls to (`bun server/cli.ts --port 8080`). */
const MANAGER = 'http://127.0.0.1:8080'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': { target: MANAGER },
      '/v1': { target: MANAGER },
    },
  },
  plugins: [
    vue(),
    // Naive UI components are imported where templates use them, so only those reach the bundle.
    Components({
      dirs: [],
      dts: 'src/components.d.ts',
      resolvers: [NaiveUiResolver()],
    }),
    VitePWA({
      // A new version waits for the person to choose "Reload" instead of swapping code under them.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.svg', 'icons/apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: 'MLX Manager',
        short_name: 'MLX Manager',
        description: 'Find, download, serve and chat with MLX language models on this machine.',
        lang: 'en',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#101014',
        background_color: '#101014',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The app shell: every built script, style, page, icon and font, so the app opens offline.
        globPatterns: ['**/*.{js,css,html,svg,png,ico,woff,woff2,webmanifest}'],
        navigateFallback: '/index.html',
        // API, OpenAI-gateway and Prometheus paths always go to the network; they are never the app shell.
        navigateFallbackDenylist: [/^\/api(\/|$)/, /^\/v1(\/|$)/, /^\/metrics(\/|$)/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
})
