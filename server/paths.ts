import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The project folder (the one with MLX Manager's package.json), found by walking up from this
 * module: the same answer whether the server runs from source or from its bundled build.
 */
export function projectRoot(from: string = import.meta.dir): string {
  let dir = from
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mlx-manager') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`No MLX Manager package.json above ${from}.`)
    dir = parent
  }
}
