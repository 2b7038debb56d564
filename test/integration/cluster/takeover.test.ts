/**
 * Two server nodes at once (issue 11, items 2 and 3), on the real Asterisk: node A drives the
 * calls, B stands by; SIGKILL of A hands the calls to B within 2 s (the waiting caller is offered
 * and answered, the talking call stays up and is logged when it ends); and a rolling deploy
 * (stop A, start A again, stop B) with calls flowing refuses no call at the carrier.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { createSql } from '../../../src/db/sql.ts'
import { resetWorld, waitFor } from '../../helpers/hotline.ts'
import { api } from '../../helpers/server-process.ts'
import { testConfig } from '../../helpers/services.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'
import { AriRest } from '../../../src/pbx/ari/rest.ts'
import { adminToken, clusterView, signInAgent, startNode, waitHolder } from '../../helpers/cluster.ts'

const pbxRest = (config: ReturnType<typeof testConfig>) => new AriRest({ url: config.HOTLINE_ARI_URL, user: config.HOTLINE_ARI_USER, password: config.HOTLINE_ARI_PASSWORD })

t.test('SIGKILL of the driving node: the standby takes over within 2 s, waiting and talking calls kept', async (t) => {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  t.teardown(() => sql.end({ timeout: 5 }))
  const a = await startNode(t, 'node-a')
  const admin = await adminToken(a.url)
  await waitHolder(a, admin)
  const b = await startNode(t, 'node-b')
  const seen = await clusterView(b, admin)
  t.same({ role: seen.role, holder: seen.holder?.nodeId }, { role: 'standby', holder: 'node-a' }, 'B stands by while A drives the calls')
  await api(a.url, 'PUT', '/v1/queues/general', admin, { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })

  await registerSeats(['1021', '1022'].map((seat) => ({ seat, password: seatPassword(config.HOTLINE_SEAT_SECRET, seat) })), 5098)
  startAgentPhone(t, 'uas-agent-answers.xml', 5098, { RING_MS: 200, TALK_MS: 8000 }, 10, 90)
  await signInAgent(a.url, admin, 'C1021', '1021', true)
  const second = await signInAgent(b.url, admin, 'C1022', '1022', false)

  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13800138101', '13800138102'], { MAX_WAIT_MS: 60000 }, { rate: 1, timeoutS: 80 })
  const talking = await waitFor('the first caller talking', async () => {
    const [r] = await sql<{ id: string; answeredAt: Date | null }[]>`select id, answered_at from calls where caller_number = '13800138101'`
    return r?.answeredAt ? r : undefined
  }, 15000)
  const waiting = await waitFor('the second caller queued', async () => {
    const [r] = await sql<{ id: string; queuedAt: Date | null }[]>`select id, queued_at from calls where caller_number = '13800138102'`
    return r?.queuedAt ? r : undefined
  }, 15000)

  const killedAt = Date.now()
  await a.kill('SIGKILL')
  // The second agent becomes ready through B, the standby, the moment A dies.
  const ready = await api(b.url, 'POST', '/v1/agents/C1022/ready', second)
  t.equal(ready.status, 200, 'an agent command on the standby works while the holder is dead')
  const view = await waitHolder(b, admin, 5000)
  const tookOverMs = Date.now() - killedAt
  t.ok(view.holder?.nodeId === 'node-b' && view.holder.epoch > seen.holder!.epoch, `B holds the lease in a new term (epoch ${view.holder?.epoch})`)
  const offered = await waitFor('the waiting caller offered by B', async () => {
    const [r] = await sql<{ at: Date; agentId: string }[]>`select at, agent_id from queue_log where call_id = ${waiting.id} and event = 'offered'`
    return r
  }, 10000, 20)
  const offerMs = offered.at.getTime() - killedAt
  t.comment(`SIGKILL → B holds the lease and ARI: ${tookOverMs} ms; SIGKILL → first offer by B: ${offerMs} ms`)
  t.ok(offerMs < 2000, `the waiting caller is offered within 2 s of the kill (${offerMs} ms)`)
  t.equal(offered.agentId, 'C1022', 'to the agent made ready on the standby')
  const answered = await waitFor('the waiting caller answered', async () => {
    const [r] = await sql<{ answeredAt: Date | null; queuedAt: Date }[]>`select answered_at, queued_at from calls where id = ${waiting.id}`
    return r?.answeredAt ? r : undefined
  }, 10000)
  t.ok(answered.answeredAt!.getTime() > killedAt, 'answered after the takeover')

  const rows = await waitFor('both calls logged when they end', async () => {
    const r = await sql<{ id: string; outcome: string | null; endedAt: Date | null; agentId: string | null }[]>`select id, outcome, ended_at, agent_id from calls order by arrived_at`
    return r.length === 2 && r.every((x) => x.endedAt) ? r : undefined
  }, 30000)
  t.same(rows.map((r) => [r.outcome, r.agentId]), [['answered', 'C1021'], ['answered', 'C1022']], 'the talking call stayed up and was logged answered by B when it ended; so was the offered one')
  const talkEnd = rows.find((r) => r.id === talking.id)!
  t.ok(talkEnd.endedAt!.getTime() - talking.answeredAt!.getTime() >= 7000, 'the talking call lasted its whole talk time across the kill')
  const run = await carrier.done
  t.equal(run.code, 0, `no failed call at the carrier ${run.errors.slice(-500)}`)
  const log = await sql<{ event: string }[]>`select event from queue_log where call_id = ${waiting.id} order by id`
  t.same(log.map((l) => l.event), ['entered', 'offered', 'answered', 'completed'], 'the waiting caller was offered once, by B')
  const left = await waitFor('no channel left on the PBX', async () => ((await pbxRest(config).listChannels()).length === 0 ? true : undefined), 10000)
  t.ok(left, 'no channel left on the PBX')
})

t.test('rolling deploy (stop A, start A again, stop B) with calls flowing refuses no call', async (t) => {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  t.teardown(() => sql.end({ timeout: 5 }))
  const a = await startNode(t, 'node-a')
  const admin = await adminToken(a.url)
  await waitHolder(a, admin)
  const b = await startNode(t, 'node-b')
  await api(a.url, 'PUT', '/v1/queues/general', admin, { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })
  const seats = ['1023', '1024', '1025']
  await registerSeats(seats.map((seat) => ({ seat, password: seatPassword(config.HOTLINE_SEAT_SECRET, seat) })), 5099)
  startAgentPhone(t, 'uas-agent-answers.xml', 5099, { RING_MS: 200, TALK_MS: 2000 }, 60, 150)
  for (const seat of seats) await signInAgent(b.url, admin, `D${seat}`, seat, true)

  const callers = Array.from({ length: 24 }, (_, i) => `1390013${String(i).padStart(4, '0')}`)
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', callers, { MAX_WAIT_MS: 90000 }, { rate: 1, timeoutS: 140 })
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  await sleep(4000)
  await a.kill('SIGTERM')
  t.pass('A stopped gracefully (SIGTERM) with calls flowing')
  await waitHolder(b, admin, 5000)
  await sleep(3000)
  const a2 = await startNode(t, 'node-a')
  t.equal((await clusterView(a2, admin)).role, 'standby', 'A, started again, stands by')
  await sleep(3000)
  await b.kill('SIGTERM')
  t.pass('B stopped gracefully (SIGTERM)')
  await waitHolder(a2, admin, 5000)
  t.pass('A drives the calls again')

  const run = await carrier.done
  t.equal(run.code, 0, `no refused or failed call at the carrier ${run.errors.slice(-800)}`)
  const rows = await waitFor('every call logged', async () => {
    const r = await sql<{ callerNumber: string; outcome: string | null; endedAt: Date | null }[]>`select caller_number, outcome, ended_at from calls`
    return r.length === callers.length && r.every((x) => x.endedAt) ? r : undefined
  }, 30000)
  t.equal(new Set(rows.map((r) => r.callerNumber)).size, callers.length, 'every citizen has exactly one call row')
  const unanswered = rows.filter((r) => r.outcome !== 'answered')
  if (unanswered.length) {
    t.comment(JSON.stringify(await sql`select c.caller_number, c.outcome, c.arrived_at, c.ended_at, c.ended_by, (select json_agg(json_build_array(q.event, q.at, q.agent_id, q.detail) order by q.id) from queue_log q where q.call_id = c.id) as log from calls c where c.outcome <> 'answered'`))
    t.comment(JSON.stringify(await sql`select at, agent_id, state, reason, previous_state, actor from agent_state_log where state not in ('ready', 'offered', 'talking', 'wrap-up') order by id`))
    for (const n of [a, b, a2]) t.comment(n.nodeId, n.log().split('\n').filter((l) => /"level":(40|50)|lease|call control/.test(l)).slice(-40).join('\n'))
  }
  t.same([...new Set(rows.map((r) => r.outcome))], ['answered'], 'every call answered by an agent')
  const double = await sql`select agent_id from agent_state_log where state = 'offered' group by agent_id, call_id having count(*) > 1`
  t.equal(double.length, 0, 'no agent was offered the same call twice')
})
