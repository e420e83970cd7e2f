import type { PublicUser } from '../../../../shared/users'

/** The server's order: pending first (they need attention), then oldest first, so the list reads as a history. */
export function compareUsers(a: PublicUser, b: PublicUser): number {
  const pending = Number(b.status === 'pending') - Number(a.status === 'pending')
  if (pending !== 0) return pending
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1
  return a.id - b.id
}

export function sortUsers(users: readonly PublicUser[]): PublicUser[] {
  return [...users].sort(compareUsers)
}
