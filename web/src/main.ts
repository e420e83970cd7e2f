// First: styles created from here on carry the page's CSP nonce.
import './csp-nonce'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { useShellStore } from './features/shell/store'
import { createAppRouter } from './router'
import './styles.css'
import './page.css'

async function main(): Promise<void> {
  const pinia = createPinia()
  const shell = useShellStore(pinia)
  shell.start()
  // The theme is known before the first paint, so a dark choice never flashes light.
  await shell.loadPreferences()
  const app = createApp(App)
  app.use(pinia)
  app.use(createAppRouter(pinia))
  app.mount('#app')
}

main().catch((error: unknown) => {
  console.error(error)
  document.body.textContent = 'MLX Manager could not start. Reload the page; if this keeps happening, check the browser console.'
})
