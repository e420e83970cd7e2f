import type { GlobalThemeOverrides } from 'naive-ui'

const fontFamily =
  'system-ui, -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
const fontFamilyMono = 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace'

/** Indigo accents on neutral greys, tuned per scheme so text on the accent stays readable. */
export const lightOverrides: GlobalThemeOverrides = {
  common: {
    fontFamily,
    fontFamilyMono,
    primaryColor: '#4f46e5',
    primaryColorHover: '#6366f1',
    primaryColorPressed: '#4338ca',
    primaryColorSuppl: '#6366f1',
    bodyColor: '#f6f6f8',
    borderRadius: '8px',
  },
  Card: { borderRadius: '12px', titleFontWeight: '600' },
}

export const darkOverrides: GlobalThemeOverrides = {
  common: {
    fontFamily,
    fontFamilyMono,
    primaryColor: '#818cf8',
    primaryColorHover: '#a5b4fc',
    primaryColorPressed: '#6366f1',
    primaryColorSuppl: '#6366f1',
    bodyColor: '#101014',
    cardColor: '#17171c',
    modalColor: '#1c1c22',
    popoverColor: '#1f1f26',
    borderRadius: '8px',
  },
  Card: { borderRadius: '12px', titleFontWeight: '600' },
}
