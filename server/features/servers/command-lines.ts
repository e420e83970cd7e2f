import type { Profile } from '../../../shared/profiles'
import type { ResolvedEngine } from '../engines/service'
import type { CheckedTemplate } from '../templates/location'

/**
 * The argv that runs the engine, and the one shown everywhere else (status, events, log, pid file):
 * a chat template's text is replaced by its file name in angle brackets. `hidden` lists where they differ.
 */
export function commandLines(resolved: ResolvedEngine, profile: Profile, template: CheckedTemplate | null): { command: string[]; shown: string[]; hidden: number[] } {
  const { adapter, executable } = resolved
  // A path-taking engine is given the file that was checked, not a symlink that could be repointed.
  const checked = template === null ? profile : { ...profile, chatTemplateFile: template.realPath }
  const command = adapter.command(checked, { executable, chatTemplateText: template?.text ?? null })
  if (template === null || adapter.chatTemplate !== 'text') return { command, shown: command, hidden: [] }
  const shown = adapter.command(checked, { executable, chatTemplateText: template.placeholder })
  return { command, shown, hidden: command.flatMap((arg, index) => (arg === shown[index] ? [] : [index])) }
}
