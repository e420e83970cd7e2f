import type { FunctionalComponent } from 'vue'
import { icon as shapeIcon } from '../../components/icons'

/** Line icons the catalog needs, drawn with the app's own icon maker (same grid, stroke and colour). */
function icon(name: string, paths: string[]): FunctionalComponent {
  return shapeIcon(name, paths.map((d) => ['path', d]))
}

export const IconSearch = icon('search', ['M10.5 4a6.5 6.5 0 1 1 0 13 6.5 6.5 0 0 1 0-13Z', 'M15.5 15.5 20 20'])
export const IconFilter = icon('filter', ['M4 6h16M7 12h10M10 18h4'])
export const IconArrowDown = icon('arrow-down', ['M12 4.5v14M6.5 13l5.5 5.5 5.5-5.5'])
export const IconHeart = icon('heart', ['M12 19.5s-7.5-4.4-7.5-10A4.3 4.3 0 0 1 12 7a4.3 4.3 0 0 1 7.5 2.5c0 5.6-7.5 10-7.5 10Z'])
export const IconClock = icon('clock', ['M12 3.5a8.5 8.5 0 1 1 0 17 8.5 8.5 0 0 1 0-17Z', 'M12 7.5V12l3 2'])
export const IconLock = icon('lock', ['M6.5 10.5h11a1 1 0 0 1 1 1v7.5a1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1v-7.5a1 1 0 0 1 1-1Z', 'M8.5 10.5V8a3.5 3.5 0 0 1 7 0v2.5'])
export const IconBack = icon('back', ['M19 12H5.5M11 6l-6 6 6 6'])
export const IconCopy = icon('copy', ['M9 9h10.5v10.5H9z', 'M15 9V4.5H4.5V15H9'])
export const IconDownload = icon('download', ['M12 3.5v11M7.5 10l4.5 4.5 4.5-4.5', 'M4.5 16.5v2a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2v-2'])
export const IconFile = icon('file', ['M7 3.5h7l4.5 4.5v12.5h-11.5z', 'M14 3.5V8h4.5'])
export const IconWeights = icon('weights', ['M12 3 20 7.5v9L12 21l-8-4.5v-9L12 3Z', 'M4 7.5 12 12l8-4.5M12 12v9'])
export const IconAlert = icon('alert', ['M12 4 21 19.5H3L12 4Z', 'M12 10v4.5M12 17.2v.1'])
export const IconSparkle = icon('sparkle', ['M12 3.5l1.8 5.2 5.2 1.8-5.2 1.8-1.8 5.2-1.8-5.2-5.2-1.8 5.2-1.8z'])
