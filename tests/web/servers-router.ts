import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'

const Empty = defineComponent({ render: () => null })

/** A router with catch-all routes, so links render without the app's real screens. */
export function routerStub() {
  return createRouter({ history: createMemoryHistory(), routes: [{ path: '/:rest(.*)*', component: Empty }] })
}
