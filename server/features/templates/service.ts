import { join } from 'node:path'
import { TEMPLATE_MAX_BYTES, templateNameProblem, type TemplateFile } from '../../../shared/templates'
import { AppError, badRequest, notFound } from '../../http/errors'
import type { StoredFile, TemplateDisk } from './disk'

export interface TemplateServiceDeps {
  disk: TemplateDisk
  /** MLX_MANAGER_HOME/templates (templatesFolder). */
  dir: string
}

/**
 * Chat templates uploaded by admins, kept in MLX_MANAGER_HOME/templates: the one place a template
 * from outside a model's folder may come from. Only names and sizes are ever answered, not text.
 */
export class TemplateService {
  constructor(private readonly deps: TemplateServiceDeps) {}

  list(): TemplateFile[] {
    return this.deps.disk
      .list(this.deps.dir)
      .filter((file) => templateNameProblem(file.name) === null)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((file) => this.describe(file))
  }

  /** Writes the template, replacing one of the same name; `created` is false when it replaced one. */
  save(name: string, content: string): { created: boolean; file: TemplateFile } {
    this.checkName(name)
    if (Buffer.byteLength(content, 'utf8') > TEMPLATE_MAX_BYTES) {
      throw new AppError(413, 'template-too-large', `A chat template is at most ${TEMPLATE_MAX_BYTES / 1024} KiB of text.`)
    }
    if (content.includes('\0')) throw badRequest('invalid-template', 'A chat template is text; this one contains NUL characters.')
    const created = this.deps.disk.stat(this.path(name)) === null
    this.deps.disk.write(this.deps.dir, name, content)
    const stored = this.deps.disk.stat(this.path(name))
    if (stored === null) throw new Error(`The template ${name} was written but cannot be found.`)
    return { created, file: this.describe(stored) }
  }

  remove(name: string): void {
    this.checkName(name)
    if (!this.deps.disk.remove(this.path(name))) throw notFound('template-not-found', `There is no template called ${name}. The list may be out of date; reload it.`)
  }

  private checkName(name: string): void {
    const problem = templateNameProblem(name)
    if (problem !== null) throw badRequest('invalid-template-name', problem)
  }

  private path(name: string): string {
    return join(this.deps.dir, name)
  }

  private describe(file: StoredFile): TemplateFile {
    return { name: file.name, path: this.path(file.name), bytes: file.bytes, modifiedAt: file.modifiedAt.toISOString() }
  }
}
