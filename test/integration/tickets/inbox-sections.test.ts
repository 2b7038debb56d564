/**
 * The units' inbox sorts and counts in SQL (TicketStore.inboxPage): held here to the pure rule
 * (inboxSection in src/tickets/deadlines.ts) over tickets in every state a unit meets, with
 * paging through one section, and a unit that sees only its own tickets.
 *
 * Keeps to itself: units and tickets 'ti-' / 'TI-' only, its own ARI app name and Redis database.
 */
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { migrate } from '../../../src/db/migrate.ts'
import { inboxSection } from '../../../src/tickets/rules.ts'
import { toTicket, type TicketRow } from '../../../src/tickets/rows.ts'
import { testConfig } from '../../helpers/services.ts'
import { ownerSql } from '../../helpers/hotline.ts'

const HOUR = 3_600_000

t.test('inbox sections in SQL agree with inboxSection()', async (t) => {
  const base = testConfig()
  const redis = new URL(base.REDIS_URL)
  redis.pathname = '/7'
  const hotline = await createHotline(testConfig({ HOTLINE_ARI_APP: 'hotline-test-inbox-sections', REDIS_URL: redis.toString(), HOTLINE_REMINDER_SWEEP_S: '0', HOTLINE_DUE_SOON_H: '24' }))
  t.teardown(() => hotline.close())
  const sql = ownerSql(t)
  await migrate(sql)
  const clear = async () => {
    await sql`delete from tickets where number like 'TI-%'`
    await sql`delete from units where id like 'ti-%'`
  }
  await clear()
  t.teardown(clear)
  await sql`insert into units (id, name, kind) values ('ti-a', '甲', 'district'), ('ti-b', '乙', 'department'), ('ti-c', '丙', 'street')`
  await hotline.start({ waitForPbx: false })

  // Every combination that moves a ticket between sections, for unit a as lead, co-unit and sub-unit.
  const now = Date.now()
  const deadlines = [now - 5 * HOUR, now + 2 * HOUR, now + 20 * HOUR, now + 50 * HOUR]
  let g = 0
  for (const status of ['dispatched', 'signed-for', 'replied', 'closed']) {
    for (const deadline of deadlines) {
      for (const role of ['lead', 'co', 'sub', 'other']) {
        for (const extra of ['none', 'sub-reply', 'pending', 'reopened']) {
          g += 1
          const lead = role === 'lead' || role === 'sub' ? 'ti-a' : role === 'co' ? 'ti-b' : 'ti-b'
          const leadUnit = role === 'sub' ? 'ti-b' : lead
          await sql`insert into tickets (number, status, caller_number, channel, category_code, content, limit_hours, deadline, lead_unit_id, co_unit_ids, sub_unit_id,
              sub_reply, pending_request, reopen_count, accepted_by, created_at, dispatched_at)
            values (${'TI-' + g}, ${status}, '13800000000', 'phone', 'city-management', ${'内容 ' + g + ' ' + '很长'.repeat(40)}, 72, ${new Date(deadline)}, ${leadUnit},
              ${role === 'co' ? ['ti-a'] : role === 'other' ? ['ti-c'] : []}, ${role === 'sub' ? 'ti-a' : null},
              ${extra === 'sub-reply' ? sql.json({ unitId: 'ti-c', content: '下级答复', at: new Date(now).toISOString() }) : null},
              ${extra === 'pending' ? sql.json({ kind: 'extension', unitId: 'ti-a', reason: '需要时间', hours: 24, at: new Date(now).toISOString() }) : null},
              ${extra === 'reopened' ? 1 : 0}, 'ti-agent', ${new Date(now - 24 * HOUR)}, ${new Date(now - 24 * HOUR)})`
        }
      }
    }
  }
  const all = (await sql<TicketRow[]>`select * from tickets where number like 'TI-%'`).map(toTicket)
  const token = (unitId: string) => hotline.app.jwt.sign({ sub: `${unitId}-user`, role: 'unit', name: unitId, unitId })
  type Inbox = { now: string; sections: Record<string, number>; tickets: { section: string; ticket: { number: string; content: string; deadline: string; subReplyWaiting: boolean; pendingRequest: string | null } }[] }
  const get = async (unitId: string, query = '') => {
    const res = await hotline.app.inject({ method: 'GET', url: `/v1/units/me/inbox${query}`, headers: { authorization: `Bearer ${token(unitId)}` } })
    if (res.statusCode !== 200) throw new Error(`inbox ${unitId}${query}: ${res.statusCode} ${res.body}`)
    return res.json() as Inbox
  }

  for (const unitId of ['ti-a', 'ti-b', 'ti-c']) {
    const inbox = await get(unitId, '?perSection=20000')
    const at = Date.parse(inbox.now)
    const want = new Map<string, string>()
    for (const ticket of all) {
      const section = inboxSection(ticket, unitId, at, 24 * HOUR)
      if (section) want.set(ticket.number, section)
    }
    const wantCounts: Record<string, number> = {}
    for (const s of want.values()) wantCounts[s] = (wantCounts[s] ?? 0) + 1
    t.same(inbox.sections, wantCounts, `${unitId}: the counts per section are the pure rule's`)
    t.same(new Map(inbox.tickets.map((e) => [e.ticket.number, e.section])), want, `${unitId}: every ticket in the section the pure rule puts it, and no other unit's`)
    const deadlinesInOrder = inbox.tickets.map((e) => Date.parse(e.ticket.deadline))
    t.same(deadlinesInOrder, [...deadlinesInOrder].sort((a, b) => a - b), `${unitId}: earliest deadline first`)
    t.ok(inbox.tickets.every((e) => e.ticket.content.length <= 60), `${unitId}: content cut short`)
    const byNumber = new Map(all.map((x) => [x.number, x]))
    t.ok(inbox.tickets.every((e) => e.ticket.subReplyWaiting === (byNumber.get(e.ticket.number)!.subReply !== null) && e.ticket.pendingRequest === (byNumber.get(e.ticket.number)!.pendingRequest?.kind ?? null)), `${unitId}: the cards' sub-reply and request flags`)
  }

  // The first page per section, then one section paged through to its end.
  const first = await get('ti-a', '?perSection=2')
  const full = await get('ti-a', '?perSection=20000')
  t.same(first.sections, full.sections, 'a page carries the counts of all the tickets')
  for (const [section, n] of Object.entries(full.sections)) {
    t.equal(first.tickets.filter((e) => e.section === section).length, Math.min(2, n), `first page: at most 2 of ${section}`)
  }
  const [section, n] = Object.entries(full.sections).sort((a, b) => b[1] - a[1])[0]!
  const paged: string[] = []
  for (let offset = 0; offset < n + 2; offset += 3) {
    const page = await get('ti-a', `?section=${section}&perSection=3&offset=${offset}`)
    t.ok(page.tickets.every((e) => e.section === section), `offset ${offset}: only ${section}`)
    paged.push(...page.tickets.map((e) => e.ticket.number))
  }
  t.same(paged, full.tickets.filter((e) => e.section === section).map((e) => e.ticket.number), `${section} (${n}) paged 3 at a time: each once, in deadline order`)
  t.equal((await hotline.app.inject({ method: 'GET', url: '/v1/units/me/inbox?section=bogus', headers: { authorization: `Bearer ${token('ti-a')}` } })).statusCode, 400, 'an unknown section is refused')
})
