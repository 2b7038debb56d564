/**
 * The ticket loop end to end, in real headless Chromium and on the real PBX: a SIPp citizen calls
 * 12345; the agent answers in the panel (WebRTC seat 8001) and accepts the ticket, dispatching it
 * to a lead unit with a co-unit (caller allowing no contact); the lead unit's page, open in
 * another browser, shows it live; the co-unit replies from its page; the lead unit signs for,
 * records progress, attaches a photo and replies from its page; the center closes it; the
 * follow-up call rings a SIPp citizen phone that answers the dialer's three questions by keys
 * (process 2: basically satisfied, result 1: satisfied, solved 1: yes); the monthly KPIs show
 * exactly this ticket's contribution. Screenshots of
 * the unit page and the monthly report are kept in test-artifacts/.
 *
 * Needs the private network namespace (WebRTC on loopback), as the panel test does.
 */
import path from 'node:path'
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { centerDay } from '../../../src/tickets/rules.ts'
import { inNetns, openChromium } from '../../helpers/browser.ts'
import { ManualClock, CITIZEN_TEMPLATE, keysPcap, startCitizenPhone } from '../../helpers/dialer.ts'
import { ADMIN_PASSWORD, createAgent, ownerSql, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { ARTIFACTS, testConfig } from '../../helpers/services.ts'
import { callFromCarrier } from '../../helpers/sipp.ts'

/** Today 09:00 in Beijing if still ahead, else tomorrow's: inside the default calling window. */
function nextBeijingNineAm(from = Date.now()): number {
  const day = new Date(from + 8 * 3_600_000)
  let at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 9 - 8, 0)
  while (at <= from) at += 86_400_000
  return at
}

