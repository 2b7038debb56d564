/**
 * Password hashing with scrypt (node:crypto): salted, memory-hard, constant-time compare.
 *
 * scrypt runs on libuv's small thread pool (4 threads), which file reads and DNS look-ups share:
 * a burst of logins would take every thread and stall the rest of the server. At most
 * `concurrency` hashes run at once; the rest wait their turn, and past `maxWaiting` a login is
 * refused at once (503) instead of queueing without end.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import createError from '@fastify/error'

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>

export const HashingBusy = createError('HOTLINE_AUTH_BUSY', 'too many logins at once; try again in a moment', 503)

const slots = { concurrency: 2, maxWaiting: 200, inFlight: 0, peak: 0 }
const waiting: (() => void)[] = []

/** Sets the bound (from HOTLINE_PASSWORD_HASH_CONCURRENCY); one per process. */
export function limitHashing(concurrency: number, maxWaiting = 200): void {
  slots.concurrency = Math.max(1, concurrency)
  slots.maxWaiting = maxWaiting
}

/** How many hashes run now and the most that ever ran at once (for tests and metrics). */
export function hashingStats(): { inFlight: number; peak: number; waiting: number } {
  return { inFlight: slots.inFlight, peak: slots.peak, waiting: waiting.length }
}

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (slots.inFlight < slots.concurrency) {
    slots.inFlight++
    slots.peak = Math.max(slots.peak, slots.inFlight)
  } else {
    if (waiting.length >= slots.maxWaiting) throw new HashingBusy()
    // The slot is handed over by the one that frees it: inFlight stays counted meanwhile.
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  try {
    return await work()
  } finally {
    const next = waiting.shift()
    if (next) next()
    else slots.inFlight--
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await withSlot(() => scryptAsync(password, salt, 32))
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  const actual = await withSlot(() => scryptAsync(password, Buffer.from(salt, 'base64'), expected.length))
  return timingSafeEqual(actual, expected)
}
