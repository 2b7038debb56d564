/**
 * The ticket API against the real PostgreSQL: the whole life of a ticket with its audit trail
 * and follow-up outbox, resolved on call, concurrent edits, and every kind of bad request.
 *
 * Shares the services with the PBX tests running at the same time, so it keeps to itself: its
 * own ARI app name and Redis database, its own users and units (ids starting 'tk-'), and it
 * empties only the ticket tables. It never resets the world.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { createHotline, type Hotline } from '../../../src/app.ts'
import { migrate } from '../../../src/db/migrate.ts'
import { testConfig } from '../../helpers/services.ts'
import { ownerSql } from '../../helpers/hotline.ts'

const REDIS_DB = 5
const TICKET_NUMBER = /^12345-\d{8}-\d{6}$/

function ownRedis(url: string): string {
  const u = new URL(url)
  u.pathname = `/${REDIS_DB}`
  return u.toString()
}

interface TicketBody { id: string; number: string; status: string; version: number; [k: string]: unknown }

t.test('tickets over REST', async (t) => {
  const base = testConfig()
  // No bootstrap admin: the PBX tests create theirs right after emptying the users table.
  const config = { ...testConfig({ HOTLINE_ARI_APP: 'hotline-test-tickets', REDIS_URL: ownRedis(base.REDIS_URL) }), HOTLINE_ADMIN_PASSWORD: undefined }
  const hotline: Hotline = await createHotline(config)
  t.teardown(() => hotline.close())
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  await migrate(sql)
  await sql`truncate tickets, ticket_calls, ticket_events, follow_up_tasks, ticket_number_counters cascade`
  await sql`delete from users where id like 'tk-%'`
  await sql`delete from units where id like 'tk-%'`
  const callId = randomUUID()
  t.teardown(async () => { await sql`delete from calls where id = ${callId}` })
  await hotline.start()

  const inject = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const login = async (id: string, password: string) => {
    const res = await inject('POST', '/v1/auth/token', undefined, { username: id, password })
    if (res.statusCode !== 200) throw new Error(`login ${id}: ${res.statusCode} ${res.body}`)
    return (res.json() as { token: string }).token
  }
  for (const [id, role] of [['tk-admin', 'admin'], ['tk-agent', 'agent'], ['tk-super', 'supervisor']] as const) {
    await hotline.users.create({ id, displayName: id, role, password: `${id}-Password` })
  }
  const admin = await login('tk-admin', 'tk-admin-Password')
  const agent = await login('tk-agent', 'tk-agent-Password')
  const supervisor = await login('tk-super', 'tk-super-Password')

  // Units and their users.
  for (const [id, name, kind] of [['tk-housing', '住建局', 'department'], ['tk-district', '幸福区政府', 'district'], ['tk-water', '自来水公司', 'enterprise']]) {
    const res = await inject('POST', '/v1/units', admin, { id, name, kind })
    t.equal(res.statusCode, 201, `unit ${id} created`)
  }
  t.equal((await inject('POST', '/v1/units', admin, { id: 'tk-housing', name: 'again', kind: 'department' })).statusCode, 409, 'a unit id is unique')
  t.equal((await inject('POST', '/v1/units', agent, { id: 'tk-x', name: 'x', kind: 'street' })).statusCode, 403, 'only admins create units')
  const units = (await inject('GET', '/v1/units', agent)).json() as { id: string }[]
  t.ok(units.some((u) => u.id === 'tk-district'), 'units are listed')

  const noUnit = await inject('POST', '/v1/users', admin, { id: 'tk-unit-x', displayName: 'x', role: 'unit', password: 'long-enough' })
  t.equal(noUnit.statusCode, 400, 'a unit user needs a unit')
  t.match(noUnit.json(), { message: /body\.unitId/ }, 'and the error names the field')
  const badUnit = await inject('POST', '/v1/users', admin, { id: 'tk-unit-x', displayName: 'x', role: 'unit', password: 'long-enough', unitId: 'tk-nowhere' })
  t.match(badUnit.json(), { message: /body\.unitId: no active unit 'tk-nowhere'/ }, 'an unknown unit is refused')
  const agentWithUnit = await inject('POST', '/v1/users', admin, { id: 'tk-unit-x', displayName: 'x', role: 'agent', password: 'long-enough', unitId: 'tk-housing' })
  t.equal(agentWithUnit.statusCode, 400, 'only unit users belong to a unit')
  for (const [id, unitId] of [['tk-u-housing', 'tk-housing'], ['tk-u-district', 'tk-district'], ['tk-u-water', 'tk-water']]) {
    const res = await inject('POST', '/v1/users', admin, { id, displayName: `${unitId} 经办人`, role: 'unit', password: `${id}-Password`, unitId })
    t.equal(res.statusCode, 201, `unit user ${id} created`)
  }
  const housing = await login('tk-u-housing', 'tk-u-housing-Password')
  const district = await login('tk-u-district', 'tk-u-district-Password')
  const water = await login('tk-u-water', 'tk-u-water-Password')
  t.match((await inject('GET', '/v1/users/tk-u-housing', admin)).json(), { role: 'unit', unitId: 'tk-housing' }, 'the user shows its unit')

  const categories = (await inject('GET', '/v1/ticket-categories', agent)).json() as { code: string; limitHours: number }[]
  t.ok(categories.some((c) => c.code === 'city-management' && c.limitHours === 72), 'categories come with their limits')

  // A call to accept the ticket on, as the call side would have recorded it.
  await sql`insert into calls (id, caller_number, dialled_number, line_number, caller_channel_id, arrived_at, answered_at, recording_name)
    values (${callId}, '13912340001', '12345', '12345', ${`tk-${callId}`}, now(), now(), ${`call-${callId}`})`

  const caller = '13912340001'
  let res = await inject('POST', '/v1/tickets', agent, {
    callerNumber: caller, callerName: '王女士', categoryCode: 'city-management', content: '小区门口长期占道经营，影响通行', address: '幸福路 8 号', callId
  })
  t.equal(res.statusCode, 201, 'accepted')
  let ticket = res.json() as TicketBody
  t.match(ticket, { status: 'accepted', version: 1, channel: 'phone', lineNumber: '12345', acceptedBy: 'tk-agent', open: true, overdue: false, repeatOf: null })
  t.match(ticket.number, TICKET_NUMBER, `numbered like 12345-YYYYMMDD-NNNNNN (${ticket.number})`)
  t.equal(Date.parse(ticket.deadline as string) - Date.parse(ticket.createdAt as string), 72 * 3_600_000, 'deadline from the category limit')
  const [link] = await sql<{ callId: string; recordingName: string }[]>`select call_id, recording_name from ticket_calls where ticket_id = ${ticket.id}`
  t.same(link, { callId, recordingName: `call-${callId}` }, 'the call is linked with its recording')
  const first = ticket

  // Dispatch to a lead unit and a co-unit.
  res = await inject('POST', `/v1/tickets/${ticket.id}/dispatch`, agent, { version: 1, leadUnitId: 'tk-housing', coUnitIds: ['tk-district'] })
  t.equal(res.statusCode, 200, 'dispatched')
  ticket = res.json() as TicketBody
  t.match(ticket, { status: 'dispatched', version: 2, leadUnitId: 'tk-housing', coUnitIds: ['tk-district'] })

  // A stale version is refused, and two concurrent edits of the same version: one wins.
  res = await inject('POST', `/v1/tickets/${ticket.id}/dispatch`, agent, { version: 1, leadUnitId: 'tk-water' })
  t.equal(res.statusCode, 409, 'stale version')
  t.match(res.json(), { code: 'HOTLINE_TICKET_VERSION_CONFLICT', message: /at version 2, not 1/, details: { ticketId: ticket.id, version: 2, expectedVersion: 1 } })
  const race = await Promise.all([
    inject('POST', `/v1/tickets/${ticket.number}/sign-for`, housing, { version: 2 }),
    inject('POST', `/v1/tickets/${ticket.number}/supervise`, supervisor, { version: 2, note: '请尽快签收' })
  ])
  t.same(race.map((r) => r.statusCode).sort(), [200, 409], 'two edits of version 2 at once: exactly one wins')
  const loser = race.find((r) => r.statusCode === 409)!
  t.match(loser.json(), { code: 'HOTLINE_TICKET_VERSION_CONFLICT' }, 'the other is told to reload')
  ticket = (await inject('GET', `/v1/tickets/${ticket.id}`, agent)).json() as TicketBody
  t.equal(ticket.version, 3, 'one change landed')
  if (ticket.status === 'dispatched') {
    // The supervision won the race; sign for now.
    ticket = (await inject('POST', `/v1/tickets/${ticket.id}/sign-for`, housing, { version: 3 })).json() as TicketBody
  }
  t.equal(ticket.status, 'signed-for', 'signed for by the lead unit')

  // Units: the co-unit may add its note, an unrelated unit sees nothing.
  t.equal((await inject('GET', `/v1/tickets/${ticket.id}`, water)).statusCode, 403, 'an unrelated unit cannot read the ticket')
  t.equal((await inject('GET', `/v1/tickets/${ticket.id}`, district)).statusCode, 200, 'a co-unit can')
  res = await inject('POST', `/v1/tickets/${ticket.id}/sign-for`, district, { version: ticket.version })
  t.equal(res.statusCode, 403, 'a co-unit does not sign for')
  res = await inject('POST', `/v1/tickets/${ticket.id}/reply`, water, { version: ticket.version, content: 'x' })
  t.equal(res.statusCode, 403, 'an unrelated unit does not reply')
  res = await inject('POST', `/v1/tickets/${ticket.id}/reply`, district, { version: ticket.version, content: '街道已派人现场劝离' })
  t.equal(res.statusCode, 200, "the co-unit's note")
  ticket = res.json() as TicketBody
  t.equal(ticket.status, 'signed-for', 'does not change the status')
  res = await inject('POST', `/v1/tickets/${ticket.id}/reply`, housing, { version: ticket.version, content: '已联合城管清理，设置禁止摆摊标识' })
  ticket = res.json() as TicketBody
  t.match(ticket, { status: 'replied', reply: '已联合城管清理，设置禁止摆摊标识' }, 'the lead unit replies')
  res = await inject('POST', `/v1/tickets/${ticket.id}/close`, housing, { version: ticket.version })
  t.equal(res.statusCode, 403, 'a unit does not close')
  res = await inject('POST', `/v1/tickets/${ticket.id}/close`, agent, { version: ticket.version, note: '答复已核实' })
  ticket = res.json() as TicketBody
  t.match(ticket, { status: 'closed', open: false }, 'closed by the agent')

  let tasks = await sql<{ status: string; phoneNumber: string; lineNumber: string; attempts: number }[]>`
    select status, phone_number, line_number, attempts from follow_up_tasks where ticket_id = ${ticket.id} order by id`
  t.same(tasks, [{ status: 'due', phoneNumber: caller, lineNumber: '12345', attempts: 0 }], 'closing queued one follow-up call, on the line the caller called')

  // An agent cannot forge the citizen's own key press (issue 12, finding 7), nor record an
  // evaluation without a follow-up call with the citizen.
  res = await inject('POST', `/v1/tickets/${ticket.id}/evaluate`, agent, { version: ticket.version, result: 'satisfied', digits: '1', method: 'phone-dtmf' })
  t.equal(res.statusCode, 403, "an agent's forged phone-dtmf evaluation is refused")
  t.match(res.json(), { code: 'HOTLINE_TICKET_FORBIDDEN', message: /only the follow-up dialer/ })
  res = await inject('POST', `/v1/tickets/${ticket.id}/evaluate`, agent, { version: ticket.version, result: 'satisfied' })
  t.equal(res.statusCode, 400, 'no follow-up call of the agent about this ticket: refused')
  t.match(res.json(), { message: /body\.callId/ })
  // The agent-assisted follow-up call, as the dialer and the call flow record it.
  const [task] = await sql<{ id: string }[]>`select id from follow_up_tasks where ticket_id = ${ticket.id} and status = 'due'`
  const attemptId = randomUUID()
  const followUpCallId = randomUUID()
  t.teardown(async () => { await sql`delete from dial_attempts where id = ${attemptId}`; await sql`delete from calls where id = ${followUpCallId}` })
  await sql`insert into dial_attempts (id, kind, task_id, attempt_no, channel_id, trunk_id, phone_number, state, agent_id, created_at, answered_at)
    values (${attemptId}, 'follow-up', ${task!.id}, 1, ${`tk-followup-${attemptId}`}, 'trunk', ${caller}, 'answered', 'tk-agent', now(), now())`
  await sql`insert into calls (id, caller_number, dialled_number, line_number, caller_channel_id, arrived_at, answered_at, agent_id)
    values (${followUpCallId}, ${caller}, ${caller}, '12345', ${`tk-followup-${attemptId}`}, now(), now(), 'tk-agent')`
  res = await inject('POST', `/v1/tickets/${ticket.id}/evaluate`, supervisor, { version: ticket.version, result: 'satisfied', callId: followUpCallId })
  t.equal(res.statusCode, 400, "someone else's follow-up call does not count")

  // The caller is unsatisfied: the ticket goes back for re-handling (退回重办).
  res = await inject('POST', `/v1/tickets/${ticket.id}/evaluate`, agent, { version: ticket.version, result: 'unsatisfied', digits: '3' })
  t.equal(res.statusCode, 200, 'evaluated')
  ticket = res.json() as TicketBody
  t.match(ticket, { status: 'reopened', reopenCount: 1, evaluationResult: 'unsatisfied', evaluationDigits: '3', evaluationMethod: 'agent-call', closedAt: null })
  t.match(ticket, { evaluationRecordedBy: 'tk-agent', evaluationCallId: followUpCallId, evaluationAttemptId: attemptId }, "marked as the agent's, tied to the agent's follow-up call")
  tasks = await sql`select status, phone_number, line_number, attempts from follow_up_tasks where ticket_id = ${ticket.id} order by id`
  t.same(tasks.map((x) => x.status), ['done'], 'the follow-up is done')

  const events = (await inject('GET', `/v1/tickets/${ticket.number}/events`, supervisor)).json() as { action: string; fromStatus: string | null; toStatus: string; actorId: string; actorRole: string; detail: Record<string, unknown> }[]
  const trail = events.map((e) => e.action).filter((a) => a !== 'supervise')
  t.same(trail, ['accept', 'dispatch', 'sign-for', 'co-reply', 'reply', 'close', 'evaluate', 'reopen'], 'the audit trail, in order')
  t.match(events.find((e) => e.action === 'dispatch'), { actorId: 'tk-agent', actorRole: 'agent', fromStatus: 'accepted', toStatus: 'dispatched', detail: { leadUnitId: 'tk-housing', coUnitIds: ['tk-district'] } })
  t.match(events.find((e) => e.action === 'co-reply'), { actorId: 'tk-u-district', actorRole: 'unit', detail: { unitId: 'tk-district' } })
  t.match(events.at(-1), { action: 'reopen', fromStatus: 'closed', toStatus: 'reopened', detail: { reason: 'caller unsatisfied' } })
  const [dbTrail] = await sql<{ n: number; last: string }[]>`select count(*)::int as n, (array_agg(action order by id desc))[1] as last from ticket_events where ticket_id = ${ticket.id}`
  t.same(dbTrail, { n: events.length, last: 'reopen' }, 'the trail is in PostgreSQL')

  // Second round: re-handled, closed again: a new follow-up, since the first is done.
  for (const [step, token, body] of [
    ['dispatch', agent, { leadUnitId: 'tk-housing' }], ['sign-for', housing, {}], ['reply', housing, { content: '已再次清理并安排每日巡查' }], ['close', agent, {}]
  ] as const) {
    res = await inject('POST', `/v1/tickets/${ticket.id}/${step}`, token, { version: ticket.version, ...body })
    t.equal(res.statusCode, 200, `second round: ${step}`)
    ticket = res.json() as TicketBody
  }
  tasks = await sql`select status from follow_up_tasks where ticket_id = ${ticket.id} order by id`
  t.same(tasks.map((x) => x.status), ['done', 'due'], 'closed again: a new follow-up')
  t.equal(ticket.redispatchCount, 0, 're-handling is not a re-dispatch')

  // Resolved on call: closed at once, with its follow-up.
  res = await inject('POST', '/v1/tickets', agent, { callerNumber: '13912340002', categoryCode: 'policy-inquiry', content: '咨询社保卡补办流程', resolvedOnCall: true, channel: 'phone', lineNumber: '12345' })
  t.equal(res.statusCode, 201)
  const onCall = res.json() as TicketBody
  t.match(onCall, { status: 'closed', resolvedOnCall: true, version: 2, open: false })
  t.same((await sql`select status, phone_number from follow_up_tasks where ticket_id = ${onCall.id}`).map((r) => ({ ...r })), [{ status: 'due', phoneNumber: '13912340002' }], 'its follow-up is queued')
  t.same((await sql`select action, to_status from ticket_events where ticket_id = ${onCall.id} order by id`).map((r) => [r.action, r.toStatus]), [['accept', 'accepted'], ['close', 'closed']])

  // A repeat caller: the first caller again while the first ticket is still open.
  res = await inject('POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode: 'city-management', content: '占道经营又出现了', channel: 'web' })
  const repeat = res.json() as TicketBody
  t.equal(repeat.repeatOf, first.id, 'marked as a repeat of the open ticket')

  // Illegal transitions.
  res = await inject('POST', `/v1/tickets/${repeat.id}/close`, agent, { version: 1 })
  t.equal(res.statusCode, 409)
  t.match(res.json(), { code: 'HOTLINE_TICKET_ILLEGAL_TRANSITION', message: /cannot close while accepted/, details: { ticketId: repeat.id, status: 'accepted' } })
  res = await inject('POST', `/v1/tickets/${repeat.id}/sign-for`, supervisor, { version: 1 })
  t.match(res.json(), { code: 'HOTLINE_TICKET_ILLEGAL_TRANSITION', message: /cannot sign-for while accepted/ })
  res = await inject('POST', `/v1/tickets/${onCall.id}/supervise`, supervisor, { version: 2, note: 'x' })
  t.equal(res.statusCode, 409, 'a closed ticket is not supervised')

  // Unknown ids, bad fields, tokens and roles.
  const cases: [string, 'GET' | 'POST', string, string | undefined, object | undefined, number, RegExp][] = [
    ['an unknown ticket id', 'GET', `/v1/tickets/${randomUUID()}`, agent, undefined, 404, /no ticket/],
    ['an unknown ticket number', 'GET', '/v1/tickets/12345-20000101-000001', agent, undefined, 404, /no ticket '12345-20000101-000001'/],
    ['a step on an unknown ticket', 'POST', `/v1/tickets/${randomUUID()}/dispatch`, agent, { version: 1, leadUnitId: 'tk-housing' }, 404, /no ticket/],
    ['events of an unknown ticket', 'GET', `/v1/tickets/${randomUUID()}/events`, agent, undefined, 404, /no ticket/],
    ['an id that is neither', 'GET', '/v1/tickets/abc', agent, undefined, 400, /params\.id/],
    ['accept without a category', 'POST', '/v1/tickets', agent, { callerNumber: caller, content: 'x' }, 400, /body\.categoryCode/],
    ['accept without content', 'POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode: 'housing' }, 400, /body\.content/],
    ['accept with an unknown category', 'POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode: 'astrology', content: 'x' }, 400, /body\.categoryCode: no ticket category 'astrology'/],
    ['accept with a bad channel', 'POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode: 'housing', content: 'x', channel: 'fax' }, 400, /body\.channel/],
    ['accept on an unknown call', 'POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode: 'housing', content: 'x', callId: randomUUID() }, 400, /body\.callId: no call/],
    ['accept with an unknown field', 'POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode: 'housing', content: 'x', colour: 'red' }, 400, /colour/],
    ['a step without a version', 'POST', `/v1/tickets/${repeat.id}/dispatch`, agent, { leadUnitId: 'tk-housing' }, 400, /body\.version/],
    ['dispatch to an unknown unit', 'POST', `/v1/tickets/${repeat.id}/dispatch`, agent, { version: 1, leadUnitId: 'tk-nowhere' }, 400, /body\.leadUnitId: no active unit 'tk-nowhere'/],
    ['dispatch to an unknown co-unit', 'POST', `/v1/tickets/${repeat.id}/dispatch`, agent, { version: 1, leadUnitId: 'tk-housing', coUnitIds: ['tk-nowhere'] }, 400, /body\.coUnitIds/],
    ['the lead unit as a co-unit', 'POST', `/v1/tickets/${repeat.id}/dispatch`, agent, { version: 1, leadUnitId: 'tk-housing', coUnitIds: ['tk-housing'] }, 400, /body\.coUnitIds/],
    ['evaluate with an unknown result', 'POST', `/v1/tickets/${onCall.id}/evaluate`, agent, { version: 2, result: 'meh' }, 400, /body\.result/],
    ['a search with limit 0', 'GET', '/v1/tickets?limit=0', agent, undefined, 400, /querystring\.limit/],
    ['a search by a malformed number', 'GET', '/v1/tickets?number=abc', agent, undefined, 400, /querystring\.number/],
    ['no token', 'GET', '/v1/tickets', undefined, undefined, 401, /bearer token/],
    ['no token for a step', 'POST', `/v1/tickets/${repeat.id}/dispatch`, undefined, { version: 1, leadUnitId: 'tk-housing' }, 401, /bearer token/],
    ['a unit accepting', 'POST', '/v1/tickets', housing, { callerNumber: caller, categoryCode: 'housing', content: 'x' }, 403, /needs agent or supervisor or admin/],
    ['a unit dispatching', 'POST', `/v1/tickets/${repeat.id}/dispatch`, housing, { version: 1, leadUnitId: 'tk-housing' }, 403, /may not/],
    ['an agent supervising', 'POST', `/v1/tickets/${repeat.id}/supervise`, agent, { version: 1, note: 'x' }, 403, /needs supervisor or admin/],
    ['an agent reopening', 'POST', `/v1/tickets/${ticket.id}/reopen`, agent, { version: ticket.version, reason: 'x' }, 403, /needs supervisor or admin/]
  ]
  for (const [what, method, url, token, payload, status, message] of cases) {
    const r = await inject(method, url, token, payload)
    t.equal(r.statusCode, status, `${what}: ${status}`)
    const body = r.json() as { code?: string; message?: string }
    t.match(body.message, message, `${what}: says why (${body.message})`)
    t.type(body.code, 'string', `${what}: has a code`)
  }
  const sameVersion = await inject('GET', `/v1/tickets/${repeat.id}`, agent)
  t.equal((sameVersion.json() as TicketBody).version, 1, 'refused changes changed nothing')

  // Search.
  let found = (await inject('GET', `/v1/tickets?callerNumber=${caller}`, agent)).json() as { tickets: TicketBody[]; total: number }
  t.equal(found.total, 2, 'both tickets of the caller')
  t.same(found.tickets.map((x) => x.id), [repeat.id, first.id], 'newest first')
  found = (await inject('GET', `/v1/tickets?callerNumber=${caller}&limit=1&offset=1`, agent)).json() as { tickets: TicketBody[]; total: number }
  t.same([found.tickets.map((x) => x.id), found.total], [[first.id], 2], 'paged')
  found = (await inject('GET', `/v1/tickets?number=${onCall.number}`, agent)).json() as { tickets: TicketBody[]; total: number }
  t.same(found.tickets.map((x) => x.id), [onCall.id], 'by number')
  t.equal((await inject('GET', `/v1/tickets/${onCall.number}`, agent)).json().id, onCall.id, 'a ticket is also read by its number')
  found = (await inject('GET', `/v1/tickets?status=accepted`, supervisor)).json() as { tickets: TicketBody[]; total: number }
  t.same(found.tickets.map((x) => x.id), [repeat.id], 'by status')
  const from = new Date(Date.now() - 60_000).toISOString()
  found = (await inject('GET', `/v1/tickets?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, supervisor)).json() as { tickets: TicketBody[]; total: number }
  t.equal(found.total, 3, 'by date range')
  found = (await inject('GET', '/v1/tickets?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z', supervisor)).json() as { tickets: TicketBody[]; total: number }
  t.equal(found.total, 0, 'an empty date range')
  found = (await inject('GET', '/v1/tickets', water)).json() as { tickets: TicketBody[]; total: number }
  t.equal(found.total, 0, 'a unit sees only its own tickets')
  found = (await inject('GET', '/v1/tickets', district)).json() as { tickets: TicketBody[]; total: number }
  t.same(found.tickets.map((x) => x.id), [], 'a co-unit dropped from the second dispatch no longer sees it')
  found = (await inject('GET', '/v1/tickets', housing)).json() as { tickets: TicketBody[]; total: number }
  t.same(found.tickets.map((x) => x.id), [first.id], 'the lead unit sees its ticket')

  // The screen pop, as the call side will use it.
  const pop = await hotline.tickets.recentForCaller(caller, 5)
  t.same(pop.map((p) => [p.number, p.status, p.open]), [[repeat.number, 'accepted', true], [first.number, 'closed', false]], 'newest first, with status and open flag')

  const spec = (await inject('GET', '/docs/json')).json() as { paths: Record<string, unknown> }
  for (const path of ['/v1/tickets', '/v1/tickets/{id}', '/v1/tickets/{id}/events', '/v1/tickets/{id}/dispatch', '/v1/tickets/{id}/evaluate', '/v1/units', '/v1/ticket-categories']) {
    t.ok(spec.paths[path], `OpenAPI documents ${path}`)
  }
})
