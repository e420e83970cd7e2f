/** `org/name` as the hub spells it; anything else never becomes a path on disk. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/

export function isValidModelId(id: string): boolean {
  return MODEL_ID_PATTERN.test(id) && !id.split('/').some((part) => part === '.' || part === '..')
}
