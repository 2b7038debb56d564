/**
 * Follow-up visits (回访) on the real PBX, with SIPp as the citizen's phone: the survey's three
 * questions (process, result, solved) answered 1-1-1 (satisfied, solved), 2-3-1 (the result
 * unsatisfied: the ticket reopens) and 1-1-2 (not solved: reopens too), a citizen who presses
 * nothing, a busy phone and one that never answers. The dialer's clock is the test's: calling
 * windows and back-off are crossed by moving it, never by sleeping. Everything is asserted
 * from PostgreSQL.
 */
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { createHotline, type Hotline } from '../../../src/app.ts'
import { ADMIN_PASSWORD, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { testConfig } from '../../helpers/services.ts'
import { closedTicket, keyPcap, keysPcap, ManualClock, nextBeijingSevenAm, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'

const MIN = 60_000

async function start(t: Test, clock: ManualClock): Promise<Hotline> {
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_DIALER_TICK_MS: '0', HOTLINE_SURVEY_INPUT_TIMEOUT_S: '2', HOTLINE_GREETING: 'none' })
  await resetWorld(config)
  const hotline = await createHotline(config, { dialerClock: clock })
  t.teardown(() => hotline.close())
  await hotline.start()
  await resetDialer(hotline.sql)
  return hotline
}

interface TaskRow { status: string; attempts: number; tries: number; lastOutcome: string | null; finalReason: string | null; dueAt: Date }
const task = async (h: Hotline, id: number) => (await h.sql<TaskRow[]>`select status, attempts, tries, last_outcome, final_reason, due_at from follow_up_tasks where id = ${id}`)[0]!
const attempts = (h: Hotline, id: number) => h.sql<{ attemptNo: number; outcome: string | null; cause: number | null; digits: string | null; result: string | null; recordingName: string | null; state: string }[]>`
  select attempt_no, outcome, cause, digits, result, recording_name, state from dial_attempts where kind = 'follow-up' and task_id = ${id} order by attempt_no`
const settled = (h: Hotline, id: number, n: number) => waitFor(`attempt ${n} of task ${id} to finish`, async () => {
  const rows = await attempts(h, id)
  return rows.length >= n && rows[n - 1]!.state === 'finished' ? rows : undefined
}, 45_000, 100)

