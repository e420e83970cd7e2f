import { icon } from '../../components/icons'

/** A plug: clients plugged into the manager's endpoint. */
export const IconConnect = icon('connect', [
  ['path', 'M9 3.5v4M15 3.5v4'],
  ['path', 'M6.5 7.5h11v3a5.5 5.5 0 0 1-11 0v-3Z'],
  ['path', 'M12 16v4.5'],
])
