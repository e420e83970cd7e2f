import { createHash } from 'node:crypto'

/** A checksum fed as bytes stream in; a seam for hashing elsewhere (a worker) on many-core machines. */
export interface StreamHasher {
  update(chunk: Uint8Array): Promise<void> | void
  digest(): Promise<string>
  close(): void
}

/** The blob's checksum: sha256 for LFS files, the git blob oid (sha1 of a header and the bytes) otherwise. */
export function createStreamHasher(file: { lfs: boolean; size: number }): StreamHasher {
  const hash = createHash(file.lfs ? 'sha256' : 'sha1')
  if (!file.lfs) hash.update(`blob ${file.size}\0`)
  return {
    update: (chunk) => {
      hash.update(chunk)
    },
    digest: () => Promise.resolve(hash.digest('hex')),
    close: () => undefined,
  }
}
