/** Ticket rules: the life cycle, who may do what, deadlines, overdue, repeat callers, numbers. */
import t from 'tap'
import type { Actor, Ticket, TicketAction, TicketCategory, TicketDraft, TicketSummary, TransitionResult } from '../../../src/tickets/model.ts'
import {
  KEY_SUPERVISION_REDISPATCHES, acceptTicket, centerDay, deadlineFor, formatTicketNumber, isOverdue, isTicketNumber, parseTicketNumber,
  repeatFlag, transitionTicket
} from '../../../src/tickets/rules.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.parse('2026-11-26T02:00:00Z') // 10:00 in Beijing

const agent: Actor = { id: 'A1', role: 'agent', unitId: null }
const supervisor: Actor = { id: 'S1', role: 'supervisor', unitId: null }
const housing: Actor = { id: 'U-housing', role: 'unit', unitId: 'housing-bureau' }
const district: Actor = { id: 'U-district', role: 'unit', unitId: 'district-a' }
const stranger: Actor = { id: 'U-other', role: 'unit', unitId: 'water-company' }
const dialer: Actor = { id: 'follow-up-dialer', role: 'system', unitId: null }

const cityManagement: TicketCategory = { code: 'city-management', name: '城市管理', limitHours: 72, active: true }
const draft: TicketDraft = {
  callerNumber: '13800001111', callerName: '张先生', channel: 'phone', lineNumber: '12345', categoryCode: 'city-management',
  content: '小区门口占道经营', address: '幸福路 1 号', urgency: 'normal'
}
const noRepeat = { repeat: false, of: null, reason: null }

function accepted(now = T0): Ticket {
  const r = acceptTicket(draft, { id: '00000000-0000-4000-8000-000000000001', number: '12345-20261126-000001', category: cityManagement, actor: agent, now, repeat: noRepeat })
  if (!r.ok) throw new Error(r.rejection.message)
  return r.ticket
}

/** Applies steps in order, failing the test at the first rejection. */
function run(ticket: Ticket, steps: [TicketAction, Actor, number?][]): Ticket {
  let cur = ticket
  for (const [action, actor, at] of steps) {
    const r = transitionTicket(cur, action, actor, at ?? T0 + HOUR)
    if (!r.ok) throw new Error(`${action.type} by ${actor.id} rejected: ${r.rejection.message}`)
    cur = r.ticket
  }
  return cur
}
const ok = (r: TransitionResult) => { if (!r.ok) throw new Error(r.rejection.message); return r }
const code = (r: TransitionResult) => (r.ok ? 'ok' : r.rejection.code)

const dispatch: TicketAction = { type: 'dispatch', leadUnitId: 'housing-bureau', coUnitIds: ['district-a'] }
const signFor: TicketAction = { type: 'sign-for' }
const reply: TicketAction = { type: 'reply', content: '已协调城管清理' }
const close: TicketAction = { type: 'close' }
/** The co-unit's reply, which the lead unit's reply waits for. */
const coReply: [TicketAction, Actor] = [{ type: 'reply', content: '街道已配合' }, district]
const dtmf = (result: 'satisfied' | 'basically-satisfied' | 'unsatisfied', digits: string): TicketAction => ({ type: 'evaluate', result, digits, method: 'phone-dtmf', attemptId: 'attempt-1' })

