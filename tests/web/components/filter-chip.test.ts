import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import FilterChip from '../../../web/src/features/catalog/components/FilterChip.vue'

describe('catalog filter chip', () => {
  it('is a named checkbox in the Tab order that Space, Enter and a click all toggle', async () => {
    const chip = mount(FilterChip, { props: { checked: false }, slots: { default: 'Vision' }, attrs: { 'data-testid': 'filter-capability-vision' } })
    const root = chip.get('[data-testid="filter-capability-vision"]')
    expect(root.attributes('role')).toBe('checkbox')
    expect(root.attributes('tabindex')).toBe('0')
    expect(root.attributes('aria-checked')).toBe('false')
    expect(root.text()).toBe('Vision')

    await root.trigger('keydown', { key: ' ' })
    await root.trigger('keydown', { key: 'Enter' })
    await root.trigger('click')
    expect(chip.emitted('toggle')).toHaveLength(3)

    await chip.setProps({ checked: true })
    expect(root.attributes('aria-checked')).toBe('true')
  })
})
