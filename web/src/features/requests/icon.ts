import { icon } from '../../components/icons'

/** A list of timed entries: the request log. */
export const IconRequests = icon('requests', [
  ['circle', 5, 6.5, 1],
  ['circle', 5, 12, 1],
  ['circle', 5, 17.5, 1],
  ['path', 'M9 6.5h11M9 12h11M9 17.5h7'],
])
