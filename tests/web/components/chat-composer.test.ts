import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import ChatComposer from '../../../web/src/features/chat/components/ChatComposer.vue'
import { makeProfile } from '../helpers'
import { mountInApp, requireTestId } from './mount'

const placeholder = () => requireTestId('chat-input').querySelector('textarea')?.getAttribute('placeholder')

describe('the chat composer', () => {
  it('on a desktop, says in the box how to add files, or why sending is off', async () => {
    const props = reactive({ profile: makeProfile({ name: 'Qwen3 4B' }), streaming: false, disabledReason: null as string | null, submit: () => true, compact: false })
    mountInApp(ChatComposer, { props })
    await flushPromises()
    expect(placeholder()).toBe('Message, or drop text and code files here')
    expect(requireTestId('chat-composer-hint').textContent).toBe('Enter to send · Shift+Enter for a new line')
    props.disabledReason = 'Offline: conversations stay readable and searchable; sending needs the manager.'
    await flushPromises()
    expect(placeholder()).toBe(props.disabledReason)
  })

  it('on a phone, keeps the placeholder to one short line and says why sending is off under the box', async () => {
    const props = reactive({ profile: makeProfile({ name: 'Qwen3 4B' }), streaming: false, disabledReason: null as string | null, submit: () => true, compact: true })
    mountInApp(ChatComposer, { props })
    await flushPromises()
    expect(placeholder()).toBe('Message Qwen3 4B')
    expect(requireTestId('chat-composer-hint').textContent).toBe('')
    props.disabledReason = 'Offline: conversations stay readable and searchable; sending needs the manager.'
    await flushPromises()
    expect(placeholder()).toBe('Message Qwen3 4B')
    expect(requireTestId('chat-composer-hint').textContent).toBe(props.disabledReason)
    expect(requireTestId('chat-composer-hint').classList.contains('reason')).toBe(true)
    props.streaming = true
    await flushPromises()
    expect(requireTestId('chat-composer-hint').textContent).toBe('Esc to stop')
  })
})
