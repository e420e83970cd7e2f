import { describe, expect, it } from 'vitest'
import { isErrorEnvelope } from '../../shared/errors'
import { peerModelName } from '../../shared/peers'
import { hubTokenProblem, tokenEnd } from '../../shared/settings'
import { templateNameProblem } from '../../shared/templates'

/** The small checks shared by server and web: error envelopes, peer model names, hub tokens, template names. */

describe('isErrorEnvelope', () => {
  it('accepts the envelope every endpoint answers with', () => {
    expect(isErrorEnvelope({ error: { code: 'not-found', message: 'No such profile.' } })).toBe(true)
    expect(isErrorEnvelope({ error: { code: 'x', message: 'y', details: [] }, extra: 1 })).toBe(true)
  })

  it('refuses anything without an error holding both a code and a message', () => {
    for (const value of [null, undefined, 'error', 42, {}, { error: null }, { error: 'boom' }, { error: { code: 'x' } }, { error: { message: 'y' } }]) {
      expect(isErrorEnvelope(value), JSON.stringify(value)).toBe(false)
    }
  })
})

describe('peerModelName', () => {
  it('is the profile name at the peer', () => {
    expect(peerModelName('qwen3-8b', 'studio')).toBe('qwen3-8b@studio')
  })
})

describe('hubTokenProblem', () => {
  it('takes one word of printable ASCII up to 512 characters', () => {
    expect(hubTokenProblem('hf_abcdefghijklmnopqrstuvwxyz0123456789AB')).toBeNull()
    expect(hubTokenProblem('!')).toBeNull()
    expect(hubTokenProblem('~'.repeat(512))).toBeNull()
  })

  it('says why a token cannot be right', () => {
    expect(hubTokenProblem('')).toBe('Paste the access token, or remove the token instead.')
    expect(hubTokenProblem('h'.repeat(513))).toBe('A token has at most 512 characters.')
    for (const token of ['hf_abc def', ' hf_abc', 'hf_abc\n', 'hf_é', 'hf\u007f']) {
      expect(hubTokenProblem(token)).toBe('A token is one word without spaces, as HuggingFace shows it (such as hf_…).')
    }
  })
})

describe('tokenEnd', () => {
  it('shows the last four characters of a token of 12 or more, nothing of a shorter one', () => {
    expect(tokenEnd('hf_abcdefghijWXYZ')).toBe('WXYZ')
    expect(tokenEnd('hf_abcdeWXYZ')).toBe('WXYZ')
    expect(tokenEnd('hf_abcdWXYZ')).toBe('')
    expect(tokenEnd('')).toBe('')
  })
})

describe('templateNameProblem', () => {
  it('takes plain file names of 1 to 100 characters', () => {
    for (const name of ['chat.jinja', 'a', 'Qwen3_tools-v2.jinja', `t${'x'.repeat(99)}`]) expect(templateNameProblem(name), name).toBeNull()
  })

  it('refuses folders, leading dots, "..", odd characters and long names', () => {
    for (const name of ['', '.hidden', 'a/b.jinja', 'a..jinja', 'chat template', `t${'x'.repeat(100)}`, '-rf', 'a$b']) {
      expect(templateNameProblem(name), name).toBe('A template name is 1 to 100 letters, digits, ".", "_" and "-", starting with a letter or digit, without "..".')
    }
  })
})