t.test('accepting makes a ticket with a deadline, version 1 and one audit entry', async (t) => {
  const r = ok(acceptTicket(draft, { id: 'x', number: '12345-20261126-000007', category: cityManagement, actor: agent, now: T0, repeat: noRepeat }))
  t.equal(r.ticket.status, 'accepted')
  t.equal(r.ticket.version, 1)
  t.equal(r.ticket.deadline, T0 + 72 * HOUR, 'category limit of 72 hours')
  t.equal(r.ticket.acceptedBy, 'A1')
  t.same(r.events.map((e) => [e.action, e.fromStatus, e.toStatus]), [['accept', null, 'accepted']])
  t.same(r.effects, [], 'nothing to follow up yet')
  const unit = acceptTicket(draft, { id: 'x', number: 'n', category: cityManagement, actor: housing, now: T0, repeat: noRepeat })
  t.same(unit.ok ? null : unit.rejection.code, 'FORBIDDEN', 'a unit does not accept tickets')
  const retired = acceptTicket(draft, { id: 'x', number: 'n', category: { ...cityManagement, active: false }, actor: agent, now: T0, repeat: noRepeat })
  t.match(retired.ok ? '' : retired.rejection.message, /body\.categoryCode/, 'a retired category is refused, naming the field')
  const rep = ok(acceptTicket(draft, { id: 'x', number: 'n', category: cityManagement, actor: agent, now: T0, repeat: { repeat: true, of: { id: 'old', number: '12345-20261120-000003', status: 'replied', callerNumber: draft.callerNumber, categoryCode: 'housing', createdAt: T0 - DAY, deadline: T0 }, reason: 'open-ticket' } }))
  t.equal(rep.ticket.repeatOf, 'old', 'a repeat points at the earlier ticket')
  t.match(rep.events[0]!.detail, { repeatOf: '12345-20261120-000003', repeatReason: 'open-ticket' })
})

t.test('the whole life: dispatch → sign for → reply → close → evaluate', async (t) => {
  let cur = accepted()
  const d = ok(transitionTicket(cur, dispatch, agent, T0 + HOUR))
  t.equal(d.ticket.status, 'dispatched')
  t.equal(d.ticket.leadUnitId, 'housing-bureau')
  t.same(d.ticket.coUnitIds, ['district-a'])
  t.equal(d.ticket.version, 2, 'every change adds one to the version')
  t.equal(d.ticket.redispatchCount, 0, 'the first dispatch is not a re-dispatch')
  cur = d.ticket
  const s = ok(transitionTicket(cur, signFor, housing, T0 + 2 * HOUR))
  t.equal(s.ticket.status, 'signed-for')
  t.equal(s.ticket.signedForAt, T0 + 2 * HOUR)
  t.match(s.events[0]!.detail, { unitId: 'housing-bureau' })
  cur = run(s.ticket, [coReply])
  const r = ok(transitionTicket(cur, reply, housing, T0 + 3 * HOUR))
  t.equal(r.ticket.status, 'replied')
  t.equal(r.ticket.reply, '已协调城管清理')
  cur = r.ticket
  const c = ok(transitionTicket(cur, close, agent, T0 + 4 * HOUR))
  t.equal(c.ticket.status, 'closed')
  t.equal(c.ticket.closedAt, T0 + 4 * HOUR)
  t.same(c.effects, [{ kind: 'schedule-follow-up', dueAt: T0 + 4 * HOUR }], 'every close queues a follow-up (100% 回访)')
  cur = c.ticket
  const e = ok(transitionTicket(cur, dtmf('satisfied', '1'), dialer, T0 + 5 * HOUR))
  t.equal(e.ticket.status, 'closed', 'a satisfied caller leaves it closed')
  t.equal(e.ticket.evaluationResult, 'satisfied')
  t.equal(e.ticket.evaluationDigits, '1')
  t.same(e.effects, [{ kind: 'complete-follow-up' }])
  const again = transitionTicket(e.ticket, dtmf('unsatisfied', '3'), dialer, T0 + 6 * HOUR)
  t.equal(again.ok ? null : again.rejection.code, 'ILLEGAL_TRANSITION', 'one evaluation per close')
})

