import { createHash, randomInt, timingSafeEqual } from 'node:crypto'
import { isLoopback } from '../../config'

/** No 0/O, 1/I/L: the code is read off a terminal and typed on another machine. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
const GROUPS = 3
const GROUP_LENGTH = 4

/** Dashes, spaces and case do not matter when the code is typed. */
const normalize = (code: string) => code.replace(/[\s-]/g, '').toUpperCase()
const digest = (code: string) => createHash('sha256').update(normalize(code)).digest()

/**
 * The one-time code that lets the first account be made from another machine. It lives only in
 * memory (a restart makes a new one) and is printed in the manager's output, which only someone
 * at the machine can read; without it, whoever reaches the port first would become admin.
 */
export class SetupCode {
  private code: string | null

  constructor(code?: string) {
    this.code = code ?? Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET.charAt(randomInt(ALPHABET.length))).join('')).join('-')
  }

  /** The code while it is still unused. */
  get value(): string | null {
    return this.code
  }

  /** Compares digests, so the time taken says nothing about how much of the code was right. */
  matches(candidate: string): boolean {
    if (this.code === null) return false
    return timingSafeEqual(digest(candidate), digest(this.code))
  }

  consume(): void {
    this.code = null
  }
}

/** A client on this machine: a loopback address, or an in-process request (`local`), which no network can send. */
export function isLoopbackClient(address: string): boolean {
  return address === 'local' || isLoopback(address.replace(/^::ffff:/i, ''))
}