t.test('the ticket loop end to end', async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh: run it through npm test (or scripts/pbx-netns.sh)')
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_GREETING: 'none', HOTLINE_DIALER_TICK_MS: '0', HOTLINE_SURVEY_INPUT_TIMEOUT_S: '2', HOTLINE_REMINDER_SWEEP_S: '0' })
  await resetWorld(config)
  const dialerClock = new ManualClock(nextBeijingNineAm())
  const hotline = await createHotline(config, { dialerClock })
  t.teardown(() => hotline.close())
  await hotline.start()
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  await sql`truncate dial_attempts, tickets, ticket_number_counters, ticket_attachments, ticket_escalations cascade`
  await sql`update follow_up_campaigns set state = 'running', mode = 'survey', windows = '[{"from":"08:30","to":"12:00"},{"from":"14:00","to":"20:30"}]', max_attempts = 3 where id = 'default'`
  await sql`update dialer_trunks set dial_template = ${CITIZEN_TEMPLATE}, calls_per_second = 50, max_concurrent = 20 where id = 'trunk'`
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agentToken = await createAgent(hotline, admin, 'A8001', { seat: '8001' })
  const inject = (method: 'GET' | 'POST', p: string, token: string, payload?: object) => hotline.app.inject({ method, url: p, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })
  for (const [id, name] of [['e2e-lead', '人民路街道办'], ['e2e-co', '市供电公司']]) await inject('POST', '/v1/units', admin, { id, name, kind: 'street' })
  for (const [id, unitId] of [['e2e-u-lead', 'e2e-lead'], ['e2e-u-co', 'e2e-co']] as const) await hotline.users.create({ id, displayName: id, role: 'unit', password: `${id}-password`, unitId })
  await hotline.users.create({ id: 'e2e-super', displayName: '值班长', role: 'supervisor', password: 'e2e-super-password' })
  const supervisor = await tokenFor(hotline, 'e2e-super', 'e2e-super-password')

  const errors: string[] = []
  const unitPage = async (user: string) => {
    const page = await openChromium(t, { viewport: { width: 1300, height: 1000 }, locale: 'zh-CN' })
    page.on('pageerror', (err) => errors.push(`${user}: ${err.message}`))
    await page.goto(`${url}/workspace/`)
    await page.fill('input[name=username]', user)
    await page.fill('input[name=password]', `${user}-password`)
    await page.click('#login button[type=submit]')
    await page.waitForSelector('#conn.on', { timeout: 15000 })
    return page
  }
  const lead = await unitPage('e2e-u-lead')
  const co = await unitPage('e2e-u-co')

  // The agent's panel: log in, sign in to the WebRTC seat, ready.
  const panel = await openChromium(t, { viewport: { width: 1360, height: 900 }, locale: 'zh-CN', media: true })
  panel.on('pageerror', (err) => errors.push(`panel: ${err.message}`))
  await panel.goto(`${url}/`)
  await panel.fill('#login-user', 'A8001')
  await panel.fill('#login-pass', 'A8001-password')
  await panel.click('#login-form button[type=submit]')
  await panel.waitForSelector('#seat-view:not(.hidden)', { timeout: 10000 })
  await panel.selectOption('#seat-input', '8001')
  await panel.click('#seat-form button[type=submit]')
  await panel.waitForSelector('#ind-sip.on', { timeout: 15000 })
  await panel.click('#btn-ready')
  await panel.waitForSelector('#agent-state.state-ready', { timeout: 5000 })

  // A citizen calls; the agent answers and accepts the ticket, dispatching to lead and co-unit.
  const caller = `136${String(Date.now()).slice(-8)}`
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [caller], { MAX_WAIT_MS: 60000 }, { timeoutS: 120 })
  t.teardown(() => carrier.stop())
  await panel.waitForSelector('#pop[data-call-id]', { timeout: 20000 })
  const callId = await panel.getAttribute('#pop', 'data-call-id')
  await panel.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
  await panel.click('#btn-answer')
  await waitFor('the call to be talking', () => panel.evaluate(() => (window as unknown as { __panel: { phase: string } }).__panel.phase === 'talking'), 15000, 100)
  await panel.selectOption('#tf-category', 'city-management')
  await panel.fill('#tf-content', '人民路 30 号路灯杆倾斜，电线外露，存在安全隐患')
  await panel.fill('#tf-address', '人民路 30 号')
  await panel.check('#tf-dispatch')
  await panel.selectOption('#tf-unit', 'e2e-lead')
  await panel.selectOption('#tf-co-units', ['e2e-co'])
  const dispatchedAt = Date.now()
  await panel.click('#tf-save')
  await panel.waitForSelector('#tf-result.ok', { timeout: 10000 })
  const number = (await panel.getAttribute('#tf-result', 'data-ticket'))!
  await panel.click('#btn-hangup')
  t.equal((await carrier.done).code, 0, 'the citizen call ended normally')

  // Live on the units' pages.
  await lead.waitForSelector(`[data-section=new] [data-ticket="${number}"]`, { timeout: 10000 })
  t.pass(`the lead unit's page shows ${number} live (${Date.now() - dispatchedAt} ms after saving)`)
  await co.waitForSelector(`[data-section=co-handling] [data-ticket="${number}"]`, { timeout: 10000 })
  t.notOk((await lead.content()).includes(caller), "the citizen's number is not on the unit's page")

  await co.click(`[data-ticket="${number}"]`)
  await co.fill('#detail [data-form="答复主办单位"] textarea', '已派抢修班组断电处理')
  await co.click('#detail [data-form="答复主办单位"] button')
  await co.waitForSelector('#trail [data-action=co-reply]', { timeout: 10000 })
  await lead.click(`[data-ticket="${number}"]`)
  await lead.waitForSelector('#detail [data-act=sign-for]')
  await lead.click('#detail [data-act=sign-for]')
  await lead.waitForSelector('#co-replies li:has-text("已派抢修班组断电处理")', { timeout: 10000 })
  await lead.waitForSelector('#detail[data-status=signed-for]', { timeout: 10000 })
  await lead.fill('#detail [data-form="记录办理过程"] textarea', '已设置围挡并通知供电公司')
  await lead.click('#detail [data-form="记录办理过程"] button')
  await lead.waitForSelector('#trail [data-action=progress]', { timeout: 10000 }).catch(async (err) => { throw new Error(`${(err as Error).message}; page says: ${await lead.textContent('#toast')}`) })
  await lead.setInputFiles('#detail [data-act=attach]', { name: '现场照片.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') })
  await lead.waitForSelector('#attachments li:has-text("现场照片.png")', { timeout: 10000 })
  await lead.screenshot({ path: path.join(ARTIFACTS, 'loop-unit-page.png'), fullPage: true })
  await lead.fill('#detail [data-form="答复"] textarea', '路灯杆已扶正加固，外露电线已包扎')
  await lead.click('#detail [data-form="答复"] button')
  await lead.waitForSelector('#trail [data-action=reply]', { timeout: 10000 })

  // The center closes it; the follow-up dialer calls the citizen, who presses 2, 1 and 1.
  let ticket = (await inject('GET', `/v1/tickets/${number}`, agentToken)).json() as { id: string; version: number; status: string; callerNumber: string }
  t.match(ticket, { status: 'replied', callerNumber: caller }, 'replied, and the center sees the caller')
  ticket = (await inject('POST', `/v1/tickets/${ticket.id}/close`, agentToken, { version: ticket.version })).json() as typeof ticket
  t.equal(ticket.status, 'closed', 'closed by the center')
  startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 1500, KEY_PCAP: keysPcap('211'), HANGUP_MS: 20000 }, 1, 60)
  t.equal(await hotline.followUps.dialer.tick(), 1, 'the follow-up call is placed')
  const evaluated = await waitFor('the citizen\'s answer on the ticket', async () => {
    const [row] = await sql<{ evaluationResult: string | null; evaluationProcess: string | null; evaluationSolved: boolean | null; evaluationDigits: string | null; evaluationMethod: string | null; evaluationAttemptId: string | null; evaluationRecordedBy: string | null; status: string }[]>`
      select evaluation_result, evaluation_process, evaluation_solved, evaluation_digits, evaluation_method, evaluation_attempt_id, evaluation_recorded_by, status from tickets where id = ${ticket.id}`
    return row?.evaluationResult ? row : undefined
  }, 45000, 200)
  t.match(evaluated, { evaluationResult: 'satisfied', evaluationMethod: 'phone-dtmf', evaluationRecordedBy: 'follow-up-dialer', status: 'closed' }, "the citizen's own key press, recorded by the dialer")
  const [attempt] = await sql<{ id: string; recordingName: string | null }[]>`select id, recording_name from dial_attempts where kind = 'follow-up' order by created_at desc limit 1`
  t.equal(evaluated.evaluationAttemptId, attempt!.id, 'tied to the attempt it was keyed on')
  t.ok(attempt!.recordingName, 'which was recorded')
  const trail = (await sql<{ action: string }[]>`select action from ticket_events where ticket_id = ${ticket.id} order by id`).map((r) => r.action)
  t.same(trail, ['accept', 'dispatch', 'co-reply', 'sign-for', 'progress', 'reply', 'close', 'evaluate'], 'the whole loop in the trail')
  const [link] = await sql<{ n: number }[]>`select count(*)::int as n from ticket_calls where ticket_id = ${ticket.id} and call_id = ${callId}`
  t.equal(link!.n, 1, 'the ticket is bound to the call it was accepted on')

  // The KPIs: exactly this ticket.
  const month = centerDay(Date.now(), 'Asia/Shanghai').replace(/^(\d{4})(\d{2})\d{2}$/, '$1-$2')
  const report = (await inject('GET', `/v1/ticket-kpis?month=${month}`, supervisor)).json() as { rows: Record<string, unknown>[]; reconciliation: Record<string, unknown> }
  const center = report.rows.find((r) => r.dimension === 'center')
  t.match(center, {
    accepted: 1, resolvedOnCall: 0, dispatched: 1, signedForInTime: 1, closed: 1, closedOnTime: 1, overdue: 0, returned: 0, redispatches: 0, repeats: 0,
    followedUp: 1, followUpPending: 0, unreachable: 0, resultEvaluated: 1, resultSatisfied: 1, followUpRate: 1, resultSatisfactionRate: 1, onTimeRate: 1
  }, "the center's figures are this one ticket's")
  t.match(center, { processEvaluated: 1, processSatisfied: 1, solvedAnswered: 1, solvedYes: 1, processSatisfactionRate: 1, solvedRate: 1 },
    'the process and solved answers keyed on the follow-up call count too (basically satisfied is satisfied)')
  t.match(report.rows.find((r) => r.dimension === 'unit' && r.key === 'e2e-lead'), { accepted: 1, closed: 1, rank: 1 }, 'counted for the lead unit')
  t.same(report.reconciliation, { closed: 1, followedUp: 1, pending: 0, unreachable: 0, unaccounted: 0, balanced: true })

  const kpis = await openChromium(t, { viewport: { width: 1800, height: 900 }, locale: 'zh-CN' })
  await kpis.goto(`${url}/workspace/kpis.html?month=${month}`)
  await kpis.fill('input[name=username]', 'e2e-super')
  await kpis.fill('input[name=password]', 'e2e-super-password')
  await kpis.click('#login button[type=submit]')
  await kpis.waitForSelector(`body[data-loaded="${month}"]`, { timeout: 10000 })
  t.equal(await kpis.textContent('#report tr[data-dimension=center] td[data-col=followUpRate]'), '100.0%', 'the monthly report page shows it')
  await kpis.screenshot({ path: path.join(ARTIFACTS, 'loop-monthly-report.png'), fullPage: true })
  t.same(errors, [], 'no page errors')
})
