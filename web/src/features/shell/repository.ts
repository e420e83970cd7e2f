import { db } from '../../db/database'

export const THEME_PREFERENCES = ['system', 'light', 'dark'] as const
export type ThemePreference = (typeof THEME_PREFERENCES)[number]

const THEME_KEY = 'theme'

export function isThemePreference(value: unknown): value is ThemePreference {
  return typeof value === 'string' && (THEME_PREFERENCES as readonly string[]).includes(value)
}

/** The stored theme choice; "system" when none was made or storage is unavailable (e.g. private mode). */
export async function readThemePreference(): Promise<ThemePreference> {
  try {
    const row = await db.settings.get(THEME_KEY)
    return isThemePreference(row?.value) ? row.value : 'system'
  } catch {
    return 'system'
  }
}

export async function saveThemePreference(preference: ThemePreference): Promise<void> {
  await db.settings.put({ key: THEME_KEY, value: preference })
}
