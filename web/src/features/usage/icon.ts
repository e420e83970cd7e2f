import { icon } from '../../components/icons'

/** Bars rising from a baseline: how much was used. */
export const IconUsage = icon('usage', [['path', 'M3.5 20.5h17M6.5 17V11M11 17V6.5M15.5 17v-4M20 17V8.5']])
