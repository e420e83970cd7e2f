// Renders the PWA icons in web/public/icons/ from the logo drawn in web/public/favicon.svg.
// Run after changing the logo: node web/scripts/render-icons.mjs (needs Chromium, see CHROMIUM_PATH).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const logo = readFileSync(join(web, 'public', 'favicon.svg'), 'utf8')
// A maskable icon is cropped to a circle of 80% of its size: full-bleed background, logo inside the safe zone.
const maskable = logo.replace('rx="116"', 'rx="0"').replace(
  /(<path[^>]*\/>\s*<circle[^>]*\/>)/,
  '<g transform="translate(256 256) scale(0.78) translate(-256 -256)">$1</g>',
)

const icons = [
  { file: 'icon-192.png', size: 192, svg: logo },
  { file: 'icon-512.png', size: 512, svg: logo },
  { file: 'icon-maskable-512.png', size: 512, svg: maskable },
  { file: 'apple-touch-icon.png', size: 180, svg: maskable },
]

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
try {
  const page = await browser.newPage()
  for (const icon of icons) {
    await page.setViewportSize({ width: icon.size, height: icon.size })
    const svg = icon.svg.replace('<svg ', `<svg width="${icon.size}" height="${icon.size}" `)
    await page.setContent(`<style>html,body{margin:0;background:transparent}</style>${svg}`)
    await page.screenshot({ path: join(web, 'public', 'icons', icon.file), omitBackground: true })
    console.log(`wrote icons/${icon.file}`)
  }
} finally {
  await browser.close()
}
