import { afterEach, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { appendFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { followFile, hashGrowingFile, hashRecipe, type FileHasher } from '../../server/features/downloads/file-hash'
import { tempDir } from './helpers'

const bytes = (length: number, seed = 1) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 255)
const sha256 = (...parts: Uint8Array[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('hex')

const open: FileHasher[] = []
afterEach(() => {
  for (const hasher of open.splice(0)) hasher.close()
})

describe('hashing a partial file from disk', () => {
  for (const onThread of [false, true]) {
    test(`${onThread ? 'on a worker thread, following the writes' : 'in place, when asked'}: hashes a file written in parts from before it existed`, async () => {
      const path = join(tempDir('mlx-manager-hash-'), 'blob.incomplete')
      const parts = [bytes(300_000, 1), bytes(1_500_000, 2), bytes(7, 3)]
      const hasher = followFile(hashRecipe(path, { lfs: true, size: 1_800_007 }), onThread)
      open.push(hasher)
      for (const part of parts) {
        appendFileSync(path, part)
        await Bun.sleep(15)
      }
      expect(await hasher.digest(1_800_007)).toBe(sha256(...parts))
    })
  }

  test('a git file hashes to its blob oid (sha1 of "blob {size}\\0" and the bytes)', async () => {
    const path = join(tempDir('mlx-manager-hash-'), 'config.json')
    const text = new TextEncoder().encode('{"model_type": "llama"}\n')
    writeFileSync(path, text)
    const oid = createHash('sha1').update(`blob ${text.length}\0`).update(text).digest('hex')
    expect(await followFile(hashRecipe(path, { lfs: false, size: text.length }), false).digest(text.length)).toBe(oid)
  })

  test('only the bytes up to the end it is given count', async () => {
    const path = join(tempDir('mlx-manager-hash-'), 'blob.incomplete')
    const data = bytes(5000)
    writeFileSync(path, data)
    expect(await hashGrowingFile(hashRecipe(path, { lfs: true, size: 4000 }), () => 4000)).toBe(sha256(data.subarray(0, 4000)))
  })

  test('a file shorter than its end is an error, not a checksum of what is there', async () => {
    const path = join(tempDir('mlx-manager-hash-'), 'blob.incomplete')
    writeFileSync(path, bytes(100))
    const hashing = hashGrowingFile(hashRecipe(path, { lfs: true, size: 200 }), () => 200)
    expect(String(await hashing.catch((error: unknown) => error))).toContain('ended at 100 bytes, before the 200')
  })

  test('a symlink in place of the partial file is not followed', async () => {
    const dir = tempDir('mlx-manager-hash-')
    writeFileSync(join(dir, 'outside'), bytes(10))
    symlinkSync(join(dir, 'outside'), join(dir, 'blob.incomplete'))
    const hashing = hashGrowingFile(hashRecipe(join(dir, 'blob.incomplete'), { lfs: true, size: 10 }), () => 10)
    expect(await hashing.catch((error: unknown) => error)).toMatchObject({ code: 'ELOOP' })
  })

  test('a hashing thread that was closed answers no checksum', async () => {
    const path = join(tempDir('mlx-manager-hash-'), 'blob.incomplete')
    const hasher = followFile(hashRecipe(path, { lfs: true, size: 10 }), true)
    hasher.close()
    expect(String(await hasher.digest(10).catch((error: unknown) => error))).toContain('the hashing thread stopped')
  })
})
