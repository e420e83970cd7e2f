// The formatter lives in shared/ so the manager's own sentences (the memory budget) use the same units.
export { formatBytes } from '../../../shared/units'
