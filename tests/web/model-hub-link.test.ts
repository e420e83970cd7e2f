import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { RouterView, createMemoryHistory, createRouter } from 'vue-router'
import { useAuthStore } from '../../web/src/features/auth/store'
import ModelView from '../../web/src/features/catalog/ModelView.vue'
import { qwen3Details, system } from './catalog-data'
import { byTestId, mountInApp, requireTestId } from './components/mount'
import { fakeServer, json, makeUser } from './helpers'

const Blank = defineComponent({ render: () => h('div') })

async function openModelPage(details: ReturnType<typeof qwen3Details>) {
  useAuthStore().user = makeUser()
  fakeServer({
    'GET /api/catalog/models/mlx-community/Qwen3-8B-4bit': () => json(details),
    'GET /api/catalog/system': () => json(system()),
  })
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/catalog', name: 'catalog', component: Blank },
      { path: '/catalog/:org/:name', name: 'catalog-model', component: ModelView },
      { path: '/models', name: 'models', component: Blank },
      { path: '/profiles/new', name: 'profile-new', component: Blank },
      { path: '/chat', name: 'chat', component: Blank },
    ],
  })
  await router.push('/catalog/mlx-community/Qwen3-8B-4bit')
  await router.isReady()
  mountInApp(RouterView, { plugins: [router] })
  for (let i = 0; i < 6; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

describe('model page: the model on the hub', () => {
  it('links to the model on the hub the manager uses, in a new tab that learns nothing of this page', async () => {
    await openModelPage({ ...qwen3Details(), hubUrl: 'http://hub.internal:9000/mlx-community/Qwen3-8B-4bit' })
    const link = requireTestId('model-hub-link')
    expect(link.getAttribute('href')).toBe('http://hub.internal:9000/mlx-community/Qwen3-8B-4bit')
    expect(link.getAttribute('target')).toBe('_blank')
    expect(link.getAttribute('rel')).toContain('noopener')
    expect(link.getAttribute('rel')).toContain('noreferrer')
  })

  it('a copy saved before the link existed shows none rather than guessing the hub', async () => {
    const { hubUrl: _none, ...older } = qwen3Details()
    await openModelPage(older)
    expect(requireTestId('model-name').textContent).toContain('Qwen3-8B-4bit')
    expect(byTestId('model-hub-link')).toBeNull()
  })
})