t.test('an unsatisfied caller reopens the ticket for another round', async (t) => {
  const closed = run(accepted(), [[dispatch, agent], [signFor, housing], coReply, [reply, housing], [close, agent, T0 + 10 * HOUR]])
  const e = ok(transitionTicket(closed, dtmf('unsatisfied', '3'), dialer, T0 + 20 * HOUR))
  t.equal(e.ticket.status, 'reopened')
  t.equal(e.ticket.reopenCount, 1)
  t.equal(e.ticket.closedAt, null)
  t.equal(e.ticket.evaluationResult, 'unsatisfied', 'the evaluation is kept')
  t.equal(e.ticket.deadline, T0 + 20 * HOUR + 72 * HOUR, 'a fresh handling limit from the reopening')
  t.same(e.events.map((x) => [x.action, x.fromStatus, x.toStatus]), [['evaluate', 'closed', 'closed'], ['reopen', 'closed', 'reopened']])
  t.same(e.effects, [{ kind: 'complete-follow-up' }], 'the follow-up itself is done')
  const again = run(e.ticket, [[dispatch, agent], [signFor, housing], coReply, [reply, housing], [close, agent, T0 + 30 * HOUR]])
  t.equal(again.redispatchCount, 0, 'sending a reopened ticket back is re-handling, not a re-dispatch')
  const second = ok(transitionTicket(again, dtmf('basically-satisfied', '2'), dialer, T0 + 31 * HOUR))
  t.equal(second.ticket.evaluationResult, 'basically-satisfied', 'closed again, it can be evaluated again')
})

t.test('resolved on call: closed at acceptance only', async (t) => {
  const c = ok(transitionTicket(accepted(), { type: 'close', resolvedOnCall: true }, agent, T0 + 60_000))
  t.equal(c.ticket.status, 'closed')
  t.equal(c.ticket.resolvedOnCall, true)
  t.same(c.effects, [{ kind: 'schedule-follow-up', dueAt: T0 + 60_000 }])
  const plain = transitionTicket(accepted(), close, agent, T0)
  t.equal(plain.ok ? null : plain.rejection.code, 'ILLEGAL_TRANSITION', 'an accepted ticket is not closed without a reply')
  const late = run(accepted(), [[dispatch, agent]])
  const lateClaim = transitionTicket(run(late, [[signFor, housing], coReply, [reply, housing]]), { type: 'close', resolvedOnCall: true }, agent, T0)
  t.equal(lateClaim.ok ? null : lateClaim.rejection.code, 'ILLEGAL_TRANSITION', 'a dispatched ticket cannot be claimed as resolved on call afterwards')
})

t.test('illegal transitions are rejected with the state and the action', async (t) => {
  const cases: [string, Ticket, TicketAction, Actor][] = [
    ['sign for an accepted ticket', accepted(), signFor, supervisor],
    ['reply before signing for', run(accepted(), [[dispatch, agent]]), reply, housing],
    ['close a dispatched ticket', run(accepted(), [[dispatch, agent]]), close, agent],
    ['dispatch a replied ticket', run(accepted(), [[dispatch, agent], [signFor, housing], coReply, [reply, housing]]), dispatch, agent],
    ['reopen an accepted ticket', accepted(), { type: 'reopen', reason: 'x' }, supervisor],
    ['evaluate a replied ticket', run(accepted(), [[dispatch, agent], [signFor, housing], coReply, [reply, housing]]), { type: 'evaluate', result: 'satisfied', digits: null, method: 'agent-call' }, agent],
    ['supervise a closed ticket', run(accepted(), [[{ type: 'close', resolvedOnCall: true }, agent]]), { type: 'supervise', note: 'x' }, supervisor],
    ['return a replied ticket', run(accepted(), [[dispatch, agent], [signFor, housing], coReply, [reply, housing]]), { type: 'return', reason: 'x' }, housing],
    ['sign for twice', run(accepted(), [[dispatch, agent], [signFor, housing]]), signFor, housing]
  ]
  for (const [what, ticket, action, actor] of cases) {
    const r = transitionTicket(ticket, action, actor, T0 + DAY)
    t.equal(r.ok ? 'accepted' : r.rejection.code, 'ILLEGAL_TRANSITION', what)
    t.match(r.ok ? '' : r.rejection.message, new RegExp(`cannot ${action.type} while ${ticket.status}`), `${what}: says why`)
  }
  const inval = transitionTicket(accepted(), { type: 'dispatch', leadUnitId: 'a', coUnitIds: ['b', 'a'] }, agent, T0)
  t.match(inval.ok ? {} : inval.rejection, { code: 'INVALID', message: /body\.coUnitIds/ }, 'the lead unit cannot also be a co-unit')
})

