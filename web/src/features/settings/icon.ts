import { icon } from '../../components/icons'

/** A cog: the few settings the manager keeps (Profiles already has the sliders). */
export const IconSettings = icon('settings', [
  ['circle', 12, 12, 6.5],
  ['circle', 12, 12, 2.5],
  ['path', 'M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1'],
])
