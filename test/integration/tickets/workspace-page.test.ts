/**
 * The units' workspace page in real headless Chromium: the lead unit and a co-unit each in their
 * own browser; a ticket dispatched by the center appears in both without a reload (Socket.IO),
 * with its deadline counting down and the caller's number withheld; the co-unit replies from its
 * page, the lead unit signs for, records progress, attaches a file and replies from its page.
 * A screenshot of the lead unit's page is kept in test-artifacts/unit-workspace.png.
 */
import path from 'node:path'
import { mkdirSync } from 'node:fs'
import t from 'tap'
import type { Page } from 'playwright-core'
import { createHotline, type Hotline } from '../../../src/app.ts'
import { migrate } from '../../../src/db/migrate.ts'
import { openChromium } from '../../helpers/browser.ts'
import { ARTIFACTS, testConfig } from '../../helpers/services.ts'
import { ownerSql } from '../../helpers/hotline.ts'

interface TicketBody { id: string; number: string; status: string; version: number; [k: string]: unknown }

t.test('the units workspace page', async (t) => {
  const base = testConfig()
  const u = new URL(base.REDIS_URL); u.pathname = '/8'
  const config = { ...testConfig({ HOTLINE_ARI_APP: 'hotline-test-unit-page', REDIS_URL: u.toString(), HOTLINE_REMINDER_SWEEP_S: '0' }), HOTLINE_ADMIN_PASSWORD: undefined }
  const hotline: Hotline = await createHotline(config)
  t.teardown(() => hotline.close())
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  await migrate(sql)
  await sql`truncate tickets, ticket_calls, ticket_events, follow_up_tasks, ticket_number_counters, ticket_attachments, ticket_escalations cascade`
  await sql`delete from users where id like 'tw-%'`
  await sql`delete from units where id like 'tw-%'`
  await hotline.start()
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const inject = (method: 'GET' | 'POST', p: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url: p, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  await hotline.users.create({ id: 'tw-agent', displayName: '坐席', role: 'agent', password: 'tw-agent-password' })
  await hotline.users.create({ id: 'tw-admin', displayName: 'admin', role: 'admin', password: 'tw-admin-password' })
  const login = async (id: string) => ((await inject('POST', '/v1/auth/token', undefined, { username: id, password: `${id}-password` })).json() as { token: string }).token
  const admin = await login('tw-admin')
  const agent = await login('tw-agent')
  for (const [id, name] of [['tw-lead', '幸福区城管局'], ['tw-co', '幸福区供电所']]) await inject('POST', '/v1/units', admin, { id, name, kind: 'department' })
  await hotline.users.create({ id: 'tw-u-lead', displayName: '城管经办人', role: 'unit', password: 'tw-u-lead-password', unitId: 'tw-lead' })
  await hotline.users.create({ id: 'tw-u-co', displayName: '供电经办人', role: 'unit', password: 'tw-u-co-password', unitId: 'tw-co' })

  const open = async (user: string) => {
    const page = await openChromium(t, { viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' })
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${address}/workspace/`)
    await page.waitForSelector('#login:not([hidden])')
    await page.fill('input[name=username]', user)
    await page.fill('input[name=password]', `${user}-password`)
    await page.click('#login button[type=submit]')
    await page.waitForSelector('#conn.on', { timeout: 15000 })
    return { page, errors }
  }
  const lead = await open('tw-u-lead')
  t.equal(await lead.page.title(), '12345 承办单位工作台', 'a Chinese page')
  t.match(await lead.page.textContent('#unit-name'), /幸福区城管局/, 'the unit is named')
  const co = await open('tw-u-co')

  // The center dispatches: both pages show it live, without a reload.
  let ticket = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13655550001', callerName: '赵女士', categoryCode: 'city-management', content: '幸福路 9 号路灯不亮，电线裸露', address: '幸福路 9 号' })).json() as TicketBody
  const t0 = Date.now()
  ticket = (await inject('POST', `/v1/tickets/${ticket.id}/dispatch`, agent, { version: ticket.version, leadUnitId: 'tw-lead', coUnitIds: ['tw-co'] })).json() as TicketBody
  const card = `[data-section=new] [data-ticket="${ticket.number}"]`
  await lead.page.waitForSelector(card, { timeout: 10000 })
  t.ok(Date.now() - t0 < 10000, `the lead unit's page shows the new ticket live (${Date.now() - t0} ms)`)
  await co.page.waitForSelector(`[data-section=co-handling] [data-ticket="${ticket.number}"]`, { timeout: 10000 })
  t.pass('the co-unit page shows it under co-handling')
  const first = await lead.page.textContent(`${card} .countdown`)
  t.match(first, /^剩余 2天23小时5\d分$/, `the deadline counts down (${first})`)
  t.notOk((await lead.page.content()).includes('13655550001'), "the citizen's number is nowhere on the unit's page")
  t.equal(await lead.page.isVisible('#login'), false, 'the login form is gone once logged in')

  // The co-unit replies from its page.
  await co.page.click(`[data-ticket="${ticket.number}"]`)
  await co.page.waitForSelector('#detail [data-form="答复主办单位"]')
  await co.page.fill('#detail [data-form="答复主办单位"] textarea', '已安排电工断电检修')
  await co.page.click('#detail [data-form="答复主办单位"] button')
  await co.page.waitForSelector('#trail [data-action=co-reply]', { timeout: 10000 })

  // The lead unit signs for, records progress, attaches a photo and replies.
  await lead.page.click(card)
  await lead.page.waitForSelector('#detail [data-act=sign-for]')
  t.match(await lead.page.textContent('#caller'), /号码保密/, 'the detail says the number is withheld')
  t.notMatch(await lead.page.textContent('#detail'), /null|undefined/, 'no placeholder text leaks into the detail')
  await lead.page.click('#detail [data-act=sign-for]')
  await lead.page.waitForSelector(`[data-section=signed-for] [data-ticket="${ticket.number}"]`, { timeout: 10000 })
  await lead.page.waitForSelector('#co-replies li:has-text("已安排电工断电检修")', { timeout: 10000 })
  t.pass("the lead unit sees the co-unit's reply")
  await lead.page.fill('#detail [data-form="记录办理过程"] textarea', '已到现场，设置警示')
  await lead.page.click('#detail [data-form="记录办理过程"] button')
  await lead.page.waitForSelector('#trail [data-action=progress]', { timeout: 10000 })
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
  await lead.page.setInputFiles('#detail [data-act=attach]', { name: '现场.png', mimeType: 'image/png', buffer: png })
  await lead.page.waitForSelector('#attachments li:has-text("现场.png")', { timeout: 10000 })
  await lead.page.fill('#detail [data-form="答复"] textarea', '已更换路灯并包扎电线')
  await lead.page.click('#detail [data-form="答复"] button')
  await lead.page.waitForSelector('#trail [data-action=reply]', { timeout: 10000 })
  mkdirSync(ARTIFACTS, { recursive: true })
  await lead.page.screenshot({ path: path.join(ARTIFACTS, 'unit-workspace.png'), fullPage: true })

  const [row] = await sql<{ status: string; reply: string; signedForAt: Date | null }[]>`select status, reply, signed_for_at from tickets where id = ${ticket.id}`
  t.match(row, { status: 'replied', reply: '已更换路灯并包扎电线' }, 'the reply is stored')
  t.ok(row!.signedForAt, 'with the sign-for time')
  const trail = (await sql<{ action: string }[]>`select action from ticket_events where ticket_id = ${ticket.id} order by id`).map((r) => r.action)
  t.same(trail, ['accept', 'dispatch', 'co-reply', 'sign-for', 'progress', 'reply'], 'every step from the pages is in the trail')
  const [file] = await sql<{ n: number }[]>`select octet_length(data)::int as n from ticket_attachments where ticket_id = ${ticket.id}`
  t.equal(file!.n, png.length, 'the photo is in the database')
  await waitGone(lead.page, `[data-ticket="${ticket.number}"]`)
  t.pass('a replied ticket leaves the inbox')

  // The review desk: the lead unit asks to return a second ticket; a supervisor refuses it on
  // the desk page with a ruling; the unit's page hears it (首办负责).
  await hotline.users.create({ id: 'tw-super', displayName: '值班长', role: 'supervisor', password: 'tw-super-password' })
  let second = (await inject('POST', '/v1/tickets', agent, { callerNumber: '13655550002', categoryCode: 'city-management', content: '井盖缺失' })).json() as TicketBody
  second = (await inject('POST', `/v1/tickets/${second.id}/dispatch`, agent, { version: second.version, leadUnitId: 'tw-lead' })).json() as TicketBody
  await lead.page.waitForSelector(`[data-section=new] [data-ticket="${second.number}"]`, { timeout: 10000 })
  await lead.page.click(`[data-section=new] [data-ticket="${second.number}"]`)
  await lead.page.waitForSelector('#detail [data-form="申请退单"]')
  await lead.page.fill('#detail [data-form="申请退单"] input', '井盖属水务管理')
  await lead.page.click('#detail [data-form="申请退单"] button')
  await lead.page.waitForSelector(`[data-section=pending-request] [data-ticket="${second.number}"]`, { timeout: 10000 })
  const desk = await openChromium(t, { viewport: { width: 1400, height: 900 }, locale: 'zh-CN' })
  await desk.goto(`${address}/workspace/review.html`)
  await desk.fill('input[name=username]', 'tw-super')
  await desk.fill('input[name=password]', 'tw-super-password')
  await desk.click('#login button[type=submit]')
  await desk.waitForSelector(`#returns tr[data-ticket="${second.number}"]`, { timeout: 10000 })
  t.match(await desk.textContent(`#returns tr[data-ticket="${second.number}"]`), /井盖属水务管理/, 'the return request waits on the desk with its reason')
  await desk.fill(`#returns tr[data-ticket="${second.number}"] input[name=ruling]`, '属地管理，城管局牵头')
  await desk.click(`#returns tr[data-ticket="${second.number}"] [data-act=reject]`)
  await lead.page.waitForSelector(`[data-section=new] [data-ticket="${second.number}"]`, { timeout: 10000 })
  t.pass("refused on the desk: back in the unit's inbox, live")
  const [ruled] = await sql<{ detail: { decision: string; ruling: string } }[]>`select detail from ticket_events where ticket_id = ${second.id} and action = 'rule-return'`
  t.match(ruled, { detail: { decision: 'reject', ruling: '属地管理，城管局牵头' } }, 'the ruling is recorded')
  await desk.screenshot({ path: path.join(ARTIFACTS, 'review-desk.png'), fullPage: true })
  t.same([...lead.errors, ...co.errors], [], 'no page errors')
})

async function waitGone(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(`#sections ${selector}`, { state: 'detached', timeout: 10000 })
}
