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
    // Naive UI's muted text, placeholders and status colours fall short of 4.5:1 on this body and on tinted tags.
    textColor3: '#63696f',
    placeholderColor: '#6e747a',
    successColor: '#0b6b3a',
    successColorHover: '#0e7a43',
    successColorPressed: '#08552e',
    successColorSuppl: '#0e7a43',
    warningColor: '#8a5100',
    warningColorHover: '#a86400',
    warningColorPressed: '#704200',
    warningColorSuppl: '#a86400',
    infoColor: '#1b63b8',
    infoColorHover: '#2a74cc',
    infoColorPressed: '#15529a',
    infoColorSuppl: '#2a74cc',
    errorColor: '#b01f38',
    errorColorHover: '#c42a44',
    errorColorPressed: '#93182e',
    errorColorSuppl: '#c42a44',
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
    // Naive UI's muted text and placeholders (38% white) fall short of 4.5:1 on these surfaces.
    textColor3: 'rgba(255, 255, 255, 0.56)',
    placeholderColor: 'rgba(255, 255, 255, 0.5)',
  },
  Card: { borderRadius: '12px', titleFontWeight: '600' },
}
