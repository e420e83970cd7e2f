import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import ListPage from '../../../web/src/components/ListPage.vue'
import { byTestId, click, mountInApp, requireTestId } from './mount'

/** A list page as a screen uses it: the state comes from the screen's store, the rows go in the default slot. */
function mountList(state: { loading: boolean; loaded: boolean; loadError: string | null; rows: string[] }, slots: Record<string, () => unknown> = {}) {
  const refresh = vi.fn()
  const add = vi.fn()
  const list = { loading: state.loading, loaded: state.loaded, loadError: state.loadError, load: refresh }
  const Page = defineComponent({
    setup: () => () =>
      h(
        ListPage,
        {
          name: 'boxes',
          list,
          empty: state.rows.length === 0,
          addLabel: 'Add a box',
          addTestId: 'box-new',
          emptyTitle: 'No boxes yet',
          onAdd: add,
        },
        {
          lede: () => h('p', { class: 'page-lede' }, 'Boxes hold things.'),
          'empty-text': () => 'Add the first box.',
          default: () => state.rows.map((row) => h('li', { 'data-testid': 'box-row' }, row)),
          ...slots,
        },
      ),
  })
  mountInApp(Page)
  return { refresh, add }
}

const rows = () => [...document.querySelectorAll('[data-testid="box-row"]')].map((row) => row.textContent)

describe('ListPage', () => {
  it('shows skeletons, and neither rows nor the empty box, while the first load runs', () => {
    mountList({ loading: true, loaded: false, loadError: null, rows: [] })
    expect(byTestId('boxes-loading')).not.toBeNull()
    expect([byTestId('boxes-empty'), byTestId('boxes-list'), byTestId('boxes-error')]).toEqual([null, null, null])
  })

  it('lists the rows once loaded, with the lede and the page’s buttons above them', async () => {
    const { refresh, add } = mountList({ loading: false, loaded: true, loadError: null, rows: ['first', 'second'] })
    expect(rows()).toEqual(['first', 'second'])
    expect(byTestId('boxes-empty')).toBeNull()
    expect(document.querySelector('.page-lede')?.textContent).toBe('Boxes hold things.')
    await click('box-new')
    expect(add).toHaveBeenCalledOnce()
    document.querySelector<HTMLElement>('[aria-label="Refresh"]')?.click()
    expect(refresh).toHaveBeenCalledOnce()
  })

  it('says nothing is there yet, with the add button, when the list is empty', () => {
    const { add } = mountList({ loading: false, loaded: true, loadError: null, rows: [] })
    const empty = requireTestId('boxes-empty')
    expect(empty.querySelector('h3')?.textContent).toBe('No boxes yet')
    expect(empty.textContent).toContain('Add the first box.')
    expect(byTestId('boxes-list')).toBeNull()
    empty.querySelector('button')?.click()
    expect(add).toHaveBeenCalledOnce()
  })

  it('shows why loading failed, above the last rows it had', () => {
    mountList({ loading: false, loaded: true, loadError: 'The manager did not answer.', rows: ['first'] })
    expect(requireTestId('boxes-error').textContent).toContain('The manager did not answer.')
    expect(rows()).toEqual(['first'])
  })

  it('takes a page’s own toolbar and empty note instead of its own', () => {
    mountList(
      { loading: false, loaded: true, loadError: null, rows: [] },
      { toolbar: () => h('div', { 'data-testid': 'own-toolbar' }), empty: () => h('p', { 'data-testid': 'own-empty' }, 'None.') },
    )
    expect(byTestId('own-toolbar')).not.toBeNull()
    expect(byTestId('box-new')).toBeNull()
    expect(requireTestId('own-empty').textContent).toBe('None.')
    expect(byTestId('boxes-empty')).toBeNull()
  })
})
