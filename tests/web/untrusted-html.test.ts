import { describe, expect, test } from 'vitest'
import { restrictLink } from '../../web/src/untrusted-html'

function anchor(href: string | null): HTMLAnchorElement {
  const a = document.createElement('a')
  if (href !== null) a.setAttribute('href', href)
  return a
}

describe('links in HTML nobody here wrote', () => {
  test.each(['https://huggingface.co/x', 'HTTP://example.com', 'mailto:me@example.com'])('%s opens in a new tab with no opener or referrer', (href) => {
    const a = anchor(href)
    restrictLink(a, { keepFragments: false })
    expect(a.getAttribute('href')).toBe(href)
    expect(a.getAttribute('target')).toBe('_blank')
    expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow')
  })

  test.each(['javascript:alert(1)', 'data:text/html,<b>x</b>', '/api/users', 'settings', '//evil.example/x'])('%s loses its href', (href) => {
    const a = anchor(href)
    restrictLink(a, { keepFragments: true })
    expect(a.hasAttribute('href')).toBe(false)
    expect(a.hasAttribute('target')).toBe(false)
  })

  test('an in-page #fragment stays only where the text has its anchors, and stays in this tab', () => {
    const kept = anchor('#usage')
    restrictLink(kept, { keepFragments: true })
    expect(kept.getAttribute('href')).toBe('#usage')
    expect(kept.hasAttribute('target')).toBe(false)
    const dropped = anchor('#usage')
    restrictLink(dropped, { keepFragments: false })
    expect(dropped.hasAttribute('href')).toBe(false)
  })
})