t.test('follow-up survey on the real PBX', async (t) => {
  const clock = new ManualClock(nextBeijingSevenAm())
  const hotline = await start(t, clock)

  await t.test('outside the calling window nothing is dialled; inside, the citizen presses 1, 1 and 1', async (t) => {
    const { ticketId, taskId } = await closedTicket(hotline, '13800000001')
    t.equal(await hotline.followUps.dialer.tick(), 0, '07:00 Beijing time: outside the 08:30-12:00 window, no call')
    t.equal((await task(hotline, taskId)).status, 'due', 'the task stays due')
    startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 1500, KEY_PCAP: keysPcap('111'), HANGUP_MS: 20000 }, 1, 60)
    clock.advance(90 * MIN)
    t.equal(await hotline.followUps.dialer.tick(), 1, '08:30: the call is placed')
    const [a] = await settled(hotline, taskId, 1)
    t.equal(a!.outcome, 'evaluated', 'the attempt ends with an evaluation')
    t.equal(a!.digits, '111', 'the keys as pressed, one per question')
    t.equal(a!.result, 'satisfied')
    t.equal(a!.recordingName, 'followup-' + taskId + '-1', 'the call is recorded')
    const [ticket] = await hotline.sql`select status, evaluation_result, evaluation_process, evaluation_solved, evaluation_digits, evaluation_method, evaluation_attempt_id, evaluated_at
      from tickets where id = ${ticketId}`
    t.match(ticket, { status: 'closed', evaluationResult: 'satisfied', evaluationDigits: '111', evaluationMethod: 'phone-dtmf' }, 'the evaluation is on the ticket')
    t.match(ticket, { evaluationProcess: 'satisfied', evaluationSolved: true }, 'with the process answer and the solved answer')
    const [attemptRow] = await hotline.sql<{ id: string }[]>`select id from dial_attempts where kind = 'follow-up' and task_id = ${taskId}`
    t.equal(ticket!.evaluationAttemptId, attemptRow!.id, 'tied to the attempt it was keyed on')
    t.ok(ticket!.evaluatedAt, 'with its time')
    const [link] = await hotline.sql`select recording_name from ticket_calls where ticket_id = ${ticketId}`
    t.equal(link?.recordingName, `followup-${taskId}-1`, 'the recording is linked to the ticket')
    t.match(await task(hotline, taskId), { status: 'done', lastOutcome: 'evaluated' }, 'the follow-up is done')
    const stored = await waitFor('the recording file', () => hotline.ari.rest.storedRecording(`followup-${taskId}-1`).catch(() => undefined), 5000)
    t.equal(stored.format, 'wav', 'the recording is stored on the PBX')
  })

  await t.test('pressing 3 (unsatisfied with the result) reopens the ticket for re-handling', async (t) => {
    const { ticketId, taskId } = await closedTicket(hotline, '13800000003')
    startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 1500, KEY_PCAP: keysPcap('231'), HANGUP_MS: 20000 }, 1, 60)
    t.equal(await hotline.followUps.dialer.tick(), 1, 'dialled')
    const [a] = await settled(hotline, taskId, 1)
    t.match(a, { outcome: 'evaluated', digits: '231', result: 'unsatisfied' })
    const [ticket] = await hotline.sql`select status, evaluation_result, evaluation_process, evaluation_solved, reopen_count from tickets where id = ${ticketId}`
    t.match(ticket, { status: 'reopened', evaluationResult: 'unsatisfied', reopenCount: 1 }, '退回重办')
    t.match(ticket, { evaluationProcess: 'basically-satisfied', evaluationSolved: true }, 'each answer as keyed')
    const events = await hotline.sql`select action, actor_id, detail from ticket_events where ticket_id = ${ticketId} order by id`
    t.ok(events.some((e) => e.action === 'reopen' && e.actorId === 'follow-up-dialer' && (e.detail as { reason: string }).reason === 'caller unsatisfied'), 'the reopening is in the audit trail, by the dialer')
  })

  await t.test('a citizen who presses nothing is asked twice, then the task is due again later', async (t) => {
    const { ticketId, taskId } = await closedTicket(hotline, '13800000005')
    startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 120000, KEY_PCAP: keyPcap('1'), HANGUP_MS: 1000 }, 1, 90)
    const before = clock.now()
    t.equal(await hotline.followUps.dialer.tick(), 1, 'dialled')
    const [a] = await settled(hotline, taskId, 1)
    t.equal(a!.outcome, 'no-input', 'no input after the repeat')
    const row = await task(hotline, taskId)
    t.match(row, { status: 'due', tries: 1, lastOutcome: 'no-input' }, 'due again')
    t.equal(row.dueAt.getTime(), before + 30 * MIN, 'after the first back-off step (30 minutes)')
    const [ticket] = await hotline.sql`select status, evaluation_result from tickets where id = ${ticketId}`
    t.match(ticket, { status: 'closed', evaluationResult: null }, 'no evaluation was invented')
    await hotline.sql`update follow_up_tasks set status = 'cancelled' where id = ${taskId}`
  })

  await t.test('a busy phone (486) is retried with back-off, then unreachable with the reason', async (t) => {
    const { taskId } = await closedTicket(hotline, '13800000007')
    const phone = startCitizenPhone(t, 'uas-citizen-busy.xml', {}, 3, 60)
    t.equal(await hotline.followUps.dialer.tick(), 1, 'attempt 1')
    await settled(hotline, taskId, 1)
    t.match(await task(hotline, taskId), { status: 'due', tries: 1, lastOutcome: 'busy' })
    t.equal(await hotline.followUps.dialer.tick(), 0, 'not again before the back-off has passed')
    clock.advance(30 * MIN)
    t.equal(await hotline.followUps.dialer.tick(), 1, 'attempt 2 after 30 minutes')
    await settled(hotline, taskId, 2)
    const second = await task(hotline, taskId)
    t.equal(second.tries, 2)
    clock.set(second.dueAt.getTime())
    t.equal(await hotline.followUps.dialer.tick(), 1, 'attempt 3 after the next back-off (inside a window)')
    const rows = await settled(hotline, taskId, 3)
    t.same(rows.map((r) => [r.outcome, r.cause]), [['busy', 17], ['busy', 17], ['busy', 17]], 'three busy attempts, cause 17 (user busy)')
    t.match(await task(hotline, taskId), { status: 'unreachable', tries: 3, finalReason: 'busy' }, 'unreachable, with the reason')
    clock.advance(24 * 60 * MIN)
    t.equal(await hotline.followUps.dialer.tick(), 0, 'never dialled again')
    t.equal((await phone.done).code, 0, 'the phone saw exactly three calls')
  })

  await t.test('a phone that never answers rings out and is retried', async (t) => {
    await hotline.sql`update follow_up_campaigns set ring_seconds = 5, max_attempts = 2 where id = 'default'`
    hotline.followUps.dialer.invalidate()
    const { taskId } = await closedTicket(hotline, '13800000009')
    const phone = startCitizenPhone(t, 'uas-citizen-never-answers.xml', {}, 2, 60)
    t.equal(await hotline.followUps.dialer.tick(), 1, 'attempt 1')
    await settled(hotline, taskId, 1)
    t.match(await task(hotline, taskId), { status: 'due', tries: 1, lastOutcome: 'no-answer' })
    clock.set((await task(hotline, taskId)).dueAt.getTime())
    t.equal(await hotline.followUps.dialer.tick(), 1, 'attempt 2')
    const rows = await settled(hotline, taskId, 2)
    t.same(rows.map((r) => r.outcome), ['no-answer', 'no-answer'])
    t.match(await task(hotline, taskId), { status: 'unreachable', tries: 2, finalReason: 'no-answer' }, 'unreachable after the limit of this campaign')
    await phone.done
    const trace = readFileSync(phone.messages, 'utf8')
    t.equal((trace.match(/^INVITE sip:/gm) ?? []).length, 2, 'the phone rang twice (and the PBX gave up each time: no-answer above)')
  })

  await t.test('progress and coverage for supervisors, JSON and CSV', async (t) => {
    const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
    const cov = await hotline.app.inject({ method: 'GET', url: `/v1/follow-ups/coverage?from=${day}&to=${day}`, headers: { authorization: `Bearer ${admin}` } })
    t.equal(cov.statusCode, 200)
    const row = (cov.json() as { rows: { lineNumber: string; closed: number; followedUp: number; unreachable: number }[] }).rows.find((r) => r.lineNumber === '12345')
    t.match(row, { closed: 5, followedUp: 2, unreachable: 2 }, 'coverage counts closed and followed-up tickets per line')
    const csv = await hotline.app.inject({ method: 'GET', url: `/v1/follow-ups/coverage?from=${day}&to=${day}&format=csv`, headers: { authorization: `Bearer ${admin}` } })
    t.match(csv.headers['content-type'], /text\/csv/)
    t.match(csv.body, /day,lineNumber,closed,followedUp/)
    const bad = await hotline.app.inject({ method: 'PUT', url: '/v1/follow-ups/campaigns/default', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'x', windows: [{ from: '12:00', to: '08:00' }] } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { message: /body\.windows/ }, '400 names the field')
    const anon = await hotline.app.inject({ method: 'GET', url: '/v1/follow-ups/campaigns' })
    t.equal(anon.statusCode, 401)
    const missing = await hotline.app.inject({ method: 'POST', url: '/v1/follow-ups/campaigns/nope/pause', headers: { authorization: `Bearer ${admin}` } })
    t.equal(missing.statusCode, 404)
    const paused = await hotline.app.inject({ method: 'POST', url: '/v1/follow-ups/campaigns/default/pause', headers: { authorization: `Bearer ${admin}` } })
    t.match(paused.json(), { id: 'default', state: 'paused' }, 'a campaign is paused')
    await closedTicket(hotline, '13800000011')
    clock.set(nextBeijingSevenAm(clock.now()) + 3 * 3_600_000)
    t.equal(await hotline.followUps.dialer.tick(), 0, 'a paused campaign dials nobody, even inside its window')
    const progress = await hotline.app.inject({ method: 'GET', url: `/v1/follow-ups/progress?day=${day}`, headers: { authorization: `Bearer ${admin}` } })
    t.equal(progress.statusCode, 200)
    t.match((progress.json() as { rows: unknown[] }).rows, [{ campaignId: 'default' }], 'today\'s progress per campaign')
    const trunk = await hotline.app.inject({ method: 'PUT', url: '/v1/follow-ups/trunks/trunk', headers: { authorization: `Bearer ${admin}` }, payload: { maxConcurrent: 0, callsPerSecond: 1 } })
    t.equal(trunk.statusCode, 400, 'trunk limits are validated')
    t.match(trunk.json(), { message: /maxConcurrent/ })
    const page = await hotline.app.inject({ method: 'GET', url: '/dialer/' })
    t.equal(page.statusCode, 200, 'the supervisors\' page is served')
    t.match(page.body, /回访与回拨/)
  })

  await t.test('answering "not solved" (2 to the third question) reopens the ticket too', async (t) => {
    await hotline.sql`update follow_up_tasks set status = 'cancelled' where status = 'due'`
    const { ticketId, taskId } = await closedTicket(hotline, '13800000013')
    await hotline.sql`update follow_up_campaigns set state = 'running' where id = 'default'`
    hotline.followUps.dialer.invalidate()
    startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 1500, KEY_PCAP: keysPcap('112'), HANGUP_MS: 20000 }, 1, 60)
    t.equal(await hotline.followUps.dialer.tick(), 1, 'dialled')
    const [a] = await settled(hotline, taskId, 1)
    t.match(a, { outcome: 'evaluated', digits: '112', result: 'satisfied' })
    const [ticket] = await hotline.sql`select status, evaluation_result, evaluation_process, evaluation_solved, reopen_count from tickets where id = ${ticketId}`
    t.match(ticket, { status: 'reopened', evaluationResult: 'satisfied', evaluationProcess: 'satisfied', evaluationSolved: false, reopenCount: 1 }, 'satisfied but not solved: 退回重办')
    const events = await hotline.sql`select action, detail from ticket_events where ticket_id = ${ticketId} order by id`
    t.ok(events.some((e) => e.action === 'reopen' && (e.detail as { reason: string }).reason === 'caller says not solved'), 'for the reason the citizen gave')
  })
})
