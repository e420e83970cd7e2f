import { icon } from '../../components/icons'

/** Sliders: the few settings the manager keeps. */
export const IconSettings = icon('settings', [
  ['path', 'M4 7h9M17 7h3M4 17h3M11 17h9'],
  ['circle', 15, 7, 2],
  ['circle', 9, 17, 2],
])
