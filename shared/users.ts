/** Account lifecycle: new accounts wait for an admin unless they are the very first one. */
export const USER_STATUSES = ['pending', 'approved', 'disabled'] as const
export type UserStatus = (typeof USER_STATUSES)[number]

/** A user as every API response and the web app see it. */
export interface PublicUser {
  id: number
  email: string
  isAdmin: boolean
  status: UserStatus
  createdAt: string
}
