import { icon } from '../../components/icons'

/** Four tiles of a dashboard, one tall: the home page's figures at a glance. */
export const IconDashboard = icon('dashboard', [
  ['rect', 3.5, 3.5, 7, 9, 1.5],
  ['rect', 13.5, 3.5, 7, 5, 1.5],
  ['rect', 13.5, 11.5, 7, 9, 1.5],
  ['rect', 3.5, 15.5, 7, 5, 1.5],
])
