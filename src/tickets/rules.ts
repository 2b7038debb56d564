/**
 * Ticket rules, pure: the life cycle as one transition function (accept, dispatch and 改派,
 * handling, returns and extensions, 转办, 并单, close, follow-up and reopening). Who may act is in
 * access.ts, time limits in deadlines.ts, repeats and escalation in matters.ts, numbers in
 * numbers.ts; all are re-exported here. No I/O; time comes in as `now` (epoch ms).
 */
import type {
  NotifyReason, Actor, TicketAction, TicketDraft, TicketEffect, TicketEventDraft, Ticket, TicketCategory, TicketRejection, TicketStatus, TransitionResult
} from './model.ts'
import { HANDLING_STATUSES, OPEN_STATUSES } from './model.ts'
import { ACCEPTING_ROLES, checkRole } from './access.ts'
import { effectiveLimitHours } from './deadlines.ts'
import type { RepeatFlag } from './matters.ts'

export { ACCEPTING_ROLES, checkRole, rolesFor, unitMayRead } from './access.ts'
export { INBOX_SECTIONS, URGENCY_CAP_HOURS, deadlineFor, effectiveLimitHours, inboxSection, isOverdue, reminderDue, type InboxSection } from './deadlines.ts'
export {
  DEFAULT_ESCALATION, REPEAT_WINDOW_DAYS, escalationsFor, matterKey, repeatFlag,
  type EscalationCandidate, type EscalationFinding, type EscalationPolicy, type RepeatFlag
} from './matters.ts'
export { TICKET_NUMBER_PREFIX, centerDay, formatTicketNumber, isTicketNumber, parseTicketNumber } from './numbers.ts'

const HOUR_MS = 3_600_000

/** Re-dispatched this many times, a ticket enters key supervision (重点督办). */
export const KEY_SUPERVISION_REDISPATCHES = 3

export function isOpen(status: TicketStatus): boolean {
  return OPEN_STATUSES.includes(status)
}

/** Accepting (受理): the new ticket and its first audit entry. */
export function acceptTicket(
  draft: TicketDraft,
  ctx: { id: string; number: string; category: TicketCategory; actor: Actor; now: number; repeat: RepeatFlag }
): TransitionResult {
  const { actor, now, category } = ctx
  if (!ACCEPTING_ROLES.includes(actor.role)) return reject('FORBIDDEN', `role '${actor.role}' may not accept tickets`)
  if (draft.categoryCode !== category.code) return reject('INVALID', `body.categoryCode: '${draft.categoryCode}' does not match category '${category.code}'`)
  if (!category.active) return reject('INVALID', `body.categoryCode: category '${category.code}' is no longer in use`)
  const limitHours = effectiveLimitHours(category.limitHours, draft.urgency)
  const ticket: Ticket = {
    ...draft, contactAllowed: draft.contactAllowed ?? false, complaintUnitId: draft.complaintUnitId ?? null,
    id: ctx.id, number: ctx.number, status: 'accepted', limitHours, deadline: now + limitHours * HOUR_MS, resolvedOnCall: false,
    leadUnitId: null, coUnitIds: [], acceptedBy: actor.id, createdAt: now, dispatchedAt: null, signedForAt: null, repliedAt: null, reply: null,
    closedAt: null, version: 1, redispatchCount: 0, reopenCount: 0, keySupervision: false, repeatOf: ctx.repeat.of?.id ?? null,
    evaluationResult: null, evaluationDigits: null, evaluatedAt: null, evaluationMethod: null, evaluationProcess: null, evaluationSolved: null,
    evaluationRecordedBy: null, evaluationAttemptId: null, evaluationCallId: null, pendingRequest: null, subUnitId: null, subReply: null,
    coReplies: [], assignedUserId: null, backupUserId: null, mergedInto: null, remindedBeforeAt: null, remindedAfterAt: null, escalated: false
  }
  const detail: Record<string, unknown> = { number: ctx.number, categoryCode: category.code, urgency: draft.urgency, deadline: new Date(ticket.deadline).toISOString() }
  if (ctx.repeat.repeat) Object.assign(detail, { repeatOf: ctx.repeat.of?.number, repeatReason: ctx.repeat.reason })
  if (ticket.complaintUnitId) detail.complaintUnitId = ticket.complaintUnitId
  return { ok: true, ticket, events: [event(actor, now, 'accept', null, 'accepted', detail)], effects: [] }
}