t.test('role rules', async (t) => {
  const dispatched = run(accepted(), [[dispatch, agent]])
  const signed = run(dispatched, [[signFor, housing]])
  t.equal(code(transitionTicket(dispatched, signFor, district, T0)), 'FORBIDDEN', 'a co-unit does not sign for')
  t.equal(code(transitionTicket(dispatched, signFor, stranger, T0)), 'FORBIDDEN', 'an unrelated unit does not sign for')
  t.equal(code(transitionTicket(dispatched, signFor, agent, T0)), 'FORBIDDEN', 'an agent does not sign for a unit')
  t.equal(code(transitionTicket(dispatched, signFor, supervisor, T0)), 'ok', 'a supervisor may act for a unit')
  t.equal(code(transitionTicket(signed, reply, stranger, T0)), 'FORBIDDEN', 'an unrelated unit does not reply')
  t.equal(code(transitionTicket(dispatched, dispatch, housing, T0)), 'FORBIDDEN', 'a unit does not dispatch')
  t.equal(code(transitionTicket(run(signed, [coReply, [reply, housing]]), close, housing, T0)), 'FORBIDDEN', 'a unit does not close its own ticket')
  t.equal(code(transitionTicket(dispatched, { type: 'supervise', note: 'x' }, agent, T0)), 'FORBIDDEN', 'agents do not supervise')
  t.equal(code(transitionTicket(run(signed, [coReply, [reply, housing]]), { type: 'reopen', reason: 'x' }, agent, T0)), 'FORBIDDEN', 'agents do not reopen')
  t.equal(code(transitionTicket(dispatched, { type: 'return', reason: 'not ours' }, district, T0)), 'FORBIDDEN', 'only the lead unit returns a ticket')
  t.equal(code(transitionTicket(dispatched, signFor, { id: 'U9', role: 'unit', unitId: null }, T0)), 'FORBIDDEN', 'a unit user without a unit does nothing')
  t.equal(code(transitionTicket(accepted(), signFor, stranger, T0)), 'FORBIDDEN', 'role rules come before state rules')

  const co = ok(transitionTicket(signed, { type: 'reply', content: '街道已配合' }, district, T0 + HOUR))
  t.equal(co.ticket.status, 'signed-for', "a co-unit's reply does not change the status")
  t.equal(co.ticket.version, signed.version + 1, 'but it is a change')
  t.same(co.events.map((e) => [e.action, e.actorRole]), [['co-reply', 'unit']])
  t.match(co.events[0]!.detail, { unitId: 'district-a', content: '街道已配合' })

  const sup = ok(transitionTicket(dispatched, { type: 'supervise', note: '请加快办理', method: 'phone' }, supervisor, T0 + HOUR))
  t.equal(sup.ticket.status, 'dispatched')
  t.match(sup.events[0], { action: 'supervise', actorId: 'S1', detail: { note: '请加快办理', method: 'phone' } }, 'supervision is an audit entry')
})

