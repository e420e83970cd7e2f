import { describe, expect, it } from 'vitest'
import { draftOf, emptyDraft, fieldsOf, SECTIONS } from '../../web/src/features/profiles/form'
import { PROFILE_DEFAULTS, type Profile } from '../../shared/profiles'

const saved: Profile = { ...PROFILE_DEFAULTS, id: 3, name: 'Fox', model: 'org/fox', port: 8003, aliases: ['gpt-4o-mini'], extraArgs: [], createdAt: '', updatedAt: '' }

describe('profile form: aliases', () => {
  it('a saved profile’s aliases come into the draft and go back out trimmed, blanks dropped', () => {
    const draft = draftOf(saved)
    expect(draft.aliases).toEqual(['gpt-4o-mini'])
    draft.aliases.push('  fox-latest ', '  ')
    const result = fieldsOf(draft)
    expect(result.ok && result.fields.aliases).toEqual(['gpt-4o-mini', 'fox-latest'])
    // The draft is a copy: editing it leaves the saved profile alone.
    expect(saved.aliases).toEqual(['gpt-4o-mini'])
  })

  it('an alias equal to the name, or listed twice, is an error on the aliases field in the advanced section', () => {
    const draft = { ...emptyDraft('org/fox'), port: 8003, aliases: ['y', 'x', 'x'] }
    const twice = fieldsOf(draft)
    expect(twice.ok).toBe(false)
    if (!twice.ok) expect(twice.errors.aliases).toBe('"x" is listed twice.')
    const same = fieldsOf({ ...draft, aliases: [draft.name] })
    if (!same.ok) expect(same.errors.aliases).toContain('is the profile\'s name already')
    else throw new Error('an alias equal to the name was accepted')
    expect(SECTIONS.advanced).toContain('aliases')
  })
})
