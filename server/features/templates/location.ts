import { closeSync, constants, openSync, readSync, realpathSync, statSync } from 'node:fs'
import { basename, isAbsolute, join, relative, sep } from 'node:path'
import { isValidModelId } from '../../../shared/model-id'
import { isAbsolutePath } from '../../../shared/profiles'
import { TEMPLATE_MAX_BYTES } from '../../../shared/templates'
import { badRequest, type AppError } from '../../http/errors'
import { repoFolderName } from '../downloads/cache-layout'

/** The file-system calls the chat template rules make, behind one seam for tests. */
export interface TemplateFiles {
  /** The path with every symlink resolved, or null when nothing is there. */
  realpath(path: string): string | null
  kind(path: string): 'file' | 'directory' | 'other' | null
  /** At most `maxBytes + 1` bytes of the file at a resolved path; throws when it cannot be read. */
  read(path: string, maxBytes: number): Uint8Array
}

export const systemTemplateFiles: TemplateFiles = {
  realpath(path) {
    try {
      return realpathSync(path)
    } catch {
      return null
    }
  },
  kind(path) {
    try {
      const stat = statSync(path)
      return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other'
    } catch {
      return null
    }
  },
  read(path, maxBytes) {
    // O_NOFOLLOW: the path was resolved a moment ago; a symlink swapped in since is not followed.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const buffer = Buffer.alloc(maxBytes + 1)
      let filled = 0
      while (filled < buffer.length) {
        const read = readSync(fd, buffer, filled, buffer.length - filled, null)
        if (read === 0) break
        filled += read
      }
      return buffer.subarray(0, filled)
    } finally {
      closeSync(fd)
    }
  },
}

/** Where uploaded templates are kept: MLX_MANAGER_HOME/templates. */
export function templatesFolder(home: string): string {
  return join(home, 'templates')
}

export interface TemplatePlaces {
  hfHubCache: string
  /** MLX_MANAGER_HOME/templates, where uploads go. */
  templatesDir: string
}

/** A template file that passed every rule, and what engines and people are shown of it. */
export interface CheckedTemplate {
  /** Where it really is (symlinks resolved): the path a path-taking engine is given. */
  realPath: string
  /** Its base name in angle brackets, shown in place of its text in any command line. */
  placeholder: string
  text: string
}

interface Root {
  label: string
  path: string
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/**
 * Where a profile's chat template may come from: the model's folder, the HuggingFace cache or
 * MLX_MANAGER_HOME/templates, judged after resolving symlinks. Anything else could be any file the
 * manager can read (keys, tokens), whose text mlx_lm.server would then be handed.
 */
export class ChatTemplateRules {
  constructor(
    private readonly files: TemplateFiles,
    private readonly places: TemplatePlaces,
  ) {}

  /** Checks `file` for a profile serving `model`, and reads it; throws a 400 saying where templates may live. */
  check(model: string, file: string): CheckedTemplate {
    const roots = this.roots(model)
    const real = isAbsolutePath(file) ? this.files.realpath(file) : null
    if (real === null) {
      // A missing file outside the folders gets the same answer as a forbidden one: nothing to probe with.
      if (isAbsolutePath(file) && roots.some((root) => within(root.path, file))) throw this.unreadable(file, 'it does not exist', roots)
      throw this.notAllowed(file, roots)
    }
    const realRoots = roots.flatMap((root) => this.files.realpath(root.path) ?? [])
    if (!realRoots.some((root) => within(root, real))) throw this.notAllowed(file, roots)
    const kind = this.files.kind(real)
    if (kind !== 'file') throw this.unreadable(file, kind === 'directory' ? 'it is a folder' : 'it is not a regular file', roots)
    let bytes: Uint8Array
    try {
      bytes = this.files.read(real, TEMPLATE_MAX_BYTES)
    } catch {
      throw this.unreadable(file, 'the manager may not read it', roots)
    }
    if (bytes.length > TEMPLATE_MAX_BYTES) throw this.unreadable(file, `it is larger than ${TEMPLATE_MAX_BYTES / 1024} KiB`, roots)
    if (bytes.includes(0)) throw this.unreadable(file, 'it is not a text file', roots)
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      throw this.unreadable(file, 'it is not UTF-8 text', roots)
    }
    return { realPath: real, placeholder: `<${basename(file)}>`, text }
  }

  private roots(model: string): Root[] {
    const { hfHubCache, templatesDir } = this.places
    const roots: Root[] = []
    if (isAbsolutePath(model)) {
      // Only a folder that holds a model counts: "/" or a home folder named as the model must not open everything under it.
      if (this.files.kind(join(model, 'config.json')) === 'file') roots.push({ label: 'the model’s folder', path: model })
    } else if (isValidModelId(model)) {
      roots.push({ label: 'the model’s folder', path: join(hfHubCache, repoFolderName(model)) })
    }
    roots.push({ label: 'the HuggingFace cache', path: hfHubCache }, { label: 'MLX Manager’s templates folder', path: templatesDir })
    return roots
  }

  private notAllowed(file: string, roots: Root[]): AppError {
    return badRequest(
      'chat-template-not-allowed',
      `The chat template file ${file} is not in a folder chat templates may come from: ${places(roots)}. Upload it as a template, or choose a file in one of those folders.`,
    )
  }

  private unreadable(file: string, reason: string, roots: Root[]): AppError {
    return badRequest(
      'chat-template-unreadable',
      `The chat template file ${file} cannot be used: ${reason}. Choose a UTF-8 text file of at most ${TEMPLATE_MAX_BYTES / 1024} KiB in ${places(roots)}.`,
    )
  }
}

function places(roots: Root[]): string {
  const named = roots.map((root) => `${root.label} (${root.path})`)
  return named.length < 2 ? named.join('') : `${named.slice(0, -1).join(', ')} or ${named.at(-1) ?? ''}`
}
