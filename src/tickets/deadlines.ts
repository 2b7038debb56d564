/**
 * A ticket's time limits, pure: the deadline a category and urgency give, overdue (逾期), the
 * reminders (催办) due before and after it, and where the deadline puts a ticket in a unit's inbox.
 */
import { HANDLING_STATUSES, type Ticket, type TicketCategory, type Urgency } from './model.ts'
import { unitMayRead } from './access.ts'

const HOUR_MS = 3_600_000

/**
 * Urgency shortens the category's limit, never lengthens it: an urgent matter is due within a
 * day, a very urgent one within two hours, whatever its category allows.
 */
export const URGENCY_CAP_HOURS: Readonly<Record<Urgency, number | null>> = { normal: null, urgent: 24, 'very-urgent': 2 }

export function effectiveLimitHours(categoryLimitHours: number, urgency: Urgency): number {
  const cap = URGENCY_CAP_HOURS[urgency]
  return cap === null ? categoryLimitHours : Math.min(categoryLimitHours, cap)
}

/** When the unit's reply is due: acceptance plus the category's limit, shortened by urgency. */
export function deadlineFor(category: Pick<TicketCategory, 'limitHours'>, urgency: Urgency, acceptedAt: number): number {
  return acceptedAt + effectiveLimitHours(category.limitHours, urgency) * HOUR_MS
}

/**
 * Overdue (逾期) is about the answer, not the paperwork: a ticket still waiting for its reply is
 * overdue once the deadline passes; a replied or closed one is overdue if its answer came late.
 */
export function isOverdue(ticket: Pick<Ticket, 'status' | 'deadline' | 'repliedAt' | 'closedAt'>, now: number): boolean {
  if (ticket.status === 'replied' || ticket.status === 'closed') {
    const answeredAt = ticket.repliedAt ?? ticket.closedAt ?? now
    return answeredAt > ticket.deadline
  }
  return now > ticket.deadline
}

/** Which reminder (催办) is due for a ticket a unit holds, if any: once before the deadline, once after. */
export function reminderDue(t: Pick<Ticket, 'status' | 'deadline' | 'remindedBeforeAt' | 'remindedAfterAt'>, now: number, beforeMs: number): 'before-deadline' | 'after-deadline' | null {
  if (!HANDLING_STATUSES.includes(t.status)) return null
  if (now > t.deadline) return t.remindedAfterAt === null ? 'after-deadline' : null
  if (now >= t.deadline - beforeMs) return t.remindedBeforeAt === null ? 'before-deadline' : null
  return null
}

/** Due soon (临期): within this share of the limit before the deadline, for the units' inbox. */
export const INBOX_SECTIONS = ['new', 'signed-for', 'due-soon', 'overdue', 'returned', 'pending-request', 'co-handling', 'review'] as const
export type InboxSection = (typeof INBOX_SECTIONS)[number]

/**
 * Where a ticket sits in a unit's inbox. Overdue and due-soon come first (they are what the
 * unit must act on); 'returned' is a ticket back for re-handling (退回重办) or a return refused.
 * The inbox itself sorts in SQL (TicketStore.inboxPage): a change here must be made there too.
 */
export function inboxSection(t: Ticket, unitId: string, now: number, dueSoonMs: number): InboxSection | null {
  if (!unitMayRead(t, unitId) || !HANDLING_STATUSES.includes(t.status)) return null
  if (t.leadUnitId !== unitId) return t.subUnitId === unitId ? (now > t.deadline ? 'overdue' : 'co-handling') : 'co-handling'
  if (now > t.deadline) return 'overdue'
  if (t.subReply) return 'review'
  if (t.pendingRequest) return 'pending-request'
  if (now >= t.deadline - dueSoonMs) return 'due-soon'
  if (t.reopenCount > 0) return 'returned'
  return t.status === 'dispatched' ? 'new' : 'signed-for'
}