t.test('return is a request the center rules on; re-dispatches count toward key supervision', async (t) => {
  let cur = run(accepted(), [[dispatch, agent]])
  const ret = ok(transitionTicket(cur, { type: 'return', reason: '不属于本单位职责' }, housing, T0 + HOUR))
  t.equal(ret.ticket.status, 'dispatched', '首办负责: the unit keeps the ticket until the center rules')
  t.equal(ret.ticket.leadUnitId, 'housing-bureau')
  t.match(ret.ticket.pendingRequest, { kind: 'return', unitId: 'housing-bureau', reason: '不属于本单位职责' })
  t.match(ret.events[0]!.detail, { leadUnitId: 'housing-bureau', reason: '不属于本单位职责', requested: true })
  t.equal(ret.ticket.deadline, cur.deadline, 'its deadline keeps running')
  const twice = transitionTicket(ret.ticket, { type: 'request-extension', reason: 'x', hours: 24 }, housing, T0 + HOUR)
  t.match(twice.ok ? '' : twice.rejection.message, /return request is already waiting/, 'one request at a time')
  const refused = ok(transitionTicket(ret.ticket, { type: 'rule-return', decision: 'reject', ruling: '属地管理，由住建局牵头' }, supervisor, T0 + 2 * HOUR))
  t.same([refused.ticket.status, refused.ticket.leadUnitId, refused.ticket.pendingRequest, refused.ticket.redispatchCount], ['dispatched', 'housing-bureau', null, 0], 'sent back with a ruling: still theirs, no re-dispatch')
  t.same(refused.effects, [{ kind: 'notify', unitIds: ['housing-bureau'], reason: 'ruled' }], 'the unit is told')
  t.equal(code(transitionTicket(refused.ticket, { type: 'rule-return', decision: 'reject', ruling: 'x' }, supervisor, T0)), 'ILLEGAL_TRANSITION', 'no ruling without a request')
  t.equal(code(transitionTicket(ret.ticket, { type: 'rule-return', decision: 'reject', ruling: 'x' }, agent, T0)), 'FORBIDDEN', 'agents do not rule')
  cur = ret.ticket
  const units = ['district-a', 'water-company', 'housing-bureau']
  for (let i = 0; i < KEY_SUPERVISION_REDISPATCHES; i++) {
    const d = ok(i % 2 === 0
      ? transitionTicket(cur, { type: 'rule-return', decision: 'redispatch', leadUnitId: units[i]!, coUnitIds: [], ruling: '改派' }, supervisor, T0 + (i + 2) * HOUR)
      : transitionTicket(cur, { type: 'dispatch', leadUnitId: units[i]!, coUnitIds: [] }, agent, T0 + (i + 2) * HOUR))
    t.equal(d.ticket.redispatchCount, i + 1, `re-dispatch ${i + 1} counted`)
    t.equal(d.ticket.pendingRequest, null, 'the request is settled')
    t.equal(d.ticket.keySupervision, i + 1 >= KEY_SUPERVISION_REDISPATCHES, `key supervision ${i + 1 >= 3 ? 'from' : 'not before'} the third`)
    const dispatchEvent = d.events.find((e) => e.action === 'dispatch')!
    if (i === 1) t.match(dispatchEvent.detail, { redispatch: true, previousLeadUnitId: units[0] }, 'taken from a unit directly: the trail names it')
    if (i === 0) t.same(d.events.map((e) => e.action), ['rule-return', 'dispatch'], 'a granted return is ruled, then re-dispatched')
    if (i + 1 === KEY_SUPERVISION_REDISPATCHES) t.match(dispatchEvent.detail, { keySupervision: true, redispatchCount: 3 }, 'the audit entry marks the step into key supervision')
    // Alternate: a unit asks to return it, or the center takes it away directly (改派 from dispatched).
    cur = i % 2 === 0 ? ok(transitionTicket(d.ticket, { type: 'return', reason: 'again' }, { id: 'u', role: 'unit', unitId: units[i]! }, T0)).ticket : d.ticket
    if (i % 2 === 1) cur = ok(transitionTicket(cur, { type: 'return', reason: 'again' }, { id: 'u', role: 'unit', unitId: units[i]! }, T0)).ticket
  }
})

t.test('deadlines: category limit, shortened by urgency', async (t) => {
  t.equal(deadlineFor(cityManagement, 'normal', T0), T0 + 72 * HOUR)
  t.equal(deadlineFor(cityManagement, 'urgent', T0), T0 + 24 * HOUR, 'urgent: within a day')
  t.equal(deadlineFor(cityManagement, 'very-urgent', T0), T0 + 2 * HOUR, 'very urgent: within two hours')
  t.equal(deadlineFor({ limitHours: 1 }, 'urgent', T0), T0 + HOUR, 'urgency never lengthens a short limit')
})

