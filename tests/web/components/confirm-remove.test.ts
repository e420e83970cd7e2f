import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref, type Component } from 'vue'
import { ApiError } from '../../../web/src/api/client'
import ConfirmRemove from '../../../web/src/components/ConfirmRemove.vue'
import { byTestId, click, mountInApp, requireTestId } from './mount'

interface Box {
  id: number
  name: string
}

/** The dialog bound to a screen's "removing" ref, as `v-model:item` does. */
function mountRemove(remove: (box: Box) => Promise<unknown>) {
  const removing = ref<Box | null>(null)
  const Screen = defineComponent({
    setup: () => () =>
      h(
        ConfirmRemove as Component,
        {
          item: removing.value,
          'onUpdate:item': (box: Box | null) => (removing.value = box),
          title: `Remove ${removing.value?.name ?? ''}?`,
          confirmLabel: 'Remove box',
          remove,
          done: (box: Box) => `Removed ${box.name}`,
        },
        { default: () => 'Its things go with it.' },
      ),
  })
  mountInApp(Screen)
  return removing
}

const box: Box = { id: 4, name: 'shoes' }

describe('ConfirmRemove', () => {
  it('asks first, then removes that item, closes and says so', async () => {
    const remove = vi.fn(() => Promise.resolve())
    const removing = mountRemove(remove)
    removing.value = box
    await flushPromises()
    const dialog = requireTestId('confirm-dialog')
    expect(dialog.textContent).toContain('Remove shoes?')
    expect(dialog.textContent).toContain('Its things go with it.')
    expect(remove).not.toHaveBeenCalled()
    await click('confirm-ok')
    expect(remove).toHaveBeenCalledExactlyOnceWith(box)
    expect(removing.value).toBeNull()
    await vi.waitFor(() => expect(document.body.textContent).toContain('Removed shoes'))
  })

  it('removes nothing when the person keeps it', async () => {
    const remove = vi.fn(() => Promise.resolve())
    const removing = mountRemove(remove)
    removing.value = box
    await flushPromises()
    expect(requireTestId('confirm-cancel').textContent).toBe('Keep it')
    await click('confirm-cancel')
    expect(removing.value).toBeNull()
    expect(remove).not.toHaveBeenCalled()
  })

  it('stays open with the manager’s sentence when removing fails, and opens clean the next time', async () => {
    const remove = vi.fn(() => Promise.reject(new ApiError('host-in-use', 'A profile still runs on shoes.', 409)))
    const removing = mountRemove(remove)
    removing.value = box
    await flushPromises()
    await click('confirm-ok')
    expect(removing.value).toEqual(box)
    expect(requireTestId('confirm-error').textContent).toContain('A profile still runs on shoes.')
    expect(document.body.textContent).not.toContain('Removed shoes')
    await click('confirm-cancel')
    removing.value = box
    await flushPromises()
    expect(byTestId('confirm-error')).toBeNull()
  })

  it('removes once however often confirm is pressed while it runs', async () => {
    let finish = () => undefined as void
    const remove = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)))
    const removing = mountRemove(remove)
    removing.value = box
    await flushPromises()
    await click('confirm-ok')
    await click('confirm-ok')
    finish()
    await flushPromises()
    expect(remove).toHaveBeenCalledOnce()
    expect(removing.value).toBeNull()
  })
})
