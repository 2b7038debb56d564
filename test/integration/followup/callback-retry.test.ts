/**
 * A callback whose citizen does not answer, on the real PBX: a caller abandons after the grace
 * period and gets an automatic callback; when its turn comes the ACD reserves the ready agent
 * and the citizen's phone is busy (486). The agent goes back to ready at once (not left in
 * offered), the task is due again after the first back-off (5 minutes, crossed by moving the
 * callbacks' clock, never by sleeping), and the second attempt is answered and connected to a
 * ready agent. Asserted from PostgreSQL: attempts, task, queue log, agent state log.
 */
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import type { Clock } from '../../../src/domain/clock.ts'
import { ADMIN_PASSWORD, agentCommand, createAgent, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { testConfig } from '../../helpers/services.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'
import { keyPcap, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'

const MIN = 60_000
const CITIZEN = '13877770001'

/** Real time plus a jump the test makes: the PBX and SIPp run in real time, the back-off is skipped. */
class JumpClock implements Clock {
  private offset = 0
  now(): number { return Date.now() + this.offset }
  advance(ms: number): void { this.offset += ms }
}

t.test('a callback not answered is retried with back-off; the reserved agent is released meanwhile', async (t) => {
  const clock = new JumpClock()
  const config = testConfig({
    HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_GREETING: 'sound:beep', HOTLINE_DIALER_TICK_MS: '0',
    HOTLINE_CALLBACK_ABANDON_AFTER_S: '1', HOTLINE_CALLBACK_MAX_ATTEMPTS: '3', HOTLINE_CALLBACK_RETRY_MINUTES: '5,15', HOTLINE_CALLBACK_RING_S: '10'
  })
  await resetWorld(config)
  const hotline = await createHotline(config, { dialerClock: clock })
  t.teardown(() => hotline.close())
  await hotline.start()
  await resetDialer(hotline.sql)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'A5001', { seat: '1005' })
  await registerSeats([{ seat: '1005', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1005') }], 5076)
  const agentPhone = startAgentPhone(t, 'uas-agent-answers.xml', 5076, { RING_MS: 200, TALK_MS: 2500 }, 1, 90)
  const agentState = async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/agents/A5001/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string }).state

  // No agent is signed in: the caller waits, gives up after 2.5 s and is owed a callback.
  const caller = callFromCarrier('uac-caller-abandons.xml', '12345', [CITIZEN], { ABANDON_AFTER_MS: 2500 }, { timeoutS: 30, port: 5085 })
  t.equal((await caller.done).code, 0, 'the caller abandoned')
  const [original] = await hotline.sql<{ id: string; outcome: string }[]>`select id, outcome from calls where caller_number = ${CITIZEN}`
  t.equal(original?.outcome, 'abandoned', 'the original call is an abandon')
  const task = await waitFor('the automatic callback', async () => {
    const [r] = await hotline.sql<{ id: string; status: string; reason: string }[]>`select id, status, reason from callback_tasks where caller_number = ${CITIZEN}`
    return r
  }, 5000)
  t.match(task, { reason: 'abandoned', status: 'due' }, 'past the grace period: an automatic callback, due now')
  const taskId = Number(task.id)

  const busy = startCitizenPhone(t, 'uas-citizen-busy.xml', {}, 1, 60)
  t.equal(await hotline.callbacks.tick(), 1, 'the due callback joins the queue')
  await agentCommand(hotline, token, 'A5001', 'sign-in', { seat: '1005' })
  await agentCommand(hotline, token, 'A5001', 'ready')

  interface AttemptRow { attemptNo: number; state: string; outcome: string | null; cause: number | null; agentId: string | null; endedAt: Date | null }
  const attempts = () => hotline.sql<AttemptRow[]>`select attempt_no, state, outcome, cause, agent_id, ended_at from dial_attempts where kind = 'callback' and task_id = ${taskId} order by attempt_no`
  const [first] = await waitFor('the first attempt to finish', async () => {
    const rows = await attempts()
    return rows[0]?.state === 'finished' ? rows : undefined
  }, 20000, 100)
  t.match(first, { attemptNo: 1, outcome: 'busy', cause: 17, agentId: 'A5001' }, 'first attempt: busy (cause 17), with the agent reserved for it')
  t.equal((await busy.done).code, 0, 'the busy phone saw one call')

  const retry = (await hotline.sql<{ status: string; tries: number; attempts: number; lastOutcome: string; dueAt: Date; entryCallId: string | null }[]>`
    select status, tries, attempts, last_outcome, due_at, entry_call_id from callback_tasks where id = ${taskId}`)[0]!
  t.match(retry, { status: 'due', tries: 1, attempts: 1, lastOutcome: 'busy', entryCallId: null }, 'the task is due again, its place given up')
  t.equal(retry.dueAt.getTime() - first!.endedAt!.getTime(), 5 * MIN, 'after the first back-off: 5 minutes')
  t.equal(await waitFor('the agent back to ready', async () => ((await agentState()) === 'ready' ? 'ready' : undefined), 5000), 'ready', 'the reserved agent is ready again, not left offered')
  const states = await hotline.sql<{ state: string }[]>`select state from agent_state_log where agent_id = 'A5001' order by id`
  t.same(states.map((s) => s.state).slice(-2), ['offered', 'ready'], 'reserved for the attempt, then released')

  const citizen = startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 600000, KEY_PCAP: keyPcap('1'), HANGUP_MS: 1000 }, 1, 60)
  clock.advance(4 * MIN)
  t.equal(await hotline.callbacks.tick(), 0, 'four minutes later the callback is not due yet')
  t.equal(await agentState(), 'ready', 'and the agent is not reserved for it')
  clock.advance(1 * MIN + 1000)
  t.equal(await hotline.callbacks.tick(), 1, 'five minutes later it joins the queue again')

  const talked = await waitFor('the citizen connected to the agent', async () => {
    const [r] = await hotline.sql<{ id: string; agentId: string; direction: string; callbackOf: string; answeredAt: Date | null; outcome: string | null }[]>`
      select id, agent_id, direction, callback_of, answered_at, outcome from calls where callback_of = ${original!.id} and ended_at is not null`
    return r
  }, 30000, 200)
  t.match(talked, { agentId: 'A5001', direction: 'outbound', callbackOf: original!.id, outcome: 'answered' }, 'the callback call was answered by the agent and ended')
  t.ok(talked.answeredAt, 'with its answer time')
  const all = await attempts()
  t.match(all, [{ attemptNo: 1, outcome: 'busy' }, { attemptNo: 2, outcome: 'connected', agentId: 'A5001', state: 'finished' }], 'two attempts: busy, then connected')
  const done = (await hotline.sql`select status, attempts, tries, last_outcome, connected_call_id from callback_tasks where id = ${taskId}`)[0]
  t.match(done, { status: 'done', attempts: 2, tries: 1, lastOutcome: 'connected', connectedCallId: talked.id }, 'the task is done with the connected call')
  const log = await hotline.sql<{ event: string; agentId: string | null; detail: Record<string, unknown> }[]>`
    select event, agent_id, detail from queue_log where call_id = ${original!.id} and event like 'callback-%' order by id`
  t.same(log.map((l) => l.event), ['callback-scheduled', 'callback-dialled', 'callback-failed', 'callback-dialled', 'callback-connected'], 'the queue log: scheduled, attempt, failure, attempt, connection')
  t.match(log[2]!.detail, { outcome: 'busy', cause: 17, next: 'retry' }, 'the failure says busy and that it is retried')
  t.match(log[1], { agentId: 'A5001', detail: { attempt: 1 } })
  t.match(log[3], { agentId: 'A5001', detail: { attempt: 2 } })
  t.equal(await waitFor('the agent ready after wrap-up', async () => ((await agentState()) === 'ready' ? 'ready' : undefined), 10000), 'ready')
  await Promise.all([citizen.done, agentPhone.done])
})
