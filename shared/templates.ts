/** Chat template files kept by the manager in MLX_MANAGER_HOME/templates. */
export interface TemplateFile {
  name: string
  /** The absolute path to put in a profile's chatTemplateFile. */
  path: string
  bytes: number
  modifiedAt: string
}

/** A plain file name: no folders, no leading dot, nothing a shell or a path would read specially. */
export const TEMPLATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/**
 * The largest template taken, uploaded or from a model folder. Real ones are a few KiB;
 * mlx_lm.server gets the text as one argument, and Linux caps one argument at 128 KiB anyway.
 */
export const TEMPLATE_MAX_BYTES = 512 * 1024

export function templateNameProblem(name: string): string | null {
  if (!TEMPLATE_NAME_PATTERN.test(name) || name.includes('..')) {
    return 'A template name is 1 to 100 letters, digits, ".", "_" and "-", starting with a letter or digit, without "..".'
  }
  return null
}
