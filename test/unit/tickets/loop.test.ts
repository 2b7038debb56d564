/**
 * Ticket rules of the closed loop, pure: co-unit replies before the lead's, extension requests,
 * 转办 with review, A/B assignment, 并单, 催办, escalation, inbox sections, and who may record a
 * follow-up's answers (an agent's forged key press is refused).
 */
import t from 'tap'
import type { Actor, Ticket, TicketAction, TicketCategory, TicketDraft, TransitionResult } from '../../../src/tickets/model.ts'
import {
  acceptTicket, coUnitsNotReplied, escalationsFor, inboxSection, matterKey, reminderDue, reopenReason, transitionTicket, unitMayRead,
  type EscalationCandidate
} from '../../../src/tickets/rules.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.parse('2026-11-26T02:00:00Z')
const agent: Actor = { id: 'A1', role: 'agent', unitId: null }
const supervisor: Actor = { id: 'S1', role: 'supervisor', unitId: null }
const dialer: Actor = { id: 'follow-up-dialer', role: 'system', unitId: null }
const lead: Actor = { id: 'u-district-1', role: 'unit', unitId: 'district' }
const leadB: Actor = { id: 'u-district-2', role: 'unit', unitId: 'district' }
const leadC: Actor = { id: 'u-district-3', role: 'unit', unitId: 'district' }
const co: Actor = { id: 'u-water', role: 'unit', unitId: 'water' }
const street: Actor = { id: 'u-street', role: 'unit', unitId: 'street' }
const stranger: Actor = { id: 'u-other', role: 'unit', unitId: 'other' }
const category: TicketCategory = { code: 'city-management', name: '城市管理', limitHours: 72, active: true }
const draft: TicketDraft = { callerNumber: '13800001111', callerName: '张先生', channel: 'phone', lineNumber: '12345', categoryCode: 'city-management', content: '路灯不亮', address: '幸福路 1 号', urgency: 'normal' }

const ok = (r: TransitionResult) => { if (!r.ok) throw new Error(r.rejection.message); return r }
const code = (r: TransitionResult) => (r.ok ? 'ok' : r.rejection.code)
function accepted(id = 't1'): Ticket {
  return ok(acceptTicket(draft, { id, number: '12345-20261126-000001', category, actor: agent, now: T0, repeat: { repeat: false, of: null, reason: null } })).ticket
}
function run(ticket: Ticket, steps: [TicketAction, Actor, number?][]): Ticket {
  let cur = ticket
  for (const [action, actor, at] of steps) cur = ok(transitionTicket(cur, action, actor, at ?? T0 + HOUR)).ticket
  return cur
}
const dispatch: TicketAction = { type: 'dispatch', leadUnitId: 'district', coUnitIds: ['water'] }
const signed = () => run(accepted(), [[dispatch, agent], [{ type: 'sign-for' }, lead]])

