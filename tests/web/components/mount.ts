import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider, NMessageProvider } from 'naive-ui'
import { getActivePinia } from 'pinia'
import { defineComponent, h, type Component, type Plugin } from 'vue'

/** Mounts a component the way the app hosts it: inside the message and dialog providers, with the test's Pinia. */
export function mountInApp(component: Component, options: { props?: Record<string, unknown>; plugins?: Plugin[] } = {}) {
  const pinia = getActivePinia()
  if (pinia === undefined) throw new Error('The test setup did not create a Pinia.')
  const Host = defineComponent({
    setup: () => () => h(NMessageProvider, null, { default: () => h(NDialogProvider, null, { default: () => h(component, options.props ?? {}) }) }),
  })
  return mount(Host, { attachTo: document.body, global: { plugins: [pinia, ...(options.plugins ?? [])] } })
}

/** Finds an element anywhere in the page (dialogs are teleported to <body>). */
export function byTestId(id: string, root: ParentNode = document): HTMLElement | null {
  return root.querySelector<HTMLElement>(`[data-testid="${id}"]`)
}

export function requireTestId(id: string, root: ParentNode = document): HTMLElement {
  const element = byTestId(id, root)
  if (element === null) throw new Error(`Nothing with data-testid="${id}" is on the page.`)
  return element
}

/** Types into a native input the way a person does. */
export async function type(id: string, value: string): Promise<void> {
  const input = requireTestId(id)
  if (!(input instanceof HTMLInputElement)) throw new Error(`${id} is not an <input>.`)
  input.value = value
  input.dispatchEvent(new Event('input', { bubbles: true }))
  await flushPromises()
}

export async function click(id: string, root: ParentNode = document): Promise<void> {
  requireTestId(id, root).click()
  await flushPromises()
}

export async function submit(id: string): Promise<void> {
  const form = requireTestId(id)
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
  await flushPromises()
}