t.test('overdue', async (t) => {
  const d = run(accepted(), [[dispatch, agent]])
  t.equal(isOverdue(d, d.deadline), false, 'at the deadline itself: not yet')
  t.equal(isOverdue(d, d.deadline + 1), true, 'after it, while waiting for the reply')
  const repliedInTime = run(d, [[signFor, housing], coReply, [reply, housing, d.deadline - HOUR]])
  t.equal(isOverdue(repliedInTime, d.deadline + DAY), false, 'replied in time stays on time')
  const repliedLate = run(d, [[signFor, housing], coReply, [reply, housing, d.deadline + HOUR]])
  t.equal(isOverdue(repliedLate, d.deadline + 2 * HOUR), true, 'a late reply stays late')
  t.equal(isOverdue(run(repliedLate, [[close, agent, d.deadline + DAY]]), d.deadline + 2 * DAY), true, 'closing does not clear it')
  const onCall = run(accepted(), [[{ type: 'close', resolvedOnCall: true }, agent, T0]])
  t.equal(isOverdue(onCall, T0 + 30 * DAY), false, 'resolved on call is never overdue')
})

t.test('repeat callers', async (t) => {
  const s = (over: Partial<TicketSummary>): TicketSummary => ({ id: 'i', number: 'n', status: 'closed', callerNumber: '13800001111', categoryCode: 'housing', createdAt: T0 - DAY, deadline: T0, ...over })
  const now = T0
  const me = { callerNumber: '13800001111', categoryCode: 'city-management', now }
  t.same(repeatFlag([], me), { repeat: false, of: null, reason: null }, 'a first call is no repeat')
  t.match(repeatFlag([s({ id: 'open', status: 'dispatched', createdAt: now - 90 * DAY })], me), { repeat: true, reason: 'open-ticket', of: { id: 'open' } }, 'an open ticket of any age and category')
  t.match(repeatFlag([s({ id: 'same', categoryCode: 'city-management', createdAt: now - 29 * DAY })], me), { repeat: true, reason: 'same-category' }, 'same category within 30 days')
  t.equal(repeatFlag([s({ categoryCode: 'city-management', createdAt: now - 31 * DAY })], me).repeat, false, 'same category, but longer ago than 30 days')
  t.equal(repeatFlag([s({ categoryCode: 'city-management', createdAt: now - 31 * DAY })], me, 45).repeat, true, 'the window is configurable')
  t.equal(repeatFlag([s({ createdAt: now - DAY })], me).repeat, false, 'a closed ticket in another category')
  t.equal(repeatFlag([s({ status: 'accepted', callerNumber: '13900002222' })], me).repeat, false, 'another caller')
  t.match(repeatFlag([s({ id: 'older', categoryCode: 'city-management', createdAt: now - 5 * DAY }), s({ id: 'newer', categoryCode: 'city-management', createdAt: now - DAY })], me), { of: { id: 'newer' } }, 'the newest match')
})

t.test('ticket numbers', async (t) => {
  t.equal(formatTicketNumber('20261126', 123), '12345-20261126-000123')
  t.equal(formatTicketNumber('20261126', 1_234_567), '12345-20261126-1234567', 'widens past a million instead of wrapping')
  t.throws(() => formatTicketNumber('2026-11-26', 1), RangeError)
  t.throws(() => formatTicketNumber('20261126', 0), RangeError)
  t.equal(isTicketNumber('12345-20261126-000123'), true)
  t.equal(isTicketNumber('12345-2026112-000123'), false)
  t.equal(isTicketNumber('00000000-0000-4000-8000-000000000001'), false, 'a uuid is not a number')
  t.same(parseTicketNumber('12345-20261126-000123'), { prefix: '12345', day: '20261126', sequence: 123 })
  t.equal(centerDay(Date.parse('2026-11-26T15:59:59Z'), 'Asia/Shanghai'), '20261126', '23:59:59 in Beijing')
  t.equal(centerDay(Date.parse('2026-11-26T16:00:00Z'), 'Asia/Shanghai'), '20261127', 'the day turns at local midnight, not UTC')
})
