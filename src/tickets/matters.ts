/**
 * The same matter raised again, pure: repeat callers (复重: the same caller, open or same
 * category within the window) and escalation (升级督办: many citizens on one matter, many
 * complaints against one unit).
 */
import { OPEN_STATUSES, type TicketSummary } from './model.ts'

const DAY_MS = 24 * 3_600_000

/** Default window in which a caller's earlier ticket in the same category makes a repeat (复重). */
export const REPEAT_WINDOW_DAYS = 30

export interface RepeatFlag {
  repeat: boolean
  /** The newest earlier ticket that makes this a repeat. */
  of: TicketSummary | null
  reason: 'open-ticket' | 'same-category' | null
}

/**
 * A caller who calls again while an earlier ticket is still open, or about the same category
 * within the window, is a repeat caller: a sign the matter was not solved.
 */
export function repeatFlag(
  earlier: readonly TicketSummary[],
  current: { callerNumber: string; categoryCode: string; now: number },
  windowDays = REPEAT_WINDOW_DAYS
): RepeatFlag {
  const since = current.now - windowDays * DAY_MS
  const mine = earlier.filter((t) => t.callerNumber === current.callerNumber && t.createdAt <= current.now)
    .sort((a, b) => b.createdAt - a.createdAt)
  const open = mine.find((t) => OPEN_STATUSES.includes(t.status))
  if (open) return { repeat: true, of: open, reason: 'open-ticket' }
  const same = mine.find((t) => t.categoryCode === current.categoryCode && t.createdAt >= since)
  if (same) return { repeat: true, of: same, reason: 'same-category' }
  return { repeat: false, of: null, reason: null }
}

/** The matter (同一事项) a request is about, for counting citizens: category and place. */
export function matterKey(categoryCode: string, address: string | null): string | null {
  const place = (address ?? '').normalize('NFKC').replace(/\s+/g, '').toLowerCase()
  return place === '' ? null : `${categoryCode}|${place}`
}

export interface EscalationPolicy { windowDays: number; citizens: number; complaints: number }
export const DEFAULT_ESCALATION: EscalationPolicy = { windowDays: 30, citizens: 10, complaints: 10 }

export interface EscalationCandidate { id: string; callerNumber: string; categoryCode: string; address: string | null; complaintUnitId: string | null; createdAt: number }
export type EscalationFinding =
  | { kind: 'matter'; key: string; citizens: number; ticketIds: string[] }
  | { kind: 'unit-complaints'; key: string; unitId: string; complaints: number; ticketIds: string[] }

/**
 * 升级督办: whether `current`, with the requests before it in the window, makes a matter raised
 * by `citizens` or more distinct callers (same category and place), or `complaints` or more
 * complaints against one unit. Returns what crossed the line (possibly both).
 */
export function escalationsFor(recent: readonly EscalationCandidate[], current: EscalationCandidate, policy: EscalationPolicy = DEFAULT_ESCALATION): EscalationFinding[] {
  const since = current.createdAt - policy.windowDays * DAY_MS
  const inWindow = [...recent.filter((r) => r.id !== current.id && r.createdAt >= since && r.createdAt <= current.createdAt), current]
  const out: EscalationFinding[] = []
  const key = matterKey(current.categoryCode, current.address)
  if (key) {
    const same = inWindow.filter((r) => matterKey(r.categoryCode, r.address) === key)
    const citizens = new Set(same.map((r) => r.callerNumber)).size
    if (citizens >= policy.citizens) out.push({ kind: 'matter', key, citizens, ticketIds: same.map((r) => r.id) })
  }
  if (current.complaintUnitId) {
    const against = inWindow.filter((r) => r.complaintUnitId === current.complaintUnitId)
    if (against.length >= policy.complaints) out.push({ kind: 'unit-complaints', key: `unit|${current.complaintUnitId}`, unitId: current.complaintUnitId, complaints: against.length, ticketIds: against.map((r) => r.id) })
  }
  return out
}
