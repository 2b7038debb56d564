/** Ticket numbers (12345-YYYYMMDD-NNNNNN) and the center's calendar day they are counted in, pure. */
import { localDay } from '../domain/local-time.ts'

export const TICKET_NUMBER_PREFIX = '12345'
const TICKET_NUMBER = /^([0-9]{3,8})-([0-9]{8})-([0-9]{6,})$/

/** The center's calendar day (YYYYMMDD) at `now`: ticket numbers restart at local midnight. */
export function centerDay(now: number, timeZone: string): string {
  return localDay(now, timeZone).replaceAll('-', '')
}

/** 12345-20261126-000123; the sequence widens past six digits rather than wrap. */
export function formatTicketNumber(day: string, sequence: number, prefix = TICKET_NUMBER_PREFIX): string {
  if (!/^[0-9]{8}$/.test(day)) throw new RangeError(`ticket day must be YYYYMMDD, got '${day}'`)
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError(`ticket sequence must be a positive integer, got ${sequence}`)
  return `${prefix}-${day}-${String(sequence).padStart(6, '0')}`
}

export function isTicketNumber(text: string): boolean {
  return TICKET_NUMBER.test(text)
}

export function parseTicketNumber(text: string): { prefix: string; day: string; sequence: number } | null {
  const m = TICKET_NUMBER.exec(text)
  return m ? { prefix: m[1]!, day: m[2]!, sequence: Number(m[3]) } : null
}
