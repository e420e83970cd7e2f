import { icon } from '../../components/icons'

/** Three machines in a row, joined: the hosts a model's ranks run on. */
export const IconHosts = icon('hosts', [
  ['rect', 2.5, 5, 5, 14, 1.2],
  ['rect', 9.5, 5, 5, 14, 1.2],
  ['rect', 16.5, 5, 5, 14, 1.2],
  ['path', 'M4 9h2M11 9h2M18 9h2'],
])