/** While a unit holds the ticket and has not answered: where a unit's handling steps apply. */
const HANDLING = HANDLING_STATUSES

/** Longest extension a unit may ask for at once: a month. */
export const MAX_EXTENSION_HOURS = 720

/**
 * The one transition function: the next ticket (version + 1), its audit entries and the
 * effects to carry out, or a rejection. Role rules are checked before state rules, so a unit
 * poking at another unit's ticket learns nothing about its state.
 */
export function transitionTicket(ticket: Ticket, action: TicketAction, actor: Actor, now: number): TransitionResult {
  const denied = checkRole(ticket, action, actor)
  if (denied) return { ok: false, rejection: denied }
  const from = ticket.status
  const illegal = (why?: string) => reject('ILLEGAL_TRANSITION', `ticket ${ticket.number}: cannot ${action.type} while ${from}${why ? ` (${why})` : ''}`)
  const base: Ticket = { ...ticket, version: ticket.version + 1 }
  const ok = (next: Ticket, events: TicketEventDraft[], effects: TicketEffect[] = []): TransitionResult => ({ ok: true, ticket: next, events, effects })
  const holders = (t: Ticket) => [t.leadUnitId, ...t.coUnitIds, t.subUnitId].filter((u): u is string => u !== null)
  const notify = (unitIds: (string | null)[], reason: NotifyReason): TicketEffect[] => {
    const ids = [...new Set(unitIds.filter((u): u is string => u !== null))]
    return ids.length > 0 ? [{ kind: 'notify', unitIds: ids, reason }] : []
  }

  /** 派单 / 改派: shared by a plain dispatch and a return ruled to another unit. */
  const dispatchTo = (leadUnitId: string, co: string[], note: string | undefined, forceRedispatch: boolean): TransitionResult => {
    if (co.includes(leadUnitId)) return reject('INVALID', `body.coUnitIds: the lead unit '${leadUnitId}' cannot also be a co-unit`)
    if (new Set(co).size !== co.length) return reject('INVALID', 'body.coUnitIds: a co-unit is listed twice')
    // 改派: taking a ticket from a unit that returned it or has not answered it counts
    // toward key supervision; sending a reopened ticket back for re-handling does not.
    const redispatch = forceRedispatch || from === 'returned' || from === 'dispatched' || from === 'signed-for'
    const redispatchCount = ticket.redispatchCount + (redispatch ? 1 : 0)
    const keySupervision = ticket.keySupervision || redispatchCount >= KEY_SUPERVISION_REDISPATCHES
    const sameLead = ticket.leadUnitId === leadUnitId
    const next: Ticket = {
      ...base, status: 'dispatched', leadUnitId, coUnitIds: [...co], dispatchedAt: now, signedForAt: null, repliedAt: null, redispatchCount, keySupervision,
      pendingRequest: null, subUnitId: null, subReply: null, coReplies: [], remindedBeforeAt: null, remindedAfterAt: null,
      ...(sameLead ? {} : { assignedUserId: null, backupUserId: null })
    }
    const detail: Record<string, unknown> = { leadUnitId, coUnitIds: co, redispatch, redispatchCount }
    if (ticket.leadUnitId && redispatch) detail.previousLeadUnitId = ticket.leadUnitId
    if (note) detail.note = note
    if (keySupervision && !ticket.keySupervision) detail.keySupervision = true
    const dropped = holders(ticket).filter((u) => u !== leadUnitId && !co.includes(u))
    return ok(next, [event(actor, now, 'dispatch', from, 'dispatched', detail)], [...notify([leadUnitId, ...co], 'dispatched'), ...notify(dropped, 'withdrawn')])
  }

  switch (action.type) {
    case 'dispatch':
      if (!['accepted', 'returned', 'reopened', 'dispatched', 'signed-for'].includes(from)) return illegal()
      return dispatchTo(action.leadUnitId, action.coUnitIds, action.note, false)
    case 'sign-for':
      if (from !== 'dispatched') return illegal()
      return ok({ ...base, status: 'signed-for', signedForAt: now }, [event(actor, now, 'sign-for', from, 'signed-for', {
        ...unitDetail(actor), ...(ticket.dispatchedAt !== null ? { afterMs: now - ticket.dispatchedAt } : {})
      })])
    case 'reply': {
      if (actor.role === 'unit' && actor.unitId !== ticket.leadUnitId) {
        if (actor.unitId === ticket.subUnitId) {
          // 转办: the unit beneath answers upward; the lead unit reviews before it leaves.
          if (from !== 'signed-for') return illegal('the sub-unit replies while the lead unit handles it')
          return ok({ ...base, subReply: { unitId: actor.unitId!, content: action.content, at: now } },
            [event(actor, now, 'sub-reply', from, from, { ...unitDetail(actor), content: action.content })], notify([ticket.leadUnitId], 'changed'))
        }
        // A co-unit's part of the answer (协办意见) goes to the lead unit and the audit trail.
        if (!['dispatched', 'signed-for', 'replied'].includes(from)) return illegal('co-unit notes are taken while the ticket is being handled')
        const coReplies = ticket.coReplies.includes(actor.unitId!) ? ticket.coReplies : [...ticket.coReplies, actor.unitId!]
        return ok({ ...base, coReplies }, [event(actor, now, 'co-reply', from, from, { ...unitDetail(actor), content: action.content })], notify([ticket.leadUnitId], 'changed'))
      }
      if (from !== 'signed-for') return illegal(from === 'dispatched' ? 'sign for it first' : undefined)
      const waiting = coUnitsNotReplied(ticket)
      if (waiting.length > 0) return illegal(`waiting for the co-units' replies: ${waiting.join(', ')}`)
      return ok({ ...base, status: 'replied', repliedAt: now, reply: action.content, subReply: null, pendingRequest: null },
        [event(actor, now, 'reply', from, 'replied', { ...unitDetail(actor), content: action.content })])
    }
    case 'return':
      // 退单 is a request (派单异议): the unit keeps the ticket, and its deadline, until the center rules (首办负责).
      if (!HANDLING.includes(from)) return illegal()
      if (ticket.pendingRequest) return illegal(`a ${ticket.pendingRequest.kind} request is already waiting for the center`)
      return ok({ ...base, pendingRequest: { kind: 'return', unitId: ticket.leadUnitId!, reason: action.reason, at: now } },
        [event(actor, now, 'return', from, from, { ...unitDetail(actor), leadUnitId: ticket.leadUnitId, reason: action.reason, requested: true })])
    case 'rule-return': {
      if (ticket.pendingRequest?.kind !== 'return') return illegal('no return request is waiting')
      const requestedBy = ticket.pendingRequest.unitId
      if (action.decision === 'reject') {
        return ok({ ...base, pendingRequest: null }, [event(actor, now, 'rule-return', from, from, { decision: 'reject', ruling: action.ruling, unitId: requestedBy })],
          notify([requestedBy], 'ruled'))
      }
      if (action.leadUnitId === ticket.leadUnitId) return reject('INVALID', 'body.leadUnitId: a return granted goes to another unit')
      const d = dispatchTo(action.leadUnitId, action.coUnitIds, action.ruling, true)
      if (!d.ok) return d
      return { ...d, events: [event(actor, now, 'rule-return', from, 'dispatched', { decision: 'redispatch', ruling: action.ruling, unitId: requestedBy, leadUnitId: action.leadUnitId }), ...d.events] }
    }
    case 'request-extension':
      if (!HANDLING.includes(from)) return illegal()
      if (ticket.pendingRequest) return illegal(`a ${ticket.pendingRequest.kind} request is already waiting for the center`)
      if (!Number.isInteger(action.hours) || action.hours < 1 || action.hours > MAX_EXTENSION_HOURS) return reject('INVALID', `body.hours: between 1 and ${MAX_EXTENSION_HOURS}`)
      return ok({ ...base, pendingRequest: { kind: 'extension', unitId: ticket.leadUnitId!, reason: action.reason, hours: action.hours, at: now } },
        [event(actor, now, 'request-extension', from, from, { ...unitDetail(actor), reason: action.reason, hours: action.hours })])
    case 'rule-extension': {
      const pending = ticket.pendingRequest
      if (pending?.kind !== 'extension') return illegal('no extension request is waiting')
      const detail: Record<string, unknown> = { approve: action.approve, ruling: action.ruling, unitId: pending.unitId, hours: pending.hours }
      if (!action.approve) return ok({ ...base, pendingRequest: null }, [event(actor, now, 'rule-extension', from, from, detail)], notify([pending.unitId], 'ruled'))
      // The deadline moves only here, on the center's approval; reminders start over for it.
      const deadline = ticket.deadline + pending.hours * HOUR_MS
      Object.assign(detail, { previousDeadline: new Date(ticket.deadline).toISOString(), deadline: new Date(deadline).toISOString() })
      return ok({ ...base, pendingRequest: null, deadline, remindedBeforeAt: null, remindedAfterAt: null }, [event(actor, now, 'rule-extension', from, from, detail)], notify([pending.unitId], 'ruled'))
    }
    case 'transfer':
      if (from !== 'signed-for') return illegal(from === 'dispatched' ? 'sign for it first' : undefined)
      if (action.subUnitParentId !== ticket.leadUnitId) return reject('INVALID', `body.subUnitId: unit '${action.subUnitId}' is not beneath '${ticket.leadUnitId}'`)
      return ok({ ...base, subUnitId: action.subUnitId, subReply: null },
        [event(actor, now, 'transfer', from, from, { ...unitDetail(actor), subUnitId: action.subUnitId, ...(action.note ? { note: action.note } : {}) })],
        [...notify([action.subUnitId], 'transferred'), ...notify([ticket.subUnitId !== action.subUnitId ? ticket.subUnitId : null], 'withdrawn')])
    case 'review-sub-reply': {
      const sub = ticket.subReply
      if (!sub) return illegal('no reply from the unit beneath is waiting for review')
      const review = event(actor, now, 'review-sub-reply', from, from, { ...unitDetail(actor), approve: action.approve, subUnitId: sub.unitId, ...(action.note ? { note: action.note } : {}) })
      if (!action.approve) return ok({ ...base, subReply: null }, [review], notify([sub.unitId], 'reviewed'))
      if (from !== 'signed-for') return illegal()
      const waiting = coUnitsNotReplied(ticket)
      if (waiting.length > 0) return illegal(`waiting for the co-units' replies: ${waiting.join(', ')}`)
      return ok({ ...base, status: 'replied', repliedAt: now, reply: sub.content, subReply: null, pendingRequest: null },
        [{ ...review, toStatus: 'replied' }, event(actor, now, 'reply', from, 'replied', { ...unitDetail(actor), content: sub.content, subUnitId: sub.unitId })],
        notify([sub.unitId], 'reviewed'))
    }
    case 'progress':
      if (!HANDLING.includes(from)) return illegal()
      return ok(base, [event(actor, now, 'progress', from, from, { ...unitDetail(actor), note: action.note })])
    case 'assign':
      if (!HANDLING.includes(from)) return illegal()
      if (action.backupUserId === action.userId) return reject('INVALID', 'body.backupUserId: the backup (B角) is someone else')
      return ok({ ...base, assignedUserId: action.userId, backupUserId: action.backupUserId },
        [event(actor, now, 'assign', from, from, { ...unitDetail(actor), userId: action.userId, backupUserId: action.backupUserId })], notify([ticket.leadUnitId], 'changed'))
    case 'merge':
      // 并单: only a request not yet sent anywhere joins another; the other is handled once for all.
      if (from !== 'accepted') return illegal('only a newly accepted request is merged into another')
      if (action.intoTicketId === ticket.id) return reject('INVALID', 'body.intoTicket: a ticket is not merged into itself')
      return ok({ ...base, status: 'merged', mergedInto: action.intoTicketId },
        [event(actor, now, 'merge', from, 'merged', { intoTicketId: action.intoTicketId, intoNumber: action.intoNumber, ...(action.note ? { note: action.note } : {}) })])
    case 'close': {
      if (action.resolvedOnCall === true) {
        // 即办 only at acceptance: a ticket cannot be declared resolved on call afterwards.
        if (from !== 'accepted' || ticket.version !== 1) return illegal('only a ticket being accepted can be resolved on call')
      } else if (from !== 'replied') {
        return illegal(from === 'accepted' ? 'dispatch it, or accept it as resolved on call' : 'the unit has not replied')
      }
      const next: Ticket = { ...base, status: 'closed', closedAt: now, resolvedOnCall: action.resolvedOnCall === true || ticket.resolvedOnCall }
      const detail: Record<string, unknown> = { resolvedOnCall: action.resolvedOnCall === true }
      if (action.note) detail.note = action.note
      // The follow-up covers every citizen whose request was merged into this one (并单).
      return ok(next, [event(actor, now, 'close', from, 'closed', detail)], [{ kind: 'schedule-follow-up', dueAt: now }])
    }
    case 'reopen':
      if (from !== 'closed' && from !== 'replied') return illegal()
      return ok(reopened(base, now), [event(actor, now, 'reopen', from, 'reopened', { reason: action.reason })],
        from === 'closed' ? [{ kind: 'cancel-follow-up' }] : [])
    case 'supervise':
      if (!isOpen(from)) return illegal('a closed ticket is reopened, not supervised')
      return ok(base, [event(actor, now, 'supervise', from, from, { note: action.note, ...(action.method ? { method: action.method } : {}) })])
    case 'remind': {
      // 催办: to the unit holding it, before the deadline or after it; recorded either way.
      if (!HANDLING.includes(from)) return illegal('only a ticket a unit is handling is reminded')
      const next: Ticket = action.when === 'before-deadline' ? { ...base, remindedBeforeAt: now } : { ...base, remindedAfterAt: now }
      return ok(next, [event(actor, now, 'remind', from, from, { when: action.when, leadUnitId: ticket.leadUnitId, deadline: new Date(ticket.deadline).toISOString(), ...(action.note ? { note: action.note } : {}) })],
        notify([ticket.leadUnitId, ticket.subUnitId], 'reminded'))
    }
    case 'escalate':
      if (!isOpen(from)) return illegal('a closed ticket is not escalated')
      if (ticket.escalated) return illegal('already under escalated supervision')
      return ok({ ...base, escalated: true }, [event(actor, now, 'escalate', from, from, { reason: action.reason, ...(action.escalationId !== undefined ? { escalationId: action.escalationId } : {}) })],
        notify(holders(ticket), 'escalated'))
    case 'evaluate': {
      if (from !== 'closed') return illegal()
      if (ticket.evaluatedAt !== null && ticket.closedAt !== null && ticket.evaluatedAt >= ticket.closedAt) return illegal('already evaluated since it was closed')
      // The citizen's key presses are the dialer's to record, on the attempt they were made on;
      // what a person records is marked as theirs and tied to the follow-up call they are on.
      if (actor.role === 'system') {
        if (action.method === 'phone-dtmf' && !action.attemptId) return reject('INVALID', 'a key-pressed evaluation names the follow-up attempt it was keyed on')
      } else {
        if (action.method !== 'agent-call') return reject('FORBIDDEN', `only the follow-up dialer records a '${action.method}' evaluation; an agent records 'agent-call'`)
        if (!action.callId) return reject('INVALID', "body.callId: an agent records the citizen's answers on the follow-up call with them")
      }
      const evaluated: Ticket = {
        ...base, evaluationResult: action.result, evaluationDigits: action.digits, evaluatedAt: now, evaluationMethod: action.method,
        evaluationProcess: action.process ?? null, evaluationSolved: action.solved ?? null, evaluationRecordedBy: actor.id,
        evaluationAttemptId: action.attemptId ?? null, evaluationCallId: action.callId ?? null
      }
      const events = [event(actor, now, 'evaluate', from, 'closed', {
        result: action.result, digits: action.digits, method: action.method, recordedBy: actor.id, recordedByRole: actor.role,
        ...(action.process ? { process: action.process } : {}), ...(action.solved !== undefined ? { solved: action.solved } : {}),
        ...(action.attemptId ? { attemptId: action.attemptId } : {}), ...(action.callId ? { callId: action.callId } : {})
      })]
      const why = reopenReason(evaluated)
      if (!why) return ok(evaluated, events, [{ kind: 'complete-follow-up' }])
      // 不满意 / 未解决 → 退回重办: the caller's answer reopens the ticket for another round of handling.
      events.push(event(actor, now, 'reopen', 'closed', 'reopened', { reason: why, evaluation: action.result, ...(action.process ? { process: action.process } : {}), ...(action.solved !== undefined ? { solved: action.solved } : {}) }))
      return ok(reopened(evaluated, now), events, [{ kind: 'complete-follow-up' }])
    }
    default: {
      const never: never = action
      return reject('INVALID', `unknown ticket action ${JSON.stringify(never)}`)
    }
  }
}

