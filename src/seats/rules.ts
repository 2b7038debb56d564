/** Pure rules of seat access: which seats exist and who may sign in to which. */
import type { SeatAssignment, SeatKind, SeatRefusal } from './model.ts'

/**
 * The PBX's seats by kind, from the same lists the configuration renderer reads
 * ("1001-1040,1050"; ranges keep the width of their first id).
 */
export function seatKinds(deskList: string, webList: string): (seat: string) => SeatKind | null {
  const desk = idMatcher(deskList)
  const web = idMatcher(webList)
  return (seat) => (web(seat) ? 'web' : desk(seat) ? 'desk' : null)
}

function idMatcher(list: string): (id: string) => boolean {
  const exact = new Set<string>()
  const ranges: { from: number; to: number; width: number }[] = []
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)$/.exec(part)
    if (m) ranges.push({ from: Number(m[1]), to: Number(m[2]), width: m[1]!.length })
    else exact.add(part)
  }
  return (id) => exact.has(id) || (/^\d+$/.test(id) && ranges.some((r) => Number(id) >= r.from && Number(id) <= r.to && String(Number(id)).padStart(r.width, '0') === id))
}

/** "::ffff:10.0.0.7" (an IPv4 client on a dual-stack socket) and "10.0.0.7" are one workstation. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase()
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

/**
 * May `agentId` sign in to `seat`? Only to a seat of the PBX that an administrator assigned to
 * this agent, or to a workstation's seat when the sign-in comes from that workstation's address.
 * `address` is null when the agent is not the one asking (a supervisor signing an agent in):
 * then only a personal assignment counts.
 */
export function decideSignIn(input: { kind: SeatKind | null; assignment: SeatAssignment | null; agentId: string; address: string | null }): { ok: true; kind: SeatKind } | { ok: false; reason: SeatRefusal } {
  const { kind, assignment, agentId, address } = input
  if (!kind) return { ok: false, reason: 'not-a-seat' }
  if (!assignment || (assignment.agentId === null && assignment.workstation === null)) return { ok: false, reason: 'unassigned' }
  if (assignment.agentId !== null) return assignment.agentId === agentId ? { ok: true, kind } : { ok: false, reason: 'assigned-to-another' }
  if (address !== null && normalizeAddress(address) === normalizeAddress(assignment.workstation!)) return { ok: true, kind }
  return { ok: false, reason: 'other-workstation' }
}

/** Every seat id of a list, in order ("1001-1003,2001" → 1001, 1002, 1003, 2001). */
export function seatIds(list: string): string[] {
  const ids: string[] = []
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)$/.exec(part)
    if (!m) { ids.push(part); continue }
    for (let n = Number(m[1]); n <= Number(m[2]); n++) ids.push(String(n).padStart(m[1]!.length, '0'))
  }
  return ids
}
