/**
 * Agent-assisted follow-up (回访 by an agent) on the real PBX: the answered citizen waits in the
 * campaign's follow-up queue, the agent's screen pop carries the ticket, the agent records the
 * evaluation in the panel (REST), and the end of the call settles the attempt.
 */
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { createSql } from '../../../src/db/sql.ts'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import type { LiveCall } from '../../../src/calls/model.ts'
import { ADMIN_PASSWORD, agentCommand, createAgent, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { testConfig } from '../../helpers/services.ts'
import { registerSeats, startAgentPhone } from '../../helpers/sipp.ts'
import { closedTicket, keyPcap, ManualClock, nextBeijingSevenAm, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'

t.test('an answered follow-up goes to an agent with the ticket on screen', async (t) => {
  const clock = new ManualClock(nextBeijingSevenAm() + 2 * 3_600_000) // 09:00 Beijing time, inside the window
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_GREETING: 'none' })
  await resetWorld(config)
  // The follow-up queue exists before the server reads its queue directory.
  const setup = createSql(config.DATABASE_URL, { max: 1 })
  await setup`insert into queues (id, name, wrap_up_seconds) values ('followup', '回访坐席', 1) on conflict (id) do nothing`
  await setup.end()
  const hotline = await createHotline(config, { dialerClock: clock })
  t.teardown(async () => {
    await hotline.sql`update follow_up_campaigns set mode = 'survey', agent_queue_id = null where id = 'default'`
    await hotline.close()
  })
  await hotline.start()
  await resetDialer(hotline.sql)
  await hotline.sql`update follow_up_campaigns set mode = 'agent', agent_queue_id = 'followup' where id = 'default'`
  hotline.followUps.dialer.invalidate()

  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'A4001', { queues: ['followup'], seat: '1004' })
  await registerSeats([{ seat: '1004', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1004') }], 5075)
  startAgentPhone(t, 'uas-agent-answers.xml', 5075, { RING_MS: 200, TALK_MS: 3000 }, 1, 60)
  await agentCommand(hotline, token, 'A4001', 'sign-in', { seat: '1004' })
  await agentCommand(hotline, token, 'A4001', 'ready')
  const offered: LiveCall[] = []
  hotline.calls.on('offered', (call) => offered.push(call))

  const { ticketId, taskId } = await closedTicket(hotline, '13800000021')
  const citizen = startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 600000, KEY_PCAP: keyPcap('1'), HANGUP_MS: 1000 }, 1, 60)
  t.equal(await hotline.followUps.dialer.tick(), 1, 'the follow-up call is placed')

  const talking = await waitFor('the agent to talk with the citizen', async () => {
    const [r] = await hotline.sql<{ id: string; queueId: string; callerNumber: string }[]>`select id, queue_id, caller_number from calls where agent_id = 'A4001' and answered_at is not null`
    return r
  }, 20000)
  t.match(talking, { queueId: 'followup', callerNumber: '13800000021' }, 'through the follow-up queue')
  t.ok(offered.some((c) => c.followUp?.ticketId === ticketId), 'the screen pop carries the ticket to follow up')

  const ticket = (await hotline.app.inject({ method: 'GET', url: `/v1/tickets/${ticketId}`, headers: { authorization: `Bearer ${token}` } })).json() as { version: number }
  const evaluated = await hotline.app.inject({
    method: 'POST', url: `/v1/tickets/${ticketId}/evaluate`, headers: { authorization: `Bearer ${token}` },
    payload: { version: ticket.version, result: 'basically-satisfied', method: 'agent-call' }
  })
  t.equal(evaluated.statusCode, 200, 'the agent records the evaluation in the panel')

  const [attempt] = await waitFor('the attempt to be settled', async () => {
    const rows = await hotline.sql<{ outcome: string | null; state: string }[]>`select outcome, state from dial_attempts where task_id = ${taskId}`
    return rows[0]?.state === 'finished' ? rows : undefined
  }, 20000)
  t.equal(attempt!.outcome, 'evaluated', 'the call\'s end settles the attempt as evaluated')
  const [task] = await hotline.sql`select status from follow_up_tasks where id = ${taskId}`
  t.equal(task!.status, 'done', 'the follow-up is done')
  const [row] = await hotline.sql`select evaluation_result, evaluation_method from tickets where id = ${ticketId}`
  t.same(row, { evaluationResult: 'basically-satisfied', evaluationMethod: 'agent-call' })
  await citizen.done
})
