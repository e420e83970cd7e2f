import type { PublicUser } from '../../../../shared/users'

export type UserAction = 'approve' | 'disable' | 'enable' | 'make-admin' | 'remove-admin' | 'reset-password' | 'delete'

/** Whether this is the only active administrator: the manager refuses to leave none. */
export function isLastAdmin(user: PublicUser, users: readonly PublicUser[]): boolean {
  const admins = users.filter((u) => u.isAdmin && u.status === 'approved')
  return admins.length === 1 && admins[0]?.id === user.id
}

/**
 * What an administrator may do to an account in its current state, in the order the buttons appear.
 * The last active administrator keeps their rights: the manager would refuse to remove, disable or delete them.
 */
export function actionsFor(user: PublicUser, lastAdmin = false): UserAction[] {
  switch (user.status) {
    case 'pending':
      return ['approve', 'delete']
    case 'approved':
      if (lastAdmin) return ['reset-password']
      return [user.isAdmin ? 'remove-admin' : 'make-admin', 'reset-password', 'disable', 'delete']
    case 'disabled':
      return ['enable', 'reset-password', 'delete']
  }
}

export const ACTION_LABELS: Record<UserAction, string> = {
  approve: 'Approve',
  disable: 'Disable',
  enable: 'Enable',
  'make-admin': 'Make admin',
  'remove-admin': 'Remove admin',
  'reset-password': 'Reset password',
  delete: 'Delete',
}

export interface ActionCopy {
  title: string
  /** Sentences for the dialog; the first names the account. */
  lines: string[]
  confirm: string
  tone: 'primary' | 'warning' | 'error'
  done: string
}

/** The confirmation for an action, worded for whose account it is. */
export function describeAction(action: UserAction, user: PublicUser, self: boolean): ActionCopy {
  const who = user.email
  switch (action) {
    case 'approve':
      return {
        title: 'Approve this account?',
        lines: [`${who} will be able to sign in and use the manager.`],
        confirm: 'Approve',
        tone: 'primary',
        done: `${who} is approved.`,
      }
    case 'disable':
      return {
        title: 'Disable this account?',
        lines: [
          `${who} will be signed out at once and cannot sign in until an administrator enables the account again.`,
          ...(self ? ['This is your own account: you will be signed out.'] : []),
        ],
        confirm: 'Disable',
        tone: 'warning',
        done: `${who} is disabled.`,
      }
    case 'enable':
      return {
        title: 'Enable this account?',
        lines: [`${who} will be able to sign in again.`],
        confirm: 'Enable',
        tone: 'primary',
        done: `${who} is enabled.`,
      }
    case 'make-admin':
      return {
        title: 'Make this user an administrator?',
        lines: [`${who} will be able to approve, disable and delete accounts (yours too) and reset passwords.`],
        confirm: 'Make admin',
        tone: 'primary',
        done: `${who} is now an administrator.`,
      }
    case 'remove-admin':
      return {
        title: 'Remove administrator rights?',
        lines: [
          `${who} keeps the account but will no longer be able to manage users.`,
          ...(self ? ['This is your own account: you will lose access to this page.'] : []),
        ],
        confirm: 'Remove admin',
        tone: 'warning',
        done: `${who} is no longer an administrator.`,
      }
    case 'reset-password':
      return {
        title: 'Set a new password',
        lines: [
          `${who} will be signed out everywhere and must sign in with the new password.`,
          'The manager sends no email: tell them the new password yourself.',
        ],
        confirm: 'Set password',
        tone: 'primary',
        done: `The password of ${who} has been changed.`,
      }
    case 'delete':
      return user.status === 'pending'
        ? {
            title: 'Reject this request?',
            lines: [`The account ${who} asked for will be deleted. They can register again later.`],
            confirm: 'Reject and delete',
            tone: 'error',
            done: `The request from ${who} was rejected.`,
          }
        : {
            title: 'Delete this account?',
            lines: [
              `${who} will be signed out and the account removed. This cannot be undone.`,
              ...(self ? ['This is your own account: you will be signed out.'] : []),
            ],
            confirm: 'Delete',
            tone: 'error',
            done: `${who} was deleted.`,
          }
  }
}