t.test('the lead unit replies only once every co-unit has replied', async (t) => {
  const s = signed()
  t.same(coUnitsNotReplied(s), ['water'])
  const early = transitionTicket(s, { type: 'reply', content: '已修复' }, lead, T0 + 2 * HOUR)
  t.match(early.ok ? '' : early.rejection.message, /waiting for the co-units' replies: water/, 'blocked, naming the co-unit')
  const c = ok(transitionTicket(s, { type: 'reply', content: '水务已排查管线' }, co, T0 + 2 * HOUR))
  t.same(c.ticket.coReplies, ['water'])
  t.same(c.effects, [{ kind: 'notify', unitIds: ['district'], reason: 'changed' }], 'the lead unit is told of the co-unit reply')
  const r = ok(transitionTicket(c.ticket, { type: 'reply', content: '已修复' }, lead, T0 + 3 * HOUR))
  t.equal(r.ticket.status, 'replied')
  const again = run(r.ticket, [[{ type: 'close' }, agent], [{ type: 'reopen', reason: '复查未修好' }, supervisor], [dispatch, agent]])
  t.same(again.coReplies, [], 'a new round waits for the co-units again')
})

t.test('sign-for records its time; progress notes are audit entries', async (t) => {
  const d = run(accepted(), [[dispatch, agent, T0]])
  const s = ok(transitionTicket(d, { type: 'sign-for' }, lead, T0 + 90_000))
  t.equal(s.ticket.signedForAt, T0 + 90_000)
  t.match(s.events[0]!.detail, { unitId: 'district', afterMs: 90_000 }, 'how long after dispatch it was signed for')
  const p = ok(transitionTicket(s.ticket, { type: 'progress', note: '已到现场查看' }, lead, T0 + HOUR))
  t.match(p.events[0], { action: 'progress', detail: { note: '已到现场查看', unitId: 'district' } })
  t.equal(code(transitionTicket(s.ticket, { type: 'progress', note: 'x' }, co, T0)), 'ok', 'a co-unit records progress too')
  t.equal(code(transitionTicket(s.ticket, { type: 'progress', note: 'x' }, stranger, T0)), 'FORBIDDEN', 'an unrelated unit does not')
})

t.test('extension: requested with a reason, the deadline moves only on approval', async (t) => {
  const s = signed()
  const req = ok(transitionTicket(s, { type: 'request-extension', reason: '需协调施工单位', hours: 48 }, lead, T0 + 2 * HOUR))
  t.equal(req.ticket.deadline, s.deadline, 'asking does not move it')
  t.match(req.ticket.pendingRequest, { kind: 'extension', hours: 48, reason: '需协调施工单位' })
  t.equal(code(transitionTicket(s, { type: 'request-extension', reason: 'x', hours: 48 }, co, T0)), 'FORBIDDEN', 'only the lead unit asks')
  t.equal(code(transitionTicket(s, { type: 'request-extension', reason: 'x', hours: 0 }, lead, T0)), 'INVALID')
  const refused = ok(transitionTicket(req.ticket, { type: 'rule-extension', approve: false, ruling: '时限内可办结' }, supervisor, T0 + 3 * HOUR))
  t.same([refused.ticket.deadline, refused.ticket.pendingRequest], [s.deadline, null], 'refused: the deadline stays')
  const req2 = ok(transitionTicket(refused.ticket, { type: 'request-extension', reason: '需协调施工单位', hours: 48 }, lead, T0 + 4 * HOUR))
  const approved = ok(transitionTicket(req2.ticket, { type: 'rule-extension', approve: true, ruling: '同意延期' }, supervisor, T0 + 5 * HOUR))
  t.equal(approved.ticket.deadline, s.deadline + 48 * HOUR, 'approved: the deadline moves by the hours asked')
  t.match(approved.events[0]!.detail, { approve: true, hours: 48 })
  t.same(approved.effects, [{ kind: 'notify', unitIds: ['district'], reason: 'ruled' }])
})

t.test('转办 down to a unit beneath, whose reply the upper unit reviews before it leaves', async (t) => {
  const s = ok(transitionTicket(signed(), { type: 'reply', content: '配合' }, co, T0)).ticket
  t.match(transitionTicket(s, { type: 'transfer', subUnitId: 'other', subUnitParentId: 'city' }, lead, T0), { ok: false, rejection: { code: 'INVALID', message: /not beneath 'district'/ } }, 'only to a unit beneath')
  const tr = ok(transitionTicket(s, { type: 'transfer', subUnitId: 'street', subUnitParentId: 'district' }, lead, T0 + HOUR))
  t.equal(tr.ticket.subUnitId, 'street')
  t.same(tr.effects, [{ kind: 'notify', unitIds: ['street'], reason: 'transferred' }])
  t.equal(unitMayRead(tr.ticket, 'street'), true, 'the unit beneath sees it')
  const sub = ok(transitionTicket(tr.ticket, { type: 'reply', content: '街道已修复路灯' }, street, T0 + 2 * HOUR))
  t.equal(sub.ticket.status, 'signed-for', 'its reply does not leave yet')
  t.match(sub.ticket.subReply, { unitId: 'street', content: '街道已修复路灯' })
  t.equal(code(transitionTicket(sub.ticket, { type: 'review-sub-reply', approve: true }, street, T0)), 'FORBIDDEN', 'the unit beneath does not review itself')
  const back = ok(transitionTicket(sub.ticket, { type: 'review-sub-reply', approve: false, note: '请附现场照片' }, lead, T0 + 3 * HOUR))
  t.same([back.ticket.subReply, back.ticket.status], [null, 'signed-for'], 'refused: back to the unit beneath')
  t.same(back.effects, [{ kind: 'notify', unitIds: ['street'], reason: 'reviewed' }])
  const sub2 = ok(transitionTicket(back.ticket, { type: 'reply', content: '已修复，附照片' }, street, T0 + 4 * HOUR))
  const up = ok(transitionTicket(sub2.ticket, { type: 'review-sub-reply', approve: true }, lead, T0 + 5 * HOUR))
  t.same([up.ticket.status, up.ticket.reply, up.ticket.repliedAt], ['replied', '已修复，附照片', T0 + 5 * HOUR], 'approved: it leaves as the reply')
  t.same(up.events.map((e) => e.action), ['review-sub-reply', 'reply'])
})

t.test('A/B roles: once assigned, the assignee and the backup act', async (t) => {
  const a = ok(transitionTicket(signed(), { type: 'assign', userId: lead.id, backupUserId: leadB.id }, leadC, T0)).ticket
  t.equal(code(transitionTicket(a, { type: 'progress', note: 'x' }, leadC, T0)), 'FORBIDDEN', 'another user of the unit does not')
  t.equal(code(transitionTicket(a, { type: 'progress', note: 'x' }, leadB, T0)), 'ok', 'the backup (B角) does')
  t.equal(code(transitionTicket(a, { type: 'progress', note: 'x' }, lead, T0)), 'ok', 'the assignee (A角) does')
  t.equal(code(transitionTicket(a, { type: 'assign', userId: leadC.id, backupUserId: null }, leadC, T0)), 'ok', 'the unit can re-assign')
  t.equal(code(transitionTicket(signed(), { type: 'assign', userId: 'x', backupUserId: 'x' }, lead, T0)), 'INVALID', 'the backup is someone else')
})

t.test('并单: a new request joins an open ticket', async (t) => {
  const dup = ok(transitionTicket(accepted('t2'), { type: 'merge', intoTicketId: 't1', intoNumber: '12345-20261126-000001' }, agent, T0))
  t.same([dup.ticket.status, dup.ticket.mergedInto], ['merged', 't1'])
  t.equal(code(transitionTicket(accepted('t1'), { type: 'merge', intoTicketId: 't1', intoNumber: 'n' }, agent, T0)), 'INVALID', 'not into itself')
  t.equal(code(transitionTicket(signed(), { type: 'merge', intoTicketId: 't9', intoNumber: 'n' }, agent, T0)), 'ILLEGAL_TRANSITION', 'a ticket already dispatched is not merged')
  t.equal(code(transitionTicket(accepted('t2'), { type: 'merge', intoTicketId: 't1', intoNumber: 'n' }, lead, T0)), 'FORBIDDEN', 'units do not merge')
})

t.test('催办: once before the deadline and once after, recorded and pushed', async (t) => {
  const s = signed()
  const before = 4 * HOUR
  t.equal(reminderDue(s, s.deadline - 5 * HOUR, before), null, 'not yet')
  t.equal(reminderDue(s, s.deadline - 3 * HOUR, before), 'before-deadline')
  const r = ok(transitionTicket(s, { type: 'remind', when: 'before-deadline' }, dialer, s.deadline - 3 * HOUR))
  t.same(r.effects, [{ kind: 'notify', unitIds: ['district'], reason: 'reminded' }])
  t.match(r.events[0], { action: 'remind', detail: { when: 'before-deadline', leadUnitId: 'district' } })
  t.equal(reminderDue(r.ticket, s.deadline - HOUR, before), null, 'once per round')
  t.equal(reminderDue(r.ticket, s.deadline + 1, before), 'after-deadline')
  const after = ok(transitionTicket(r.ticket, { type: 'remind', when: 'after-deadline' }, dialer, s.deadline + 1)).ticket
  t.equal(reminderDue(after, s.deadline + DAY, before), null)
  t.equal(reminderDue(accepted(), T0 + 100 * DAY, before), null, 'a ticket no unit holds is not reminded')
})

t.test('escalation: 10 citizens on one matter, or 10 complaints against one unit, in the window', async (t) => {
  const c = (i: number, over: Partial<EscalationCandidate> = {}): EscalationCandidate => ({ id: `t${i}`, callerNumber: `1380000${String(i).padStart(4, '0')}`, categoryCode: 'environment', address: '幸福路 8 号', complaintUnitId: null, createdAt: T0 + i * HOUR, ...over })
  const nine = Array.from({ length: 9 }, (_, i) => c(i))
  t.same(escalationsFor(nine.slice(0, 8), nine[8]!), [], 'nine citizens: not yet')
  const tenth = c(9, { address: ' 幸福路8号 ' })
  t.match(escalationsFor(nine, tenth), [{ kind: 'matter', citizens: 10, key: matterKey('environment', '幸福路8号') }], 'the tenth citizen (spacing aside) raises it')
  const sameCaller = Array.from({ length: 9 }, (_, i) => c(i, { callerNumber: '13800000000' }))
  t.same(escalationsFor(sameCaller, tenth), [], 'ten calls from two citizens are not ten citizens')
  const old = nine.map((x) => ({ ...x, createdAt: T0 - 40 * DAY }))
  t.same(escalationsFor(old, { ...tenth, createdAt: T0 }), [], 'outside the window')
  t.equal(escalationsFor(old, { ...tenth, createdAt: T0 }, { windowDays: 60, citizens: 10, complaints: 10 }).length, 1, 'the window is configurable')
  const complaints = Array.from({ length: 9 }, (_, i) => c(i, { address: `地址${i}`, complaintUnitId: 'district' }))
  t.match(escalationsFor(complaints, c(9, { address: null, complaintUnitId: 'district' })), [{ kind: 'unit-complaints', unitId: 'district', complaints: 10 }])
})

t.test('only the dialer records a key press; an agent records on the follow-up call, marked as theirs', async (t) => {
  const closed = run(signed(), [[{ type: 'reply', content: '配合' }, co], [{ type: 'reply', content: '已修复' }, lead], [{ type: 'close' }, agent]])
  const forged = transitionTicket(closed, { type: 'evaluate', result: 'satisfied', digits: '1', method: 'phone-dtmf', attemptId: 'a1' }, agent, T0 + DAY)
  t.match(forged, { ok: false, rejection: { code: 'FORBIDDEN', message: /only the follow-up dialer/ } }, "an agent's phone-dtmf is refused")
  t.equal(code(transitionTicket(closed, { type: 'evaluate', result: 'satisfied', digits: null, method: 'sms' }, supervisor, T0 + DAY)), 'FORBIDDEN', 'so is any citizen channel')
  t.match(transitionTicket(closed, { type: 'evaluate', result: 'satisfied', digits: null, method: 'agent-call' }, agent, T0 + DAY), { ok: false, rejection: { code: 'INVALID', message: /callId/ } }, 'an agent without a follow-up call is refused')
  t.equal(code(transitionTicket(closed, { type: 'evaluate', result: 'satisfied', digits: '1', method: 'phone-dtmf' }, dialer, T0 + DAY)), 'INVALID', "the dialer's answer names its attempt")
  const byAgent = ok(transitionTicket(closed, { type: 'evaluate', result: 'satisfied', process: 'basically-satisfied', solved: true, digits: null, method: 'agent-call', callId: 'c1', attemptId: 'a1' }, agent, T0 + DAY))
  t.match(byAgent.ticket, { status: 'closed', evaluationMethod: 'agent-call', evaluationRecordedBy: 'A1', evaluationCallId: 'c1', evaluationProcess: 'basically-satisfied', evaluationSolved: true })
  t.match(byAgent.events[0]!.detail, { recordedBy: 'A1', recordedByRole: 'agent', callId: 'c1' })
  const notSolved = ok(transitionTicket(closed, { type: 'evaluate', result: 'basically-satisfied', process: 'satisfied', solved: false, digits: '213', method: 'phone-dtmf', attemptId: 'a1' }, dialer, T0 + DAY))
  t.equal(notSolved.ticket.status, 'reopened', 'not solved reopens, whatever the satisfaction')
  t.match(notSolved.events[1]!.detail, { reason: 'caller says not solved' })
  t.equal(reopenReason({ evaluationResult: 'satisfied', evaluationProcess: 'unsatisfied', evaluationSolved: true }), 'caller unsatisfied with the handling')
  t.equal(reopenReason({ evaluationResult: 'basically-satisfied', evaluationProcess: null, evaluationSolved: null }), null)
})

t.test("inbox sections: what a unit must act on comes first", async (t) => {
  const d = run(accepted(), [[dispatch, agent, T0]])
  t.equal(inboxSection(d, 'district', T0 + HOUR, DAY), 'new')
  t.equal(inboxSection(d, 'water', T0 + HOUR, DAY), 'co-handling')
  t.equal(inboxSection(d, 'other', T0 + HOUR, DAY), null, 'not theirs')
  const s = run(d, [[{ type: 'sign-for' }, lead]])
  t.equal(inboxSection(s, 'district', T0 + HOUR, DAY), 'signed-for')
  t.equal(inboxSection(s, 'district', s.deadline - HOUR, DAY), 'due-soon')
  t.equal(inboxSection(s, 'district', s.deadline + 1, DAY), 'overdue')
  const asked = run(s, [[{ type: 'return', reason: '非本单位' }, lead]])
  t.equal(inboxSection(asked, 'district', T0 + 2 * HOUR, DAY), 'pending-request')
  const reopened = run(s, [[{ type: 'reply', content: 'c' }, co], [{ type: 'reply', content: 'r' }, lead], [{ type: 'close' }, agent], [{ type: 'reopen', reason: 'x' }, supervisor], [dispatch, agent]])
  t.equal(inboxSection(reopened, 'district', T0 + 2 * HOUR, DAY), 'returned', 'back for re-handling')
})
