/**
 * Ticket rules, pure: the life cycle as one transition function, who may do what, deadlines,
 * overdue, repeat callers and ticket numbers. No I/O; time comes in as `now` (epoch ms).
 */
import type {
  Actor, TicketAction, TicketActionType, TicketCategory, TicketDraft, TicketEffect, TicketEventDraft, Ticket,
  TicketRejection, TicketStatus, TicketSummary, TransitionResult, Urgency
} from './model.ts'
import { OPEN_STATUSES } from './model.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** Re-dispatched this many times, a ticket enters key supervision (重点督办). */
export const KEY_SUPERVISION_REDISPATCHES = 3

/**
 * Urgency shortens the category's limit, never lengthens it: an urgent matter is due within a
 * day, a very urgent one within two hours, whatever its category allows.
 */
export const URGENCY_CAP_HOURS: Readonly<Record<Urgency, number | null>> = { normal: null, urgent: 24, 'very-urgent': 2 }

/** Default window in which a caller's earlier ticket in the same category makes a repeat (复重). */
export const REPEAT_WINDOW_DAYS = 30

export const TICKET_NUMBER_PREFIX = '12345'
const TICKET_NUMBER = /^([0-9]{3,8})-([0-9]{8})-([0-9]{6,})$/

/** Which roles may take each action at all; units are further limited to their own tickets. */
const ALLOWED_ROLES: Readonly<Record<TicketActionType, readonly Actor['role'][]>> = {
  dispatch: ['agent', 'supervisor', 'admin'],
  'sign-for': ['unit', 'supervisor', 'admin'],
  reply: ['unit', 'supervisor', 'admin'],
  return: ['unit', 'supervisor', 'admin'],
  close: ['agent', 'supervisor', 'admin'],
  reopen: ['supervisor', 'admin'],
  supervise: ['supervisor', 'admin'],
  // Follow-up is made by agents calling back, or by the dialer with the caller's key press.
  evaluate: ['agent', 'supervisor', 'admin', 'system']
}
const ACCEPTING_ROLES: readonly Actor['role'][] = ['agent', 'supervisor', 'admin']

/** The roles that may take `action` at all (the HTTP layer's first check). */
export function rolesFor(action: TicketActionType): readonly Actor['role'][] {
  return ALLOWED_ROLES[action]
}

export function isOpen(status: TicketStatus): boolean {
  return OPEN_STATUSES.includes(status)
}

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
  const open = mine.find((t) => isOpen(t.status))
  if (open) return { repeat: true, of: open, reason: 'open-ticket' }
  const same = mine.find((t) => t.categoryCode === current.categoryCode && t.createdAt >= since)
  if (same) return { repeat: true, of: same, reason: 'same-category' }
  return { repeat: false, of: null, reason: null }
}

