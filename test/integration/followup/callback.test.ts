/**
 * Callback keeping the place, on the real PBX: three callers wait, the second hears the offer,
 * presses 1 and is hung up with a confirmation. When the agent becomes ready the order is the
 * first caller, then the call back to the second (dialled while the agent is reserved, then
 * connected to that agent), then the third.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import type { LiveCall } from '../../../src/calls/model.ts'
import { ADMIN_PASSWORD, agentCommand, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'
import { keyPcap, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'

const FIRST = '13811110001'
const SECOND = '13811110002'
const THIRD = '13811110003'

t.test('a callback keeps the caller\'s place in the queue', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep', HOTLINE_CALLBACK_OFFER_AFTER_S: '2' })
  await resetDialer(hotline.sql)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'A3001', { seat: '1003' })
  await registerSeats([{ seat: '1003', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1003') }], 5074)
  startAgentPhone(t, 'uas-agent-answers.xml', 5074, { RING_MS: 200, TALK_MS: 2500 }, 3, 120)
  const offered: LiveCall[] = []
  hotline.calls.on('offered', (call) => offered.push(call))

  const queued = (number: string) => waitFor(`${number} to be queued`, async () => {
    const [r] = await hotline.sql<{ id: string }[]>`select id from calls where caller_number = ${number} and queued_at is not null`
    return r
  }, 15000)
  const first = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [FIRST], { MAX_WAIT_MS: 90000 }, { timeoutS: 110, port: 5080 })
  await queued(FIRST)
  const second = callFromCarrier('uac-caller-asks-callback.xml', '12345', [SECOND], { KEY_AFTER_MS: 4500, KEY_PCAP: keyPcap('1'), MAX_WAIT_MS: 20000 }, { timeoutS: 60, port: 5081 })
  const original = await queued(SECOND)
  const third = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [THIRD], { MAX_WAIT_MS: 90000 }, { timeoutS: 110, port: 5082 })
  await queued(THIRD)
  const citizen = startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 500, KEY_AFTER_MS: 600000, KEY_PCAP: keyPcap('1'), HANGUP_MS: 1000 }, 1, 110)

  const task = await waitFor('the callback to be booked', async () => {
    const [r] = await hotline.sql`select * from callback_tasks where caller_number = ${SECOND}`
    return r
  }, 20000)
  t.match(task, { reason: 'requested', status: 'queued', originalCallId: original.id }, 'booked from the second caller\'s call, holding a place')
  const secondRun = await second.done
  t.equal(secondRun.code, 0, 'the second caller heard the confirmation and was hung up')
  const [left] = await hotline.sql`select outcome, ended_by from calls where id = ${original.id}`
  t.same(left, { outcome: 'callback', endedBy: 'caller' }, 'the original call ended as a callback request, not an abandon')
  const waitingNow = (await hotline.app.inject({ method: 'GET', url: '/v1/queues', headers: { authorization: `Bearer ${admin}` } })).json() as { id: string; waiting: number }[]
  t.equal(waitingNow.find((q) => q.id === 'general')!.waiting, 3, 'still three places in the queue: first, the kept place, third')

  await agentCommand(hotline, token, 'A3001', 'sign-in', { seat: '1003' })
  await agentCommand(hotline, token, 'A3001', 'ready')

  const talked = await waitFor('three conversations with the agent', async () => {
    const rows = await hotline.sql<{ id: string; callerNumber: string; direction: string; callbackOf: string | null; answeredAt: Date }[]>`
      select id, caller_number, direction, callback_of, answered_at from calls where agent_id = 'A3001' and answered_at is not null order by answered_at`
    return rows.length === 3 ? rows : undefined
  }, 60000, 200)
  t.same(talked.map((r) => r.callerNumber), [FIRST, SECOND, THIRD], 'order: the first caller, the call back to the second, the third')
  t.match(talked[1], { direction: 'outbound', callbackOf: original.id }, 'the second conversation is the callback of the original call')
  t.ok(offered.some((c) => c.callbackOf === original.id), 'the agent\'s screen pop is a callback, with the original call')

  const done = await waitFor('the callback task to be done', async () => {
    const [r] = await hotline.sql`select status, attempts, connected_call_id from callback_tasks where id = ${task.id}`
    return r?.status === 'done' ? r : undefined
  }, 10000)
  t.match(done, { attempts: 1, connectedCallId: talked[1]!.id })
  const log = await hotline.sql<{ event: string; detail: { sinceOriginalMs?: number } | null }[]>`select event, detail from queue_log where call_id = ${original.id} and event like 'callback-%' order by id`
  t.same(log.map((l) => l.event), ['callback-offered', 'callback-requested', 'callback-dialled', 'callback-connected'], 'offer, request, attempt and outcome in the queue log')
  t.ok((log[3]!.detail!.sinceOriginalMs ?? 0) > 3000, `time from the original call to the conversation: ${log[3]!.detail!.sinceOriginalMs} ms`)
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
  const stats = await hotline.app.inject({ method: 'GET', url: `/v1/callbacks/stats?from=${day}&to=${day}`, headers: { authorization: `Bearer ${admin}` } })
  t.match((stats.json() as { rows: unknown[] }).rows, [{ lineNumber: '12345', requested: 1, attempts: 1, connected: 1 }], 'the line\'s callback figures')
  const report = await hotline.app.inject({ method: 'GET', url: `/v1/reports/daily?from=${day}&to=${day}&by=line`, headers: { authorization: `Bearer ${admin}` } })
  t.match((report.json() as { rows: unknown[] }).rows, [{ key: '12345', offered: 4, answered: 3, callbacks: 1, waiting: 0, abandoned: 0, answerRate: 1 }],
    'the daily report: the original call left for a callback (not waiting, not abandoned); the callback is one of the answered calls')

  await Promise.all([first.done, third.done, citizen.done])
})
