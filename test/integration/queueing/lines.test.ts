/**
 * Lines on the real PBX: a dual-number departmental line (双号并行) rings its reserved seats first
 * and overflows to the 12345 pool after its wait, or at once when no reserved seat is signed in;
 * an elderly-priority line's callers are served before earlier ordinary callers.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

t.test('dual-number line: reserved seat first, overflow to the 12345 pool after the wait or with nobody signed in; priority line first', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const put = async (url: string, payload: object) => {
    const res = await hotline.app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${admin}` }, payload })
    if (res.statusCode !== 200) throw new Error(`PUT ${url}: ${res.statusCode} ${res.body}`)
  }
  await put('/v1/queues/general', { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })
  await put('/v1/queues/housing', { name: '住建局保留座席', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })
  await put('/v1/lines/96180', { name: '住房保障热线', kind: 'dual-number', queueId: 'housing', greeting: null, priority: 0, hours: null, overflowQueueId: 'general', overflowAfterSeconds: 4 })
  await put('/v1/lines/12349', { name: '老年人优先专线', kind: 'merged', queueId: 'general', greeting: null, priority: 5, hours: null, overflowQueueId: null, overflowAfterSeconds: null })

  const secret = hotline.config.HOTLINE_SEAT_SECRET
  await registerSeats([{ seat: '1021', password: seatPassword(secret, '1021') }], 5111)
  await registerSeats([{ seat: '1022', password: seatPassword(secret, '1022') }], 5112)
  startAgentPhone(t, 'uas-agent-answers.xml', 5111, { RING_MS: 100, TALK_MS: 1500 }, 20, 150)
  startAgentPhone(t, 'uas-agent-answers.xml', 5112, { RING_MS: 100, TALK_MS: 1500 }, 20, 150)
  const housing = await createAgent(hotline, admin, 'H1', { queues: ['housing'], seat: '1021' })
  const pool = await createAgent(hotline, admin, 'P1', { queues: ['general'], seat: '1022' })
  await agentCommand(hotline, housing, 'H1', 'sign-in', { seat: '1021' })
  await agentCommand(hotline, pool, 'P1', 'sign-in', { seat: '1022' })
  await agentCommand(hotline, housing, 'H1', 'ready')
  await agentCommand(hotline, pool, 'P1', 'ready')

  const callRow = (caller: string) => waitFor(`call of ${caller} closed`, async () => {
    const [row] = await hotline.sql<{ id: string; agentId: string | null; lineNumber: string | null; outcome: string | null; queuedAt: Date | null; answeredAt: Date | null }[]>`
      select id, agent_id, line_number, outcome, queued_at, answered_at from calls where caller_number = ${caller} and ended_at is not null`
    return row
  }, 30000)
  const overflows = (callId: string) => hotline.sql<{ detail: { from: string; to: string; reason: string } }[]>`select detail from queue_log where call_id = ${callId} and event = 'overflowed'`
  const ready = (token: string, id: string) => waitFor(`${id} ready`, async () => ((await hotline.app.inject({ method: 'GET', url: `/v1/agents/${id}/state`, headers: { authorization: `Bearer ${token}` } })).json() as { state: string }).state === 'ready', 10000)

  // 1. The reserved seat is free: it answers the department's caller.
  let run = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '96180', ['13600000001'], { MAX_WAIT_MS: 30000 }, { rate: 1, timeoutS: 45 })
  t.equal((await run.done).code, 0, 'first caller completed')
  let row = await callRow('13600000001')
  t.match(row, { agentId: 'H1', lineNumber: '96180', outcome: 'answered' }, 'the reserved seat answered the dual-number line')
  t.equal((await overflows(row.id)).length, 0, 'no overflow')
  await ready(housing, 'H1')

  // 2. The reserved seat is busy (not ready): after the line's 4 s the caller goes to the pool.
  await agentCommand(hotline, housing, 'H1', 'not-ready', { reason: 'meeting' })
  run = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '96180', ['13600000002'], { MAX_WAIT_MS: 30000 }, { rate: 1, timeoutS: 45 })
  t.equal((await run.done).code, 0, 'second caller completed')
  row = await callRow('13600000002')
  t.match(row, { agentId: 'P1', lineNumber: '96180', outcome: 'answered' }, 'the 12345 pool answered after the wait')
  const waited = row.answeredAt!.getTime() - row.queuedAt!.getTime()
  t.ok(waited >= 4000 && waited < 9000, `the caller waited the line's 4 s for a reserved seat first (${waited} ms)`)
  t.match((await overflows(row.id)).map((o) => o.detail), [{ from: 'housing', to: 'general' }], 'the overflow is in the queue log')
  await ready(pool, 'P1')

  // 3. No reserved seat signed in: the pool takes the caller at once, and the log says why.
  await agentCommand(hotline, housing, 'H1', 'sign-out')
  run = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '96180', ['13600000003'], { MAX_WAIT_MS: 30000 }, { rate: 1, timeoutS: 45 })
  t.equal((await run.done).code, 0, 'third caller completed')
  row = await callRow('13600000003')
  t.match(row, { agentId: 'P1', lineNumber: '96180', outcome: 'answered' }, 'the pool answered')
  t.match((await overflows(row.id)).map((o) => o.detail), [{ from: 'housing', to: 'general', reason: 'no-reserved-seat' }], 'routed to the pool on arrival: no reserved seat')
  t.ok(row.answeredAt!.getTime() - row.queuedAt!.getTime() < 3000, 'without waiting for the line timer')
  await ready(pool, 'P1')

  // 4. Priority: an ordinary caller waits first, an elderly caller arrives later; the elderly caller is served first.
  await agentCommand(hotline, pool, 'P1', 'not-ready', { reason: 'break' })
  const ordinary = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13600000004'], { MAX_WAIT_MS: 40000 }, { rate: 1, timeoutS: 60, port: 5080 })
  await waitFor('ordinary caller waiting', async () => (await hotline.sql`select 1 from calls where caller_number = '13600000004' and queued_at is not null`).length > 0, 10000)
  const elderly = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12349', ['13600000005'], { MAX_WAIT_MS: 40000 }, { rate: 1, timeoutS: 60, port: 5082 })
  await waitFor('elderly caller waiting', async () => (await hotline.sql`select 1 from calls where caller_number = '13600000005' and queued_at is not null`).length > 0, 10000)
  await agentCommand(hotline, pool, 'P1', 'ready')
  t.equal((await elderly.done).code, 0, 'elderly caller completed')
  t.equal((await ordinary.done).code, 0, 'ordinary caller completed')
  const first = await callRow('13600000004')
  const second = await callRow('13600000005')
  t.ok(first.queuedAt!.getTime() < second.queuedAt!.getTime(), 'the ordinary caller queued first')
  t.ok(second.answeredAt!.getTime() < first.answeredAt!.getTime(), 'the elderly-priority caller was answered first')
})

t.test('not-ready reasons are the center\'s own list', async (t) => {
  const hotline = await startHotline(t)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'N1', { seat: '1023' })
  const auth = (token: string) => ({ authorization: `Bearer ${token}` })
  let res = await hotline.app.inject({ method: 'PUT', url: '/v1/not-ready-reasons/callback-work', headers: auth(admin), payload: { label: '回访处理', sortOrder: 6 } })
  t.equal(res.statusCode, 200, 'an administrator adds a reason')
  res = await hotline.app.inject({ method: 'GET', url: '/v1/not-ready-reasons', headers: auth(agent) })
  t.ok((res.json() as { code: string; label: string }[]).some((r) => r.code === 'callback-work' && r.label === '回访处理'), 'agents see it with its label')
  await agentCommand(hotline, agent, 'N1', 'sign-in', { seat: '1023' })
  const state = await agentCommand(hotline, agent, 'N1', 'not-ready', { reason: 'callback-work' })
  t.equal(state.reason, 'callback-work', 'and can choose it')
  res = await hotline.app.inject({ method: 'DELETE', url: '/v1/not-ready-reasons/callback-work', headers: auth(admin) })
  t.equal(res.statusCode, 204, 'deleted')
  res = await hotline.app.inject({ method: 'POST', url: '/v1/agents/N1/not-ready', headers: auth(agent), payload: { reason: 'callback-work' } })
  t.equal(res.statusCode, 400, 'a deleted reason is refused as bad input')
  t.match(res.json(), { message: /not one of/ }, 'with the list of valid ones')
  res = await hotline.app.inject({ method: 'PUT', url: '/v1/not-ready-reasons/Bad Code', headers: auth(admin), payload: { label: 'x' } })
  t.equal(res.statusCode, 400, 'a malformed code is a 400')
  res = await hotline.app.inject({ method: 'PUT', url: '/v1/not-ready-reasons/ok', headers: auth(agent), payload: { label: 'x' } })
  t.equal(res.statusCode, 403, 'agents cannot change the list')
  res = await hotline.app.inject({ method: 'DELETE', url: '/v1/not-ready-reasons/nope', headers: auth(admin) })
  t.equal(res.statusCode, 404, 'unknown reason: 404')
  await agentCommand(hotline, agent, 'N1', 'sign-out')
})
