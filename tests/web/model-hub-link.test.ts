import { describe, expect, it } from 'vitest'
import { useAuthStore } from '../../web/src/features/auth/store'
import { qwen3Details, system } from './catalog-data'
import { showCatalog } from './components/catalog-screens'
import { byTestId, requireTestId } from './components/mount'
import { fakeServer, json, makeUser } from './helpers'

async function openModelPage(details: ReturnType<typeof qwen3Details>) {
  useAuthStore().user = makeUser()
  fakeServer({
    'GET /api/catalog/models/mlx-community/Qwen3-8B-4bit': () => json(details),
    'GET /api/catalog/system': () => json(system()),
  })
  await showCatalog('/catalog/mlx-community/Qwen3-8B-4bit')
}

describe('model page: the model on the hub', () => {
  it('links to the model on the hub the manager uses, in a new tab that learns nothing of this page', async () => {
    await openModelPage({ ...qwen3Details(), hubUrl: 'http://hub.internal:9000/mlx-community/Qwen3-8B-4bit' })
    const link = requireTestId('model-hub-link')
    expect(link.getAttribute('href')).toBe('http://hub.internal:9000/mlx-community/Qwen3-8B-4bit')
    expect(link.getAttribute('target')).toBe('_blank')
    expect(link.getAttribute('rel')).toContain('noopener')
    expect(link.getAttribute('rel')).toContain('noreferrer')
  })

  it('a copy saved before the link existed shows none rather than guessing the hub', async () => {
    const { hubUrl: _none, ...older } = qwen3Details()
    await openModelPage(older)
    expect(requireTestId('model-name').textContent).toContain('Qwen3-8B-4bit')
    expect(byTestId('model-hub-link')).toBeNull()
  })
})
