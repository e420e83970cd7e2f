import { icon } from '../../components/icons'

/** A chip with pins: the programs that run the models. */
export const IconEngines = icon('engines', [
  ['rect', 6, 6, 12, 12, 2],
  ['rect', 9.5, 9.5, 5, 5, 1],
  ['path', 'M9 3v3M15 3v3M9 18v3M15 18v3M3 9h3M3 15h3M18 9h3M18 15h3'],
])
