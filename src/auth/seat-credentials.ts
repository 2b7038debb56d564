/**
 * A seat's SIP password is derived, not stored: HMAC-SHA256(seat secret, seat id), first 24 hex
 * characters. The PBX configuration renderer (scripts/render-pbx-config.mjs) uses the same rule,
 * so the server can hand a signed-in agent's browser the password of exactly its own seat.
 */
import { createHmac } from 'node:crypto'

export function seatPassword(seatSecret: string, seat: string): string {
  return createHmac('sha256', seatSecret).update(seat).digest('hex').slice(0, 24)
}