/** The center's calendar day (YYYYMMDD) at `now`: ticket numbers restart at local midnight. */
export function centerDay(now: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(now))
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}${get('month')}${get('day')}`
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
    ...draft, id: ctx.id, number: ctx.number, status: 'accepted', limitHours, deadline: now + limitHours * HOUR_MS, resolvedOnCall: false,
    leadUnitId: null, coUnitIds: [], acceptedBy: actor.id, createdAt: now, dispatchedAt: null, signedForAt: null, repliedAt: null, reply: null,
    closedAt: null, version: 1, redispatchCount: 0, reopenCount: 0, keySupervision: false, repeatOf: ctx.repeat.of?.id ?? null,
    evaluationResult: null, evaluationDigits: null, evaluatedAt: null, evaluationMethod: null
  }
  const detail: Record<string, unknown> = { number: ctx.number, categoryCode: category.code, urgency: draft.urgency, deadline: new Date(ticket.deadline).toISOString() }
  if (ctx.repeat.repeat) Object.assign(detail, { repeatOf: ctx.repeat.of?.number, repeatReason: ctx.repeat.reason })
  return { ok: true, ticket, events: [event(actor, now, 'accept', null, 'accepted', detail)], effects: [] }
}

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

  switch (action.type) {
    case 'dispatch': {
      if (!['accepted', 'returned', 'reopened', 'dispatched', 'signed-for'].includes(from)) return illegal()
      const co = action.coUnitIds
      if (co.includes(action.leadUnitId)) return reject('INVALID', `body.coUnitIds: the lead unit '${action.leadUnitId}' cannot also be a co-unit`)
      if (new Set(co).size !== co.length) return reject('INVALID', 'body.coUnitIds: a co-unit is listed twice')
      // 改派: taking a ticket from a unit that returned it or has not answered it counts
      // toward key supervision; sending a reopened ticket back for re-handling does not.
      const redispatch = from === 'returned' || from === 'dispatched' || from === 'signed-for'
      const redispatchCount = ticket.redispatchCount + (redispatch ? 1 : 0)
      const keySupervision = ticket.keySupervision || redispatchCount >= KEY_SUPERVISION_REDISPATCHES
      const next: Ticket = { ...base, status: 'dispatched', leadUnitId: action.leadUnitId, coUnitIds: [...co], dispatchedAt: now, signedForAt: null, repliedAt: null, redispatchCount, keySupervision }
      const detail: Record<string, unknown> = { leadUnitId: action.leadUnitId, coUnitIds: co, redispatch, redispatchCount }
      if (ticket.leadUnitId && redispatch) detail.previousLeadUnitId = ticket.leadUnitId
      if (action.note) detail.note = action.note
      if (keySupervision && !ticket.keySupervision) detail.keySupervision = true
      return ok(next, [event(actor, now, 'dispatch', from, 'dispatched', detail)])
    }
    case 'sign-for':
      if (from !== 'dispatched') return illegal()
      return ok({ ...base, status: 'signed-for', signedForAt: now }, [event(actor, now, 'sign-for', from, 'signed-for', unitDetail(actor))])
    case 'reply': {
      if (actor.role === 'unit' && actor.unitId !== ticket.leadUnitId) {
        // A co-unit's part of the answer (协办意见) goes to the lead unit and the audit trail.
        if (!['dispatched', 'signed-for', 'replied'].includes(from)) return illegal('co-unit notes are taken while the ticket is being handled')
        return ok(base, [event(actor, now, 'co-reply', from, from, { ...unitDetail(actor), content: action.content })])
      }
      if (from !== 'signed-for') return illegal(from === 'dispatched' ? 'sign for it first' : undefined)
      return ok({ ...base, status: 'replied', repliedAt: now, reply: action.content }, [event(actor, now, 'reply', from, 'replied', { ...unitDetail(actor), content: action.content })])
    }
    case 'return':
      if (from !== 'dispatched' && from !== 'signed-for') return illegal()
      // Back with the center: the unit no longer holds it, the trail says who returned it.
      return ok({ ...base, status: 'returned', leadUnitId: null, coUnitIds: [], signedForAt: null },
        [event(actor, now, 'return', from, 'returned', { ...unitDetail(actor), leadUnitId: ticket.leadUnitId, reason: action.reason })])
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
      return ok(next, [event(actor, now, 'close', from, 'closed', detail)], [{ kind: 'schedule-follow-up', dueAt: now }])
    }
    case 'reopen':
      if (from !== 'closed' && from !== 'replied') return illegal()
      return ok(reopened(base, now), [event(actor, now, 'reopen', from, 'reopened', { reason: action.reason })],
        from === 'closed' ? [{ kind: 'cancel-follow-up' }] : [])
    case 'supervise':
      if (!isOpen(from)) return illegal('a closed ticket is reopened, not supervised')
      return ok(base, [event(actor, now, 'supervise', from, from, { note: action.note, ...(action.method ? { method: action.method } : {}) })])
    case 'evaluate': {
      if (from !== 'closed') return illegal()
      if (ticket.evaluatedAt !== null && ticket.closedAt !== null && ticket.evaluatedAt >= ticket.closedAt) return illegal('already evaluated since it was closed')
      const evaluated: Ticket = { ...base, evaluationResult: action.result, evaluationDigits: action.digits, evaluatedAt: now, evaluationMethod: action.method }
      const events = [event(actor, now, 'evaluate', from, 'closed', { result: action.result, digits: action.digits, method: action.method })]
      if (action.result !== 'unsatisfied') return ok(evaluated, events, [{ kind: 'complete-follow-up' }])
      // 不满意 → 退回重办: the caller's answer reopens the ticket for another round of handling.
      events.push(event(actor, now, 'reopen', 'closed', 'reopened', { reason: 'caller unsatisfied', evaluation: action.result }))
      return ok(reopened(evaluated, now), events, [{ kind: 'complete-follow-up' }])
    }
    default: {
      const never: never = action
      return reject('INVALID', `unknown ticket action ${JSON.stringify(never)}`)
    }
  }
}

/** Whether `actor` may take `action` on `ticket` at all (state aside). */
export function checkRole(ticket: Pick<Ticket, 'number' | 'leadUnitId' | 'coUnitIds'>, action: TicketAction, actor: Actor): TicketRejection | null {
  if (!ALLOWED_ROLES[action.type].includes(actor.role)) {
    return { code: 'FORBIDDEN', message: `role '${actor.role}' may not ${action.type} tickets` }
  }
  if (actor.role !== 'unit') return null
  if (actor.unitId === null) return { code: 'FORBIDDEN', message: `unit user '${actor.id}' belongs to no unit` }
  if (actor.unitId === ticket.leadUnitId) return null
  if (action.type === 'reply' && ticket.coUnitIds.includes(actor.unitId)) return null
  return { code: 'FORBIDDEN', message: `unit '${actor.unitId}' is not the lead unit of ticket ${ticket.number}` }
}

/** Whether a unit user may read the ticket: its unit leads it or co-handles it. */
export function unitMayRead(ticket: Pick<Ticket, 'leadUnitId' | 'coUnitIds'>, unitId: string): boolean {
  return ticket.leadUnitId === unitId || ticket.coUnitIds.includes(unitId)
}

/** Back to the center for another round: a fresh handling limit, the old reply set aside. */
function reopened(t: Ticket, now: number): Ticket {
  return { ...t, status: 'reopened', closedAt: null, signedForAt: null, repliedAt: null, reopenCount: t.reopenCount + 1, deadline: now + t.limitHours * HOUR_MS }
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
