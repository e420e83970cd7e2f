import { icon } from '../../components/icons'

/** Two machines joined: other managers served through this one. */
export const IconPeers = icon('peers', [
  ['rect', 2.5, 4, 8, 6, 1.5],
  ['rect', 13.5, 14, 8, 6, 1.5],
  ['path', 'M6.5 10v4.5a2 2 0 0 0 2 2h5M17.5 14V9.5a2 2 0 0 0-2-2h-5'],
])
