import { flushPromises } from '@vue/test-utils'
import { expect, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { RouterView, createMemoryHistory, createRouter, type Router } from 'vue-router'
import CatalogView from '../../../web/src/features/catalog/CatalogView.vue'
import ModelView from '../../../web/src/features/catalog/ModelView.vue'
import { useCatalogModelStore } from '../../../web/src/features/catalog/model-store'
import { useCatalogStore } from '../../../web/src/features/catalog/store'
import { mountInApp } from './mount'

const Blank = defineComponent({ render: () => h('div') })

/** Waits until the list answered: the hub's page (rows or none), this device's copy, or a failure. */
export async function listShown(): Promise<void> {
  const store = useCatalogStore()
  await vi.waitFor(() => expect(!store.loading && (store.fetchedAt !== null || store.offline || store.error !== null)).toBe(true))
  await flushPromises()
}

/** Waits until a model page has the manager's answer or this device's copy, or why neither is shown. */
export async function pageShown(id: string): Promise<void> {
  const page = useCatalogModelStore()
  await vi.waitFor(() => expect([page.modelId, page.modelLoading]).toEqual([id, false]))
  await flushPromises()
}

/**
 * Opens `path` on the catalog's screens (the list and a model page; the pages they lead to are
 * blank) and waits until the screen has its answer.
 */
export async function showCatalog(path: string): Promise<Router> {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/catalog', name: 'catalog', component: CatalogView },
      { path: '/catalog/:org/:name', name: 'catalog-model', component: ModelView },
      { path: '/models', name: 'models', component: Blank },
      { path: '/profiles/new', name: 'profile-new', component: Blank },
      { path: '/chat', name: 'chat', component: Blank },
    ],
  })
  await router.push(path)
  await router.isReady()
  mountInApp(RouterView, { plugins: [router] })
  if (path.startsWith('/catalog/')) await pageShown(path.slice('/catalog/'.length))
  else await listShown()
  return router
}
