/**
 * The center's side in the agent panel, in real Chromium on the real PBX: a second citizen calls
 * about a matter another citizen already raised; the agent finds the open ticket and links the
 * new request to it (并单); the matter is handled once and closed; each citizen gets a follow-up
 * call, handed to the agent (agent-assisted 回访), whose panel shows the ticket being followed up
 * instead of the new-ticket form and records the citizen's answers (process, result, solved),
 * marked as the agent's and tied to that call. A screenshot of the follow-up view is kept.
 */
import path from 'node:path'
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { inNetns, openChromium } from '../../helpers/browser.ts'
import { ManualClock, nextBeijingSevenAm, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'
import { ADMIN_PASSWORD, createAgent, ownerSql, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { ARTIFACTS, testConfig } from '../../helpers/services.ts'
import { callFromCarrier } from '../../helpers/sipp.ts'

t.test('并单 from the panel, and agent-assisted follow-ups for each citizen', async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh: run it through npm test (or scripts/pbx-netns.sh)')
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_GREETING: 'none', HOTLINE_DIALER_TICK_MS: '0', HOTLINE_REMINDER_SWEEP_S: '0' })
  await resetWorld(config)
  const dialerClock = new ManualClock(nextBeijingSevenAm() + 2 * 3_600_000)
  const hotline = await createHotline(config, { dialerClock })
  t.teardown(async () => {
    await hotline.sql`update follow_up_campaigns set mode = 'survey', agent_queue_id = null where id = 'default'`
    await hotline.close()
  })
  await hotline.start()
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  await resetDialer(sql)
  await sql`truncate ticket_attachments, ticket_escalations`
  await sql`update follow_up_campaigns set mode = 'agent', agent_queue_id = 'general' where id = 'default'`
  hotline.followUps.dialer.invalidate()
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agentToken = await createAgent(hotline, admin, 'A8001', { seat: '8001' })
  const inject = (method: 'GET' | 'POST', p: string, token: string, payload?: object) => hotline.app.inject({ method, url: p, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })
  await inject('POST', '/v1/units', admin, { id: 'pc-env', name: '生态环境局', kind: 'department' })
  await hotline.users.create({ id: 'pc-u-env', displayName: 'env', role: 'unit', password: 'pc-u-env-password', unitId: 'pc-env' })
  const unit = await tokenFor(hotline, 'pc-u-env', 'pc-u-env-password')

  const first = `135${String(Date.now()).slice(-8)}`
  const second = `137${String(Date.now()).slice(-8)}`
  let main = (await inject('POST', '/v1/tickets', agentToken, { callerNumber: first, categoryCode: 'environment', content: '化工厂夜间排放刺鼻气味', address: '工业园 3 号' })).json() as { id: string; number: string; version: number }
  main = (await inject('POST', `/v1/tickets/${main.id}/dispatch`, agentToken, { version: main.version, leadUnitId: 'pc-env' })).json() as typeof main

  const panel = await openChromium(t, { viewport: { width: 1360, height: 1100 }, locale: 'zh-CN', media: true })
  const errors: string[] = []
  panel.on('pageerror', (err) => errors.push(err.message))
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
  const talking = () => waitFor('the call to be talking', () => panel.evaluate(() => (window as unknown as { __panel: { phase: string } }).__panel.phase === 'talking'), 20000, 100)

  // The second citizen calls about the same smell; the agent finds the open ticket and links to it.
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [second], { MAX_WAIT_MS: 60000 }, { timeoutS: 120 })
  t.teardown(() => carrier.stop())
  await panel.waitForSelector('#pop[data-call-id]', { timeout: 20000 })
  await panel.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
  await panel.click('#btn-answer')
  await talking()
  await panel.fill('#search-number', first)
  await panel.click('#search-form button[type=submit]')
  await panel.waitForSelector(`#search-results [data-link="${main.number}"]`, { timeout: 10000 })
  await panel.click(`#search-results [data-link="${main.number}"]`)
  t.equal(await panel.textContent('#tf-link-number'), main.number, 'the form says which ticket the request joins')
  await panel.selectOption('#tf-category', 'environment')
  await panel.fill('#tf-content', '工业园附近晚上有很重的化学品气味')
  await panel.fill('#tf-address', '工业园3号')
  await panel.click('#tf-save')
  await panel.waitForSelector('#tf-result.ok', { timeout: 10000 })
  const dupNumber = (await panel.getAttribute('#tf-result', 'data-ticket'))!
  await panel.click('#btn-hangup')
  t.equal((await carrier.done).code, 0, 'the call ended normally')
  const [dup] = await sql<{ id: string; status: string; mergedInto: string; callerNumber: string }[]>`select id, status, merged_into, caller_number from tickets where number = ${dupNumber}`
  t.match(dup, { status: 'merged', mergedInto: main.id, callerNumber: second }, 'the new request is merged into the open ticket')

  // Handled once, closed: both citizens' tickets closed with the reply, each followed up.
  for (const [step, token, body] of [['sign-for', unit, {}], ['reply', unit, { content: '已责令停产整改并监测' }], ['close', agentToken, {}]] as const) {
    const cur = (await inject('GET', `/v1/tickets/${main.id}`, agentToken)).json() as { version: number }
    const res = await inject('POST', `/v1/tickets/${main.id}/${step}`, token, { version: cur.version, ...body })
    t.equal(res.statusCode, 200, step)
  }
  const tasks = await sql<{ phoneNumber: string }[]>`select phone_number from follow_up_tasks where status = 'due' order by phone_number`
  t.same(tasks.map((x) => x.phoneNumber), [first, second].sort(), 'a follow-up for each citizen')

  // The follow-ups go to the agent, one after the other; the panel shows the ticket and records the answers.
  startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 600000, KEY_PCAP: '/usr/share/sip-tester/dtmf_2833_1.pcap', HANGUP_MS: 1000 }, 2, 120)
  const placed = await hotline.followUps.dialer.tick()
  t.equal(placed, 2, 'both follow-up calls are placed')
  const answers = [['satisfied', 'basically-satisfied', 'true'], ['basically-satisfied', 'unsatisfied', 'false']] as const
  for (const [i, [process, result, solved]] of answers.entries()) {
    await panel.waitForSelector('#followup:not(.hidden)', { timeout: 30000 })
    await panel.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
    await panel.click('#btn-answer')
    await talking()
    t.ok(await panel.isHidden('#ticket-card'), `follow-up ${i + 1}: the new-ticket form gives way to the follow-up view`)
    await panel.waitForFunction(() => document.getElementById('fu-number')?.textContent !== '—', undefined, { timeout: 10000 })
    t.match(await panel.textContent('#fu-reply'), /已责令停产整改并监测/, `follow-up ${i + 1}: the unit's reply is shown`)
    await panel.selectOption('#fu-process', process)
    await panel.selectOption('#fu-result', result)
    await panel.selectOption('#fu-solved', solved)
    if (i === 0) await panel.screenshot({ path: path.join(ARTIFACTS, 'panel-follow-up.png') })
    await panel.click('#fu-save')
    await panel.waitForSelector('#fu-result-text.ok', { timeout: 10000 })
    await panel.click('#btn-hangup')
    await waitFor('the panel to be free again', () => panel.evaluate(() => (window as unknown as { __panel: { phase: string | null } }).__panel.phase !== 'talking'), 15000, 100)
  }
  const rows = await sql<{ callerNumber: string; status: string; evaluationMethod: string; evaluationRecordedBy: string; evaluationCallId: string | null; evaluationProcess: string; evaluationResult: string; evaluationSolved: boolean }[]>`
    select caller_number, status, evaluation_method, evaluation_recorded_by, evaluation_call_id, evaluation_process, evaluation_result, evaluation_solved from tickets where id in (${main.id}, ${dup!.id}) order by evaluated_at`
  t.equal(rows.length, 2)
  t.ok(rows.every((r) => r.evaluationMethod === 'agent-call' && r.evaluationRecordedBy === 'A8001' && r.evaluationCallId), "both evaluations are the agent's, each tied to its follow-up call")
  t.match(rows[0], { evaluationProcess: 'satisfied', evaluationResult: 'basically-satisfied', evaluationSolved: true, status: 'closed' }, 'the first citizen: solved, closed')
  t.match(rows[1], { evaluationProcess: 'basically-satisfied', evaluationResult: 'unsatisfied', evaluationSolved: false, status: 'reopened' }, 'the second: unsatisfied and not solved, reopened')
  t.same(errors, [], 'no page errors')
})
