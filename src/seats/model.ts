/**
 * Seats (座席): the PBX endpoints agents sign in to. A desk seat is a SIP desk phone whose
 * password an administrator provisions into the phone; a web seat is the browser softphone of the
 * agent panel, whose SIP password exists only for the length of one sign-in.
 */

export type SeatKind = 'desk' | 'web'

/** Who may sign in to a seat: one agent, or whoever signs in from one workstation (an address). */
export interface SeatAssignment {
  seat: string
  agentId: string | null
  workstation: string | null
  updatedBy: string
  updatedAt: Date
}

export interface SeatView {
  seat: string
  kind: SeatKind
  agentId: string | null
  workstation: string | null
  updatedBy: string | null
  updatedAt: string | null
}

/** Why a sign-in to a seat is refused. */
export type SeatRefusal =
  | 'not-a-seat'           // not one of the PBX's seats (the trunk, any other endpoint, a typo)
  | 'unassigned'           // a seat, but no administrator gave it to anyone
  | 'assigned-to-another'  // another agent's (or a supervisor's) seat
  | 'other-workstation'    // a workstation's seat, and the agent is not at that workstation