/** Why the citizen's answers send the ticket back, or null when they do not. */
export function reopenReason(t: Pick<Ticket, 'evaluationResult' | 'evaluationProcess' | 'evaluationSolved'>): string | null {
  if (t.evaluationResult === 'unsatisfied') return 'caller unsatisfied'
  if (t.evaluationSolved === false) return 'caller says not solved'
  if (t.evaluationProcess === 'unsatisfied') return 'caller unsatisfied with the handling'
  return null
}

/** Co-units whose reply the lead unit still waits for before it may reply. */
export function coUnitsNotReplied(t: Pick<Ticket, 'coUnitIds' | 'coReplies'>): string[] {
  return t.coUnitIds.filter((u) => !t.coReplies.includes(u))
}

/** Back to the center for another round: a fresh handling limit, the old reply set aside. */
function reopened(t: Ticket, now: number): Ticket {
  return {
    ...t, status: 'reopened', closedAt: null, signedForAt: null, repliedAt: null, reopenCount: t.reopenCount + 1, deadline: now + t.limitHours * HOUR_MS,
    coReplies: [], subReply: null, pendingRequest: null, remindedBeforeAt: null, remindedAfterAt: null
  }
}

function unitDetail(actor: Actor): Record<string, unknown> {
  return actor.unitId ? { unitId: actor.unitId } : {}
}

function event(actor: Actor, at: number, action: TicketEventDraft['action'], fromStatus: TicketStatus | null, toStatus: TicketStatus, detail: Record<string, unknown>): TicketEventDraft {
  return { at, actorId: actor.id, actorRole: actor.role, action, fromStatus, toStatus, detail }
}

function reject(code: TicketRejection['code'], message: string): TransitionResult {
  return { ok: false, rejection: { code, message } }
}
