/**
 * Ticket KPIs end to end on the real PostgreSQL: tickets walked through their life over REST
 * (and the dialer's evaluation through the ticket service, as the dialer records it), then the
 * report: exact counts and rates, the follow-up reconciliation, the ranking, and the same
 * figures in the JSON, the CSV and the page drawn by real Chromium. A screenshot of the page
 * is kept in test-artifacts/ticket-kpis.png, the monthly analysis in test-artifacts/.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { createHotline, type Hotline } from '../../../src/app.ts'
import { migrate } from '../../../src/db/migrate.ts'
import { centerDay } from '../../../src/tickets/rules.ts'
import { openChromium } from '../../helpers/browser.ts'
import { ARTIFACTS, testConfig } from '../../helpers/services.ts'
import { ownerSql } from '../../helpers/hotline.ts'

interface TicketBody { id: string; number: string; status: string; version: number; [k: string]: unknown }
type Row = Record<string, string | number | null>

function parseCsv(text: string): { comments: string[]; rows: Row[] } {
  const lines = text.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean)
  const comments = lines.filter((l) => l.startsWith('#') || l.startsWith('"#'))
  const table = lines.filter((l) => !comments.includes(l))
  const cols = table[0]!.split(',')
  return { comments, rows: table.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v === '' ? null : /^-?[0-9.]+$/.test(v) ? Number(v) : v]))) }
}

t.test('ticket KPIs: JSON, CSV and page agree on the facts', async (t) => {
  const base = testConfig()
  const u = new URL(base.REDIS_URL); u.pathname = '/7'
  const config = { ...testConfig({ HOTLINE_ARI_APP: 'hotline-test-ticket-kpis', REDIS_URL: u.toString(), HOTLINE_REMINDER_SWEEP_S: '0' }), HOTLINE_ADMIN_PASSWORD: undefined }
  const hotline: Hotline = await createHotline(config)
  t.teardown(() => hotline.close())
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  await migrate(sql)
  await sql`truncate tickets, ticket_calls, ticket_events, follow_up_tasks, ticket_number_counters, ticket_attachments, ticket_escalations cascade`
  await sql`delete from users where id like 'tq-%'`
  await sql`delete from units where id like 'tq-%'`
  await hotline.start()
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const inject = (method: 'GET' | 'POST', p: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url: p, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const login = async (id: string) => ((await inject('POST', '/v1/auth/token', undefined, { username: id, password: `${id}-password` })).json() as { token: string }).token
  for (const [id, role] of [['tq-admin', 'admin'], ['tq-agent', 'agent'], ['tq-super', 'supervisor']] as const) await hotline.users.create({ id, displayName: id, role, password: `${id}-password` })
  const admin = await login('tq-admin'); const agent = await login('tq-agent'); const supervisor = await login('tq-super')
  for (const [id, name] of [['tq-roads', '市政局'], ['tq-parks', '园林局']]) await inject('POST', '/v1/units', admin, { id, name, kind: 'department' })
  for (const [id, unitId] of [['tq-u-roads', 'tq-roads'], ['tq-u-parks', 'tq-parks']] as const) await hotline.users.create({ id, displayName: id, role: 'unit', password: `${id}-password`, unitId })
  const roads = await login('tq-u-roads'); const parks = await login('tq-u-parks')
  const step = async (token: string, tk: TicketBody, name: string, body: object = {}) => {
    const res = await inject('POST', `/v1/tickets/${tk.id}/${name}`, token, { version: tk.version, ...body })
    if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body}`)
    return res.json() as TicketBody
  }
  const accept = async (caller: string, categoryCode: string, extra: object = {}) => (await inject('POST', '/v1/tickets', agent, { callerNumber: caller, categoryCode, content: '诉求内容', ...extra })).json() as TicketBody
  /** The dialer's evaluation, as the follow-up dialer records it (its attempt named). */
  const dialerEvaluates = async (id: string, answers: { result: 'satisfied' | 'basically-satisfied' | 'unsatisfied'; process: 'satisfied' | 'basically-satisfied' | 'unsatisfied'; solved: boolean }) => {
    const current = await hotline.tickets.get(id, { id: 'follow-up-dialer', role: 'system', unitId: null })
    return hotline.tickets.act(id, current.version, { type: 'evaluate', method: 'phone-dtmf', digits: '111', attemptId: randomUUID(), ...answers }, { id: 'follow-up-dialer', role: 'system', unitId: null })
  }

  // 1. 即办: closed on the call, then followed up: satisfied, solved.
  const onCall = await accept('13700000001', 'policy-inquiry', { resolvedOnCall: true })
  await dialerEvaluates(onCall.id, { result: 'satisfied', process: 'satisfied', solved: true })
  // 2. Roads: signed for at once, replied in time, closed; follow-up pending.
  let a = await accept('13700000002', 'city-management')
  a = await step(agent, a, 'dispatch', { leadUnitId: 'tq-roads' })
  a = await step(roads, a, 'sign-for'); a = await step(roads, a, 'reply', { content: '已修复' }); await step(agent, a, 'close')
  // 3. Roads: returned (asked), re-dispatched to parks by the ruling, handled, closed, evaluated unsatisfied with the result → reopened.
  let b = await accept('13700000003', 'city-management')
  b = await step(agent, b, 'dispatch', { leadUnitId: 'tq-roads' })
  b = await step(roads, b, 'return', { reason: '属园林' })
  b = await step(supervisor, b, 'rule-return', { decision: 'redispatch', leadUnitId: 'tq-parks', ruling: '改派园林局' })
  b = await step(parks, b, 'sign-for'); b = await step(parks, b, 'reply', { content: '已修剪' }); b = await step(agent, b, 'close')
  await dialerEvaluates(b.id, { result: 'unsatisfied', process: 'basically-satisfied', solved: false })
  // 4. Parks: the same caller again in the same category (复重), dispatched, left unanswered past its deadline.
  let c = await accept('13700000003', 'city-management', { urgency: 'very-urgent' })
  c = await step(agent, c, 'dispatch', { leadUnitId: 'tq-parks' })
  await sql`update tickets set deadline = now() - interval '1 minute' where id = ${c.id}`
  // 5. Parks: closed; its follow-up gave up (unreachable).
  let d = await accept('13700000005', 'environment')
  d = await step(agent, d, 'dispatch', { leadUnitId: 'tq-parks' })
  d = await step(parks, d, 'sign-for'); d = await step(parks, d, 'reply', { content: '已处理' }); d = await step(agent, d, 'close')
  await sql`update follow_up_tasks set status = 'unreachable' where ticket_id = ${d.id}`

  const month = centerDay(Date.now(), 'Asia/Shanghai').replace(/^(\d{4})(\d{2})\d{2}$/, '$1-$2')
  const res = await inject('GET', `/v1/ticket-kpis?month=${month}`, supervisor)
  t.equal(res.statusCode, 200)
  const report = res.json() as { rows: Row[]; columns: string[]; definitions: string[]; reconciliation: Record<string, unknown> }
  const row = (dim: string, key: string) => report.rows.find((r) => r.dimension === dim && r.key === key)!
  t.match(row('center', 'center'), {
    accepted: 5, resolvedOnCall: 1, dispatched: 4, signedForInTime: 3, closed: 3, closedOnTime: 3, overdue: 1, returned: 1, redispatches: 1, repeats: 1,
    followedUp: 1, followUpPending: 1, unreachable: 1, processEvaluated: 2, processSatisfied: 2, resultEvaluated: 2, resultSatisfied: 1, solvedAnswered: 2, solvedYes: 1,
    resolvedOnCallRate: 0.2, signForTimelyRate: 0.75, onTimeRate: 1, overdueRate: 0.25, returnRate: 0.25, repeatRate: 0.2, followUpRate: 0.3333, resultSatisfactionRate: 0.5, solvedRate: 0.5
  }, 'the center: exactly what the five tickets did')
  t.same(report.reconciliation, { closed: 3, followedUp: 1, pending: 1, unreachable: 1, unaccounted: 0, balanced: true }, 'closed = followed up + pending + unreachable')
  t.match(row('unit', 'tq-roads'), { accepted: 1, dispatched: 1, closed: 1, returned: 1 }, 'the ticket that left roads counts for the unit that holds it; its return request counts for roads, which asked')
  t.match(row('unit', 'tq-parks'), { accepted: 3, dispatched: 3, overdue: 1, returned: 0, redispatches: 1, resultSatisfied: 0, resultEvaluated: 1 }, 'parks, which got it by the ruling, asked for no return')
  t.match(row('category', 'city-management'), { accepted: 3 })
  t.match(row('line', '(none)'), { accepted: 5 })
  t.equal(row('unit', 'tq-roads').rank, 1, 'roads ranks above parks')
  t.equal(row('unit', 'tq-parks').rank, 2)
  t.ok(report.definitions.some((l) => l.startsWith('即办率')), 'definitions come with the report')
  t.equal((await inject('GET', `/v1/ticket-kpis?month=${month}`, agent)).statusCode, 403, 'agents do not read the KPIs')
  t.equal((await inject('GET', '/v1/ticket-kpis?month=2026-13', supervisor)).statusCode, 400, 'a month that is not one')
  t.equal((await inject('GET', '/v1/ticket-kpis', supervisor)).statusCode, 400, 'no period')

  const csv = await inject('GET', `/v1/ticket-kpis?month=${month}&format=csv`, supervisor)
  t.match(csv.headers['content-type'], /text\/csv/)
  const parsed = parseCsv(csv.body)
  t.ok(parsed.comments.some((l) => l.includes('即办率')), 'the CSV prints the definitions')
  t.same(parsed.rows, report.rows, 'the CSV has the same rows and figures as the JSON')
  const monthly = await inject('GET', `/v1/ticket-kpis/monthly-analysis?month=${month}`, supervisor)
  t.match(monthly.body, /单位综合评价排名[\s\S]*1,市政局/, 'the monthly analysis ranks the units by name')
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(path.join(ARTIFACTS, `monthly-analysis-${month}.csv`), monthly.body)
  const audited = await sql`select 1 from audit_log where action = 'report.export' and actor = 'tq-super'`
  t.ok(audited.length >= 2, 'exports are in the audit log')

  // The page, in Chromium: log in, the table shows the same figures.
  const page = await openChromium(t, { viewport: { width: 1800, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(`${address}/workspace/kpis.html?month=${month}`)
  t.equal(await page.title(), '12345 工单考核指标', 'a Chinese page')
  await page.fill('input[name=username]', 'tq-super')
  await page.fill('input[name=password]', 'tq-super-password')
  await page.click('#login button[type=submit]')
  await page.waitForSelector(`body[data-loaded="${month}"]`, { timeout: 10000 })
  const onPage = await page.$$eval('#report tbody tr', (trs) => trs.map((tr) => Object.fromEntries(Array.from(tr.querySelectorAll('td')).map((td) => [td.dataset.col, td.dataset.value === '' ? null : td.dataset.value]))))
  const asShown = report.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])))
  t.same(onPage, asShown, 'the page shows the same rows and figures as the JSON')
  t.match(await page.textContent('#report tbody tr[data-dimension=center] td[data-col=resolvedOnCallRate]'), '20.0%', 'rates as percentages')
  t.match(await page.textContent('#reconciliation'), /办结 3 = 已回访 1 \+ 待回访 1 \+ 无法联系 1（核对一致）/)
  t.ok((await page.$$('#definitions li')).length >= 10, 'the definitions are printed on the page')
  await page.screenshot({ path: path.join(ARTIFACTS, 'ticket-kpis.png'), fullPage: true })
  t.same(errors, [], 'no page errors')
})
