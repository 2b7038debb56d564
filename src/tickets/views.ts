/** A ticket as each reader sees it: the full view (caller hidden from units unless allowed) and the inbox card. */
import type { Actor, Ticket } from './model.ts'
import { coUnitsNotReplied, isOverdue } from './rules.ts'

/**
 * A ticket as `viewer` may see it. Units see the caller's number and name only when the caller
 * allowed contact (GB/T 33358 confidentiality); the center always sees them.
 */
export function presentTicket(t: Ticket, now: number, viewer?: Pick<Actor, 'role'>) {
  const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString())
  const hidden = viewer?.role === 'unit' && !t.contactAllowed
  return {
    ...t, deadline: new Date(t.deadline).toISOString(), createdAt: new Date(t.createdAt).toISOString(), dispatchedAt: iso(t.dispatchedAt),
    signedForAt: iso(t.signedForAt), repliedAt: iso(t.repliedAt), closedAt: iso(t.closedAt), evaluatedAt: iso(t.evaluatedAt),
    remindedBeforeAt: iso(t.remindedBeforeAt), remindedAfterAt: iso(t.remindedAfterAt),
    pendingRequest: t.pendingRequest ? { ...t.pendingRequest, at: new Date(t.pendingRequest.at).toISOString() } : null,
    subReply: t.subReply ? { ...t.subReply, at: new Date(t.subReply.at).toISOString() } : null,
    waitingForCoUnits: coUnitsNotReplied(t),
    overdue: isOverdue(t, now), open: t.status !== 'closed',
    callerHidden: hidden, ...(hidden ? { callerNumber: null, callerName: null } : {})
  }
}

/** A ticket as an inbox card shows it: no caller, no reply, the content cut short. */
export function inboxItem(t: Ticket) {
  return {
    id: t.id, number: t.number, status: t.status, version: t.version, categoryCode: t.categoryCode, content: t.content.slice(0, 60), urgency: t.urgency,
    deadline: new Date(t.deadline).toISOString(), leadUnitId: t.leadUnitId, escalated: t.escalated, keySupervision: t.keySupervision, reopenCount: t.reopenCount,
    pendingRequest: t.pendingRequest?.kind ?? null, subReplyWaiting: t.subReply !== null, waitingForCoUnits: coUnitsNotReplied(t)
  }
}
