import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import MessageItem from '../../../web/src/features/chat/components/MessageItem.vue'
import { newMessage, type MessageRow } from '../../../web/src/features/chat/types'
import { byTestId, mountInApp, requireTestId } from './mount'

function answer(overrides: Partial<MessageRow> = {}): MessageRow {
  return newMessage({ id: 'a1', conversationId: 'c1', seq: 1, role: 'assistant', profileName: 'Qwen3 4B', ...overrides })
}

const LIVE = { conversationId: 'c1', messageId: 'a1', phase: 'streaming' as const, notice: null }

describe('a chat message', () => {
  it('shows thinking live in an open block, then closes it with how long it took', async () => {
    const props = reactive({ message: answer({ reasoning: 'Let me see.' }), live: LIVE, last: true, busy: true })
    mountInApp(MessageItem, { props })
    await flushPromises()
    expect(requireTestId('reasoning-summary').textContent).toContain('Thinking…')
    expect(requireTestId('reasoning').hasAttribute('open')).toBe(true)
    expect(requireTestId('reasoning-text').textContent).toBe('Let me see.')
    expect(byTestId('chat-regenerate')).toBeNull()

    Object.assign(props, { message: answer({ reasoning: 'Let me see.', reasoningMs: 4200, content: 'Done.' }), live: null, busy: false })
    await flushPromises()
    expect(requireTestId('reasoning-summary').textContent).toContain('Thought for 4 s')
    expect(requireTestId('reasoning').hasAttribute('open')).toBe(false)
    expect(byTestId('chat-regenerate')).not.toBeNull()
  })

  it('waits with the loading notice, then shows metrics, stops and engine errors', async () => {
    const loading = { ...LIVE, phase: 'loading-model' as const, notice: 'Qwen3 4B is still loading its model; sending again in 2 s.' }
    const props = reactive({ message: answer(), live: loading, last: true, busy: true })
    mountInApp(MessageItem, { props })
    await flushPromises()
    expect(requireTestId('chat-waiting').textContent).toContain('still loading its model')
    Object.assign(props, {
      live: null,
      message: answer({ content: 'Partial', status: 'stopped', metrics: { timeToFirstTokenMs: 250, promptTokens: 9, completionTokens: 4, generationTokensPerSecond: 31.5, totalMs: 400 } }),
    })
    await flushPromises()
    expect(requireTestId('chat-stopped').textContent).toBe('Stopped')
    expect(requireTestId('chat-metrics').textContent).toContain('31.5 tok/s')
    expect(requireTestId('chat-metrics').textContent).toContain('0.25 s to first token')
    Object.assign(props, { message: answer({ status: 'error', error: { code: 'engine-error', message: 'The engine answered 500: CUDA? No, Metal out of memory' } }) })
    await flushPromises()
    expect(requireTestId('chat-message-error').textContent).toContain('Metal out of memory')
  })

  it('edits a user message in place and sends the new text', async () => {
    const wrapper = mountInApp(MessageItem, { props: { message: answer({ role: 'user', content: 'Old question', profileName: null }), live: null, last: false, busy: false } })
    await flushPromises()
    requireTestId('chat-edit').click()
    await flushPromises()
    const input = requireTestId('chat-edit-input').querySelector('textarea')
    if (input === null) throw new Error('no textarea')
    expect(input.value).toBe('Old question')
    input.value = 'New question'
    input.dispatchEvent(new Event('input', { bubbles: true }))
    await flushPromises()
    requireTestId('chat-edit-send').click()
    await flushPromises()
    expect(wrapper.findComponent(MessageItem).emitted('edit')).toEqual([['a1', 'New question']])
  })

  it('numbers the versions of an answer and asks for the one before or after', async () => {
    const props = reactive({
      message: answer({ content: 'Second try.' }),
      live: null,
      last: true,
      busy: false,
      version: { parentId: 'q1', position: 2, total: 3, previousId: 'v1', nextId: 'v3' },
    })
    const wrapper = mountInApp(MessageItem, { props })
    await flushPromises()
    expect(requireTestId('chat-version-count').textContent).toBe('2/3')
    requireTestId('chat-version-previous').click()
    requireTestId('chat-version-next').click()
    await flushPromises()
    expect(wrapper.findComponent(MessageItem).emitted('version')).toEqual([
      ['q1', 'v1'],
      ['q1', 'v3'],
    ])
    // The first of them has no earlier one; nothing to switch while an answer is written.
    Object.assign(props, { version: { parentId: 'q1', position: 1, total: 3, previousId: null, nextId: 'v2' } })
    await flushPromises()
    expect((requireTestId('chat-version-previous') as HTMLButtonElement).disabled).toBe(true)
    Object.assign(props, { busy: true })
    await flushPromises()
    expect((requireTestId('chat-version-next') as HTMLButtonElement).disabled).toBe(true)
    // One version only: no switcher at all.
    Object.assign(props, { version: null, busy: false })
    await flushPromises()
    expect(byTestId('chat-versions')).toBeNull()
  })

  it('offers Continue on a stopped last answer only', async () => {
    const props = reactive({ message: answer({ content: 'Once upon', status: 'stopped' as const }), live: null as typeof LIVE | null, last: true, busy: false })
    const wrapper = mountInApp(MessageItem, { props })
    await flushPromises()
    requireTestId('chat-continue').click()
    await flushPromises()
    expect(wrapper.findComponent(MessageItem).emitted('continue')).toHaveLength(1)
    Object.assign(props, { last: false })
    await flushPromises()
    expect(byTestId('chat-continue')).toBeNull()
    Object.assign(props, { last: true, message: answer({ content: 'Once upon a time.', status: 'complete' as const }) })
    await flushPromises()
    expect(byTestId('chat-continue')).toBeNull()
    Object.assign(props, { message: answer({ content: 'Once upon', status: 'stopped' as const }), live: LIVE })
    await flushPromises()
    expect(byTestId('chat-continue')).toBeNull()
    // Stopped before a word (while thinking): nothing to continue, Regenerate starts it again.
    Object.assign(props, { message: answer({ content: '', reasoning: 'Hmm', status: 'stopped' as const }), live: null })
    await flushPromises()
    expect(byTestId('chat-continue')).toBeNull()
    expect(byTestId('chat-regenerate')).not.toBeNull()
  })
})
