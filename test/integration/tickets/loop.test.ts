/**
 * The ticket loop against the real PostgreSQL and Socket.IO (Redis adapter): the units' side
 * (sign-for, progress, co-unit replies first, 转办 with review, attachments in the database,
 * the citizen's number withheld), return with review, extension approval, A/B assignment,
 * 并单 with a follow-up for each citizen, the 10-citizen escalation, the reminder, and a unit
 * that cannot see or act on another unit's tickets over REST or sockets.
 *
 * Like api.test.ts it keeps to itself (own ARI app name, own Redis database, ids 'tl-'),
 * empties only the ticket tables and never resets the world.
 */
import t from 'tap'
import { io as connect, type Socket } from 'socket.io-client'
import { createHotline, type Hotline } from '../../../src/app.ts'
import { migrate } from '../../../src/db/migrate.ts'
import { testConfig } from '../../helpers/services.ts'
import { ownerSql } from '../../helpers/hotline.ts'

const REDIS_DB = 6
interface TicketBody { id: string; number: string; status: string; version: number; [k: string]: unknown }
type Notice = { ticketId: string; number: string; status: string; reason: string }

function ownRedis(url: string): string {
  const u = new URL(url)
  u.pathname = `/${REDIS_DB}`
  return u.toString()
}

t.test('the ticket loop', async (t) => {
  const base = testConfig()
  const config = { ...testConfig({ HOTLINE_ARI_APP: 'hotline-test-ticket-loop', REDIS_URL: ownRedis(base.REDIS_URL), HOTLINE_REMIND_BEFORE_H: '4', HOTLINE_REMINDER_SWEEP_S: '0' }), HOTLINE_ADMIN_PASSWORD: undefined }
  const hotline: Hotline = await createHotline(config)
  t.teardown(() => hotline.close())
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  await migrate(sql)
  await sql`truncate tickets, ticket_calls, ticket_events, follow_up_tasks, ticket_number_counters, ticket_attachments, ticket_escalations cascade`
  await sql`delete from users where id like 'tl-%'`
  await sql`update units set parent_id = null where id like 'tl-%'`
  await sql`delete from units where id like 'tl-%'`
  await hotline.start()
  await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const address = hotline.app.server.address() as { port: number }
  const url = `http://127.0.0.1:${address.port}`

  const inject = (method: 'GET' | 'POST', path: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url: path, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const login = async (id: string) => {
    const res = await inject('POST', '/v1/auth/token', undefined, { username: id, password: `${id}-password` })
    if (res.statusCode !== 200) throw new Error(`login ${id}: ${res.statusCode} ${res.body}`)
    return (res.json() as { token: string }).token
  }
  const step = async (token: string, ticket: TicketBody, name: string, body: object = {}, expect = 200) => {
    const res = await inject('POST', `/v1/tickets/${ticket.id}/${name}`, token, { version: ticket.version, ...body })
    if (res.statusCode !== expect) throw new Error(`${name}: ${res.statusCode} ${res.body}`)
    return res.json() as TicketBody
  }

  for (const [id, role] of [['tl-admin', 'admin'], ['tl-agent', 'agent'], ['tl-super', 'supervisor']] as const) await hotline.users.create({ id, displayName: id, role, password: `${id}-password` })
  const admin = await login('tl-admin')
  const agent = await login('tl-agent')
  const supervisor = await login('tl-super')
  for (const [id, name, kind, parentId] of [['tl-district', '幸福区政府', 'district', undefined], ['tl-street', '幸福街道办', 'street', 'tl-district'], ['tl-water', '自来水公司', 'enterprise', undefined], ['tl-other', '交通局', 'department', undefined]] as const) {
    const res = await inject('POST', '/v1/units', admin, { id, name, kind, ...(parentId ? { parentId } : {}) })
    t.equal(res.statusCode, 201, `unit ${id}`)
  }
  t.match((await inject('POST', '/v1/units', admin, { id: 'tl-x', name: 'x', kind: 'street', parentId: 'tl-nowhere' })).json(), { message: /body\.parentId: no active unit/ }, 'a parent must exist')
  const unitUsers: Record<string, string> = {}
  for (const [id, unitId] of [['tl-u-d1', 'tl-district'], ['tl-u-d2', 'tl-district'], ['tl-u-street', 'tl-street'], ['tl-u-water', 'tl-water'], ['tl-u-other', 'tl-other']]) {
    await hotline.users.create({ id: id!, displayName: id!, role: 'unit', password: `${id}-password`, unitId: unitId! })
    unitUsers[id!] = await login(id!)
  }
  const d1 = unitUsers['tl-u-d1']!
  const d2 = unitUsers['tl-u-d2']!
  const street = unitUsers['tl-u-street']!
  const water = unitUsers['tl-u-water']!
  const other = unitUsers['tl-u-other']!

  // Units' sockets: each hears only about its own unit's tickets.
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.disconnect() })
  const unitSocket = async (token: string | undefined) => {
    const s = connect(`${url}/unit`, { transports: ['websocket'], auth: token ? { token } : {}, reconnection: false })
    sockets.push(s)
    return new Promise<Socket>((resolve, reject) => { s.on('connect', () => resolve(s)); s.on('connect_error', reject) })
  }
  const heard: Record<string, Notice[]> = { district: [], water: [], other: [], street: [] }
  for (const [name, token] of [['district', d1], ['water', water], ['other', other], ['street', street]] as const) (await unitSocket(token)).on('ticket:notice', (n: Notice) => heard[name]!.push(n))
  await t.rejects(unitSocket(undefined), /HOTLINE_AUTH_UNAUTHORIZED/, 'no token: the units namespace refuses the socket')
  await t.rejects(unitSocket(agent), /HOTLINE_AUTH_FORBIDDEN/, 'an agent is not a unit')
  const waitNotice = async (who: string, ticketId: string, reason: string) => {
    for (let i = 0; i < 100; i++) {
      if (heard[who]!.some((n) => n.ticketId === ticketId && n.reason === reason)) return true
      await new Promise((r) => setTimeout(r, 50))
    }
    return false
  }

  // Accept (contact not allowed) and dispatch to the district with the water company as co-unit.
  let ticket = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13912345001', callerName: '李先生', categoryCode: 'city-management', content: '幸福路路灯不亮，水管漏水', address: '幸福路 18 号' })).json() as TicketBody
  ticket = await step(agent, ticket, 'dispatch', { leadUnitId: 'tl-district', coUnitIds: ['tl-water'] })
  t.ok(await waitNotice('district', ticket.id, 'dispatched'), 'the lead unit is told over its socket at once')
  t.ok(await waitNotice('water', ticket.id, 'dispatched'), 'so is the co-unit')
  t.notOk(heard.other!.some((n) => n.ticketId === ticket.id), 'another unit hears nothing of it')
  t.notOk(JSON.stringify(heard.district).includes('13912345001'), 'a notice carries no caller number')

  let seen = (await inject('GET', `/v1/tickets/${ticket.id}`, d1)).json() as TicketBody
  t.match(seen, { callerNumber: null, callerName: null, callerHidden: true }, "the unit does not see the citizen's number (contact not allowed)")
  t.match((await inject('GET', `/v1/tickets/${ticket.id}`, agent)).json(), { callerNumber: '13912345001', callerHidden: false }, 'the center does')
  t.equal((await inject('GET', '/v1/tickets?callerNumber=13912345001', d1)).statusCode, 403, 'a unit cannot search by the number either')
  t.equal((await inject('GET', `/v1/tickets/${ticket.id}`, other)).statusCode, 403, "another unit cannot read it over REST")
  t.equal((await inject('POST', `/v1/tickets/${ticket.id}/sign-for`, other, { version: ticket.version })).statusCode, 403, 'nor act on it')
  t.equal((await inject('GET', `/v1/tickets/${ticket.id}/attachments`, other)).statusCode, 403, 'nor list its attachments')
  const otherSocket = sockets[2]!
  const denied = await otherSocket.emitWithAck('ticket:get', { id: ticket.id }) as { ok: boolean; error?: { code: string } }
  t.match(denied, { ok: false, error: { code: 'HOTLINE_TICKET_FORBIDDEN' } }, 'nor over its socket')
  const otherInbox = await otherSocket.emitWithAck('inbox:get') as { ok: boolean; data: unknown[] }
  t.same(otherInbox, { ok: true, data: [] }, "and its socket inbox is empty")
  const districtInbox = await sockets[0]!.emitWithAck('inbox:get') as { ok: boolean; data: { section: string; ticket: TicketBody }[] }
  t.same(districtInbox.data.map((e) => [e.section, e.ticket.id, 'callerNumber' in e.ticket]), [['new', ticket.id, false]], "the lead unit's inbox: new, no caller number in it")
  const waterInbox = (await inject('GET', '/v1/units/me/inbox', water)).json() as { sections: Record<string, number>; tickets: { section: string }[] }
  t.same([waterInbox.tickets.map((e) => e.section), waterInbox.sections], [['co-handling'], { 'co-handling': 1 }], "the co-unit's inbox over REST, with the count per section")

  // Sign for, progress, the co-unit first, 转办 to the street office and its review.
  ticket = await step(d1, ticket, 'sign-for')
  t.ok(ticket.signedForAt, 'signed for, with the time')
  ticket = await step(d1, ticket, 'progress', { note: '已派人现场查看' })
  let res = await inject('POST', `/v1/tickets/${ticket.id}/reply`, d1, { version: ticket.version, content: '已修复' })
  t.equal(res.statusCode, 409, 'the lead unit cannot reply before its co-unit')
  t.match(res.json(), { message: /waiting for the co-units' replies: tl-water/ })
  ticket = await step(water, ticket, 'reply', { content: '水管已抢修完毕' })
  t.ok(await waitNotice('district', ticket.id, 'changed'), "the lead unit hears of the co-unit's reply")
  seen = (await inject('GET', `/v1/tickets/${ticket.id}`, d1)).json() as TicketBody
  t.same([seen.coReplies, seen.waitingForCoUnits], [['tl-water'], []], 'and sees it before replying')
  t.equal((await inject('POST', `/v1/tickets/${ticket.id}/transfer`, d1, { version: ticket.version, subUnitId: 'tl-other' })).statusCode, 400, '转办 only to a unit beneath')
  ticket = await step(d1, ticket, 'transfer', { subUnitId: 'tl-street', note: '请街道核实路灯' })
  t.ok(await waitNotice('street', ticket.id, 'transferred'), 'the street office is told')
  ticket = await step(street, ticket, 'reply', { content: '路灯已更换' })
  t.match(ticket, { status: 'signed-for', subReply: { unitId: 'tl-street', content: '路灯已更换' } }, "the street's reply waits for review")
  ticket = await step(d1, ticket, 'review-sub-reply', { approve: false, note: '请附照片' })
  ticket = await step(street, ticket, 'reply', { content: '路灯已更换，附照片' })

  // Attachments: kept in PostgreSQL, with type and size limits.
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
  res = await inject('POST', `/v1/tickets/${ticket.id}/attachments`, street, { name: '现场照片.png', contentType: 'image/png', data: png.toString('base64') })
  t.equal(res.statusCode, 201, 'a photo is attached')
  const attachment = res.json() as { id: string; size: number }
  t.equal(attachment.size, png.length)
  t.equal((await inject('POST', `/v1/tickets/${ticket.id}/attachments`, d1, { name: 'x.exe', contentType: 'application/x-msdownload', data: 'AAAA' })).statusCode, 400, 'a program is refused')
  res = await inject('POST', `/v1/tickets/${ticket.id}/attachments`, d1, { name: 'big.pdf', contentType: 'application/pdf', data: Buffer.alloc(5 * 1024 * 1024 + 1, 1).toString('base64') })
  t.equal(res.statusCode, 413, 'a file over the limit is refused')
  const [stored] = await sql<{ n: number }[]>`select octet_length(data)::int as n from ticket_attachments where id = ${attachment.id}`
  t.equal(stored!.n, png.length, 'the bytes are in the database (a backup keeps them)')
  const download = await inject('GET', `/v1/tickets/${ticket.id}/attachments/${attachment.id}`, d1)
  t.same([download.statusCode, download.headers['content-type'], Buffer.compare(download.rawPayload, png)], [200, 'image/png', 0], 'downloaded as uploaded')
  t.equal((await inject('GET', `/v1/tickets/${ticket.id}/attachments/${attachment.id}`, other)).statusCode, 403, 'not by another unit')
  const audited = await sql`select actor from audit_log where action = 'ticket.attachment-download' and target = ${ticket.id}`
  t.same(audited.map((r) => r.actor), ['tl-u-d1'], 'the download is in the audit log')

  ticket = await step(d1, ticket, 'review-sub-reply', { approve: true })
  t.match(ticket, { status: 'replied', reply: '路灯已更换，附照片' }, 'approved, the reply leaves')
  ticket = await step(agent, ticket, 'close')

  // 约定回访时间 (issue 12, finding 7): inside the calling windows only, and audited either way.
  await sql`update follow_up_campaigns set windows = '[{"from":"08:30","to":"12:00"},{"from":"14:00","to":"20:30"}]' where id = 'default'`
  const tomorrow = new Date(Date.now() + 32 * 3_600_000).toISOString().slice(0, 10)
  res = await inject('POST', `/v1/tickets/${ticket.id}/follow-up/agreed-time`, agent, { at: `${tomorrow}T03:00:00+08:00` })
  t.equal(res.statusCode, 400, 'an agreed time at 03:00 is refused')
  t.match(res.json(), { message: /outside the calling windows.*next opening is/ })
  res = await inject('POST', `/v1/tickets/${ticket.id}/follow-up/agreed-time`, agent, { at: `${tomorrow}T10:00:00+08:00` })
  t.equal(res.statusCode, 200, 'one at 10:00 is taken')
  const agreedAudit = await sql<{ outcome: string }[]>`select outcome from audit_log where action = 'follow-up.agreed-time' and target = ${ticket.id} order by at`
  t.same(agreedAudit.map((r) => r.outcome), ['failure', 'success'], 'both are in the audit log')
  const trail = ((await inject('GET', `/v1/tickets/${ticket.id}/events`, supervisor)).json() as { action: string }[]).map((e) => e.action)
  t.same(trail, ['accept', 'dispatch', 'sign-for', 'progress', 'co-reply', 'transfer', 'sub-reply', 'review-sub-reply', 'sub-reply', 'review-sub-reply', 'reply', 'close'], 'the whole trail')

  // Return with review (派单异议审核): the first unit stays responsible until the ruling.
  let second = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13912345002', categoryCode: 'transport', content: '公交站牌损坏', address: '和平路口' })).json() as TicketBody
  second = await step(agent, second, 'dispatch', { leadUnitId: 'tl-district' })
  second = await step(d1, second, 'return', { reason: '公交站牌属交通局管理' })
  t.match(second, { status: 'dispatched', leadUnitId: 'tl-district', pendingRequest: { kind: 'return', unitId: 'tl-district' } }, 'a request, not a bounce')
  let desk = (await inject('GET', '/v1/ticket-review-desk', supervisor)).json() as { returns: TicketBody[]; extensions: TicketBody[]; escalations: unknown[]; keySupervision: TicketBody[] }
  t.same(desk.returns.map((x) => x.id), [second.id], 'it waits on the review desk')
  t.equal((await inject('GET', '/v1/ticket-review-desk', d1)).statusCode, 403, 'the desk is for supervisors')
  t.equal((await inject('POST', `/v1/tickets/${second.id}/rule-return`, agent, { version: second.version, decision: 'reject', ruling: 'x' })).statusCode, 403, 'agents do not rule')
  second = await step(supervisor, second, 'rule-return', { decision: 'redispatch', leadUnitId: 'tl-other', ruling: '属交通局职责，改派' })
  t.match(second, { leadUnitId: 'tl-other', redispatchCount: 1, pendingRequest: null })
  t.ok(await waitNotice('other', second.id, 'dispatched'), 'the new unit is told')
  t.ok(await waitNotice('district', second.id, 'withdrawn'), 'the old one learns it is gone')
  t.equal((await inject('GET', `/v1/tickets/${second.id}`, d1)).statusCode, 403, 'and can no longer read it')
  second = await step(other, second, 'return', { reason: '不属于本单位' })
  second = await step(supervisor, second, 'rule-return', { decision: 'reject', ruling: '站牌属交通局，首办负责' })
  t.match(second, { leadUnitId: 'tl-other', pendingRequest: null, redispatchCount: 1 }, 'sent back with a ruling: still theirs')
  t.ok(await waitNotice('other', second.id, 'ruled'), 'and told so')

  // Extension (延期): the deadline moves only on approval.
  const before = Date.parse(second.deadline as string)
  second = await step(other, second, 'request-extension', { reason: '需采购新站牌', hours: 48 })
  t.equal(Date.parse(second.deadline as string), before, 'asking does not move the deadline')
  desk = (await inject('GET', '/v1/ticket-review-desk', supervisor)).json() as typeof desk
  t.same(desk.extensions.map((x) => x.id), [second.id], 'the request is on the desk')
  second = await step(supervisor, second, 'rule-extension', { approve: true, ruling: '同意' })
  t.equal(Date.parse(second.deadline as string), before + 48 * 3_600_000, 'approved: 48 hours more')

  // A/B roles.
  second = await step(agent, second, 'dispatch', { leadUnitId: 'tl-district' })
  t.equal((await inject('POST', `/v1/tickets/${second.id}/assign`, d1, { version: second.version, userId: 'tl-u-water' })).statusCode, 400, 'only to a user of the unit')
  second = await step(d1, second, 'assign', { userId: 'tl-u-d1' })
  t.equal((await inject('POST', `/v1/tickets/${second.id}/sign-for`, d2, { version: second.version })).statusCode, 403, 'another user of the unit does not act on an assigned ticket')
  second = await step(d1, second, 'assign', { userId: 'tl-u-d1', backupUserId: 'tl-u-d2' })
  second = await step(d2, second, 'sign-for')
  t.equal(second.status, 'signed-for', 'the backup (B角) does')

  // 并单: two citizens, one handling, two follow-ups.
  let main = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13912345101', categoryCode: 'environment', content: '工地夜间施工噪音', address: '东风路 3 号' })).json() as TicketBody
  main = await step(agent, main, 'dispatch', { leadUnitId: 'tl-district' })
  let dup = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13912345102', categoryCode: 'environment', content: '东风路工地半夜还在施工', address: '东风路3号' })).json() as TicketBody
  dup = await step(agent, dup, 'merge', { intoTicket: main.number })
  t.match(dup, { status: 'merged', mergedInto: main.id })
  t.same(((await inject('GET', `/v1/tickets/${main.id}/merged`, agent)).json() as TicketBody[]).map((x) => x.id), [dup.id], 'listed on the ticket it joined')
  main = await step(d1, main, 'sign-for')
  main = await step(d1, main, 'reply', { content: '已责令工地夜间停工' })
  main = await step(agent, main, 'close')
  dup = (await inject('GET', `/v1/tickets/${dup.id}`, agent)).json() as TicketBody
  t.match(dup, { status: 'closed', reply: '已责令工地夜间停工' }, 'the merged request is closed with the one reply')
  const tasks = await sql<{ phoneNumber: string }[]>`select phone_number from follow_up_tasks where ticket_id in (${main.id}, ${dup.id}) and status = 'due' order by phone_number`
  t.same(tasks.map((x) => x.phoneNumber), ['13912345101', '13912345102'], 'each citizen gets a follow-up call')

  // The 10-citizen escalation: same category and place within the window.
  const matter: TicketBody[] = []
  for (let i = 0; i < 10; i++) {
    const m = (await inject('POST', '/v1/tickets', agent, { callerNumber: `1390000${String(i).padStart(4, '0')}`, categoryCode: 'housing', content: `小区电梯停运 ${i}`, address: '阳光小区 5 栋' })).json() as TicketBody
    matter.push(m)
    if (i === 0) await step(agent, m, 'dispatch', { leadUnitId: 'tl-district' })
    if (i === 8) {
      desk = (await inject('GET', '/v1/ticket-review-desk', supervisor)).json() as typeof desk
      t.equal(desk.escalations.length, 0, 'nine citizens: no escalation yet')
    }
  }
  desk = (await inject('GET', '/v1/ticket-review-desk', supervisor)).json() as typeof desk
  t.match(desk.escalations, [{ kind: 'matter', count: 10 }], 'the tenth citizen raises escalated supervision')
  const flagged = await sql<{ n: number }[]>`select count(*)::int as n from tickets where escalated and id = any(${matter.map((m) => m.id)})`
  t.equal(flagged[0]!.n, 10, 'every ticket of the matter is marked')
  t.ok(await waitNotice('district', matter[0]!.id, 'escalated'), 'the unit handling one of them is told')

  // 催办 before the deadline: a very urgent ticket (2 h) is within the 4 h reminder lead.
  let urgent = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13912345201', categoryCode: 'health', content: '医院门口积水', urgency: 'very-urgent' })).json() as TicketBody
  urgent = await step(agent, urgent, 'dispatch', { leadUnitId: 'tl-water' })
  res = await inject('POST', '/v1/ticket-reminders', supervisor)
  t.ok((res.json() as { sent: number }).sent >= 1, 'the sweep sends the reminder')
  t.ok(await waitNotice('water', urgent.id, 'reminded'), 'pushed to the unit')
  const [remind] = await sql<{ detail: { when: string } }[]>`select detail from ticket_events where ticket_id = ${urgent.id} and action = 'remind'`
  t.match(remind, { detail: { when: 'before-deadline' } }, 'and recorded')
  await inject('POST', '/v1/ticket-reminders', supervisor)
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from ticket_events where ticket_id = ${urgent.id} and action = 'remind'`
  t.equal(count!.n, 1, 'once per round')

  const spec = (await inject('GET', '/docs/json')).json() as { paths: Record<string, unknown> }
  for (const p of ['/v1/units/me/inbox', '/v1/ticket-review-desk', '/v1/ticket-reminders', '/v1/tickets/{id}/attachments', '/v1/tickets/{id}/rule-return', '/v1/tickets/{id}/merge']) t.ok(spec.paths[p], `OpenAPI documents ${p}`)
})
