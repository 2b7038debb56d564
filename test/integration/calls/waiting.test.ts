/**
 * Waiting callers on the real PBX: one who gives up is logged as abandoned with the time they
 * waited and leaves the queue; one who calls while nobody is signed in keeps waiting and is
 * answered as soon as an agent signs in and is ready.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

t.test('a caller who hangs up while waiting is logged as abandoned and leaves the queue', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const carrier = callFromCarrier('uac-caller-abandons.xml', '12345', ['13900139000'], { ABANDON_AFTER_MS: 5000 }, { timeoutS: 30 })
  const queued = await waitFor('the caller to be queued', async () => {
    const res = await hotline.app.inject({ method: 'GET', url: '/v1/queues', headers: { authorization: `Bearer ${admin}` } })
    const general = (res.json() as { id: string; waiting: number }[]).find((q) => q.id === 'general')
    return general && general.waiting === 1 ? general : undefined
  }, 10000)
  t.equal(queued.waiting, 1, 'the caller waits in the general queue')
  const run = await carrier.done
  t.equal(run.code, 0, 'caller hung up as scripted')
  const row = await waitFor('the abandoned record', async () => {
    const [r] = await hotline.sql`select * from calls where caller_number = '13900139000' and ended_at is not null`
    return r
  })
  t.equal(row.outcome, 'abandoned', 'outcome abandoned')
  t.equal(row.endedBy, 'caller', 'ended by the caller')
  t.equal(row.agentId, null, 'no agent')
  const [abandon] = await hotline.sql<{ waitMs: number }[]>`select wait_ms from queue_log where call_id = ${row.id} and event = 'abandoned'`
  t.ok(abandon, 'queue log has the abandon')
  t.ok(abandon!.waitMs > 1000 && abandon!.waitMs < 6000, `waited ${abandon!.waitMs} ms in the queue before hanging up`)
  const after = (await hotline.app.inject({ method: 'GET', url: '/v1/queues', headers: { authorization: `Bearer ${admin}` } })).json() as { id: string; waiting: number }[]
  t.equal(after.find((q) => q.id === 'general')!.waiting, 0, 'nobody is left waiting')
  const metrics = (await hotline.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${hotline.config.HOTLINE_METRICS_TOKEN}` } })).body
  t.match(metrics, /hotline_calls_abandoned_total\{queue="general"\} 1/, 'metrics count the abandon')
  t.match(metrics, /hotline_calls_waiting\{queue="general"\} 0/, 'metrics show nobody waiting')
})

t.test('with no agent signed in a caller keeps waiting and is answered once one is ready', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'A2001', { seat: '1002' })
  await registerSeats([{ seat: '1002', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1002') }], 5072)
  startAgentPhone(t, 'uas-agent-answers.xml', 5072, { RING_MS: 200, TALK_MS: 3000 }, 1, 60)
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13700137000'], { MAX_WAIT_MS: 30000 }, { timeoutS: 45 })
  await waitFor('the caller to be queued', async () => {
    const [r] = await hotline.sql`select queued_at from calls where caller_number = '13700137000' and queued_at is not null`
    return r
  }, 10000)
  await new Promise((r) => setTimeout(r, 3000))
  const [still] = await hotline.sql`select answered_at, ended_at from calls where caller_number = '13700137000'`
  t.same(still, { answeredAt: null, endedAt: null }, 'after 3 s with nobody signed in the caller is still waiting')
  const metrics = (await hotline.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${hotline.config.HOTLINE_METRICS_TOKEN}` } })).body
  t.match(metrics, /hotline_calls_waiting\{queue="general"\} 1/, 'metrics show one caller waiting')

  const readyAt = Date.now()
  await agentCommand(hotline, token, 'A2001', 'sign-in', { seat: '1002' })
  await agentCommand(hotline, token, 'A2001', 'ready')
  const answered = await waitFor('the waiting caller to be answered', async () => {
    const [r] = await hotline.sql<{ answeredAt: Date | null; offeredAt: Date | null; agentId: string }[]>`select answered_at, offered_at, agent_id from calls where caller_number = '13700137000'`
    return r?.answeredAt ? r : undefined
  }, 15000)
  t.equal(answered.agentId, 'A2001', 'answered by the agent who became ready')
  t.ok(answered.offeredAt!.getTime() - readyAt < 1500, `offered ${answered.offeredAt!.getTime() - readyAt} ms after the agent became ready`)
  const run = await carrier.done
  t.equal(run.code, 0, 'call completed')
  const row = await waitFor('the closed record', async () => {
    const [r] = await hotline.sql`select outcome, ended_by from calls where caller_number = '13700137000' and ended_at is not null`
    return r
  })
  t.same(row, { outcome: 'answered', endedBy: 'agent' }, 'the agent hung up after talking')
  const state = await waitFor('wrap-up then ready', async () => {
    const s = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/A2001/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string }
    return s.state === 'wrap-up' ? s : undefined
  }, 5000)
  t.equal(state.state, 'wrap-up', 'agent goes to wrap-up after the call')
  await waitFor('ready after the 2 s wrap-up', async () => {
    const s = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/A2001/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string }
    return s.state === 'ready' ? s : undefined
  }, 6000)
  const [logged] = await hotline.sql<{ n: number }[]>`select count(*)::int as n from agent_state_log where agent_id = 'A2001' and state = 'wrap-up'`
  t.equal(logged!.n, 1, 'the wrap-up is in the agent state log')
})
