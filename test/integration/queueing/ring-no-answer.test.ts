/**
 * Ring-no-answer and rejection on real seats: the agent who does not answer goes to not ready
 * ("missed-call"), the caller goes back to the head of the queue and the next agent gets it.
 */
import t from 'tap'
import { ADMIN_PASSWORD, startHotline, tokenFor } from '../../helpers/hotline.ts'
import { agentOnDeskPhone, citizenCalls, expectAnsweredBy } from '../../helpers/scenario.ts'

for (const [kind, scenario, event] of [
  ['rings out', 'uas-agent-never-answers.xml', 'ring-no-answer'],
  ['rejects the call', 'uas-agent-rejects.xml', 'offer-rejected']
] as const) {
  t.test(`an agent who ${kind} goes not ready and the caller goes to the next agent`, async (t) => {
    const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
    const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
    const put = await hotline.app.inject({
      method: 'PUT', url: '/v1/queues/general', headers: { authorization: `Bearer ${admin}` },
      payload: { name: '12345 综合队列', ringTimeoutSeconds: 4, wrapUpSeconds: 2, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null }
    })
    t.equal(put.statusCode, 200, 'ring timeout set to 4 s through the API')
    const m1 = await agentOnDeskPhone(t, hotline, admin, { id: 'M1', seat: '1004', port: 5074, scenario, maxCalls: 5, timeoutS: 60 })
    const g1 = await agentOnDeskPhone(t, hotline, admin, { id: 'G1', seat: '1005', port: 5075, vars: { RING_MS: 300, TALK_MS: 2000 }, maxCalls: 5, timeoutS: 60 })
    // M1 has been idle longest, so the longest-idle strategy offers to M1 first.
    await m1.command('ready')
    await new Promise((r) => setTimeout(r, 50))
    await g1.command('ready')

    const carrier = citizenCalls('12345', '13600136000', { vars: { MAX_WAIT_MS: 30000 }, timeoutS: 45 })
    const row = await expectAnsweredBy(t, hotline, { caller: '13600136000', agentId: 'G1', message: 'answered by the agent who picked up', ms: 25000 })
    t.equal(row.offerAttempts, 2, 'offered twice')
    const events = await hotline.sql<{ event: string; agentId: string | null }[]>`select event, agent_id from queue_log where call_id = ${row.id} order by id`
    t.same(events.slice(0, 5).map((e) => `${e.event}:${e.agentId ?? ''}`), ['entered:', 'offered:M1', `${event}:M1`, 'offered:G1', 'answered:G1'], `queue log: offered, ${event}, offered again, answered`)
    const missed = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/M1/state', headers: { authorization: `Bearer ${m1.token}` } })).json() as { state: string; reason: string }
    t.match(missed, { state: 'not-ready', reason: 'missed-call' }, 'the agent who did not answer is not ready: missed call')
    const [offeredM1, failed] = await hotline.sql<{ at: Date }[]>`select at from queue_log where call_id = ${row.id} and agent_id = 'M1' order by id`
    const ringMs = failed!.at.getTime() - offeredM1!.at.getTime()
    if (event === 'ring-no-answer') t.ok(ringMs >= 3500 && ringMs < 7000, `rang ${ringMs} ms against a 4 s ring timeout`)
    else t.ok(ringMs < 2000, `rejection noticed after ${ringMs} ms`)
    t.equal((await carrier.done).code, 0, 'caller completed the call')
  })
}
