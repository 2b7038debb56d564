/** Pure rules of the agent panel's seat list: which seats a browser panel may offer an agent. */
import type { SeatView } from '../seats/model.ts'
import { decideSignIn } from '../seats/rules.ts'

export interface OfferedSeat {
  seat: string
  /** Nobody is signed in to it now (or the asking agent is: then it is theirs to take back). */
  free: boolean
  /** Assigned to this agent personally, or to the workstation the panel runs on. */
  via: 'agent' | 'workstation'
}

/**
 * Only WebRTC seats (a desk seat's phone is on the desk, not in this browser) that this agent may
 * sign in to (the same decision as the sign-in itself), each marked free or taken by another
 * agent's sign-in. In seat order.
 */
export function offeredSeats(seats: SeatView[], signedIn: { agentId: string; seat: string | null }[], agentId: string, address: string): OfferedSeat[] {
  const takenBy = new Map(signedIn.filter((a) => a.seat).map((a) => [a.seat!, a.agentId]))
  return seats
    .filter((s) => s.kind === 'web')
    .filter((s) => decideSignIn({ kind: s.kind, assignment: s.agentId || s.workstation ? { seat: s.seat, agentId: s.agentId, workstation: s.workstation, updatedBy: '', updatedAt: new Date(0) } : null, agentId, address }).ok)
    .map((s) => ({ seat: s.seat, free: !takenBy.has(s.seat) || takenBy.get(s.seat) === agentId, via: s.agentId ? 'agent' : 'workstation' }))
}
