import { h, type FunctionalComponent, type VNode } from 'vue'

/**
 * The app's line icons (24×24 grid, 1.75 stroke, round ends), drawn for MLX Manager.
 * Each takes the current text colour, so it follows light and dark themes.
 */
export type Shape = ['path', string] | ['circle', number, number, number] | ['rect', number, number, number, number, number]

function draw(shape: Shape): VNode {
  switch (shape[0]) {
    case 'path':
      return h('path', { d: shape[1] })
    case 'circle':
      return h('circle', { cx: shape[1], cy: shape[2], r: shape[3] })
    case 'rect':
      return h('rect', { x: shape[1], y: shape[2], width: shape[3], height: shape[4], rx: shape[5] })
  }
}

/** Makes an icon component from shapes on the 24×24 grid; features use it for icons of their own. */
export function icon(name: string, shapes: Shape[]): FunctionalComponent {
  const component: FunctionalComponent = () =>
    h(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        viewBox: '0 0 24 24',
        width: '1em',
        height: '1em',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': 1.75,
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
        'aria-hidden': 'true',
        class: `icon icon-${name}`,
      },
      shapes.map(draw),
    )
  component.displayName = `Icon${name}`
  return component
}

export const IconCatalog = icon('catalog', [
  ['circle', 10.5, 10.5, 6.5],
  ['path', 'M15.5 15.5 20 20'],
  ['path', 'M8 10.5h5M10.5 8v5'],
])
export const IconModels = icon('models', [
  ['path', 'M12 3 20 7.5v9L12 21l-8-4.5v-9L12 3Z'],
  ['path', 'M4 7.5 12 12l8-4.5M12 12v9'],
])
export const IconProfiles = icon('profiles', [
  ['path', 'M4 6h8M16 6h4M4 12h3M11 12h9M4 18h10M18 18h2'],
  ['circle', 14, 6, 2],
  ['circle', 9, 12, 2],
  ['circle', 16, 18, 2],
])
export const IconServers = icon('servers', [
  ['rect', 3.5, 4, 17, 7, 2],
  ['rect', 3.5, 13, 17, 7, 2],
  ['path', 'M7.5 7.5h.01M7.5 16.5h.01M11 7.5h2M11 16.5h2'],
])
export const IconChat = icon('chat', [
  ['path', 'M5 4.5h14a1.5 1.5 0 0 1 1.5 1.5v9a1.5 1.5 0 0 1-1.5 1.5h-8.5L6 20v-3.5H5A1.5 1.5 0 0 1 3.5 15V6A1.5 1.5 0 0 1 5 4.5Z'],
  ['path', 'M8 9h8M8 12.5h5'],
])
export const IconUsers = icon('users', [
  ['circle', 9, 8, 3.5],
  ['path', 'M3 20a6 6 0 0 1 12 0'],
  ['path', 'M15.5 4.8a3.5 3.5 0 0 1 0 6.4M17.5 14.5A6 6 0 0 1 21 20'],
])
export const IconSun = icon('sun', [
  ['circle', 12, 12, 4],
  ['path', 'M12 2.5v2M12 19.5v2M4.6 4.6l1.4 1.4M18 18l1.4 1.4M2.5 12h2M19.5 12h2M4.6 19.4 6 18M18 6l1.4-1.4'],
])
export const IconMoon = icon('moon', [['path', 'M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5Z']])
export const IconMonitor = icon('monitor', [
  ['rect', 3, 4, 18, 12, 2],
  ['path', 'M8.5 20h7M12 16v4'],
])
export const IconInstall = icon('install', [
  ['path', 'M12 3.5v11M7.5 10l4.5 4.5 4.5-4.5'],
  ['path', 'M4.5 16.5v2a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2v-2'],
])
export const IconSignOut = icon('sign-out', [
  ['path', 'M14.5 4H18a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3.5'],
  ['path', 'M10 16.5 14.5 12 10 7.5M14.5 12H4'],
])
export const IconRefresh = icon('refresh', [
  ['path', 'M19.5 12a7.5 7.5 0 1 1-2.2-5.3'],
  ['path', 'M19.5 4v4.5H15'],
])
export const IconOffline = icon('offline', [
  ['path', 'M3 3l18 18'],
  ['path', 'M8.5 8.6A5.5 5.5 0 0 0 6.5 12 4 4 0 0 0 7 20h10.5M20.4 17.6A3.5 3.5 0 0 0 18 12a6 6 0 0 0-7.4-4.6'],
])
export const IconMemory = icon('memory', [
  ['rect', 5, 5, 14, 14, 2],
  ['rect', 9, 9, 6, 6, 1],
  ['path', 'M9 2.5V5M15 2.5V5M9 19v2.5M15 19v2.5M2.5 9H5M2.5 15H5M19 9h2.5M19 15h2.5'],
])
export const IconHourglass = icon('hourglass', [
  ['path', 'M6.5 3.5h11M6.5 20.5h11'],
  ['path', 'M7.5 3.5v3a4.5 4.5 0 0 0 9 0v-3M7.5 20.5v-3a4.5 4.5 0 0 1 9 0v3'],
])
export const IconKey = icon('key', [
  ['circle', 8, 15, 4],
  ['path', 'M11 12l8.5-8.5M16 7l2.5 2.5M18.5 4.5 21 7'],
])
export const IconMinus = icon('minus', [['path', 'M5 12h14']])
export const IconPlus = icon('plus', [['path', 'M12 5v14M5 12h14']])
