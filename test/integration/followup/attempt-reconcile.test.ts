/**
 * An attempt whose channel vanished while the server heard nothing (an event gap: the ARI
 * websocket was down) is closed when the server reconciles with the PBX after reconnecting:
 * the reserved agent is ready again, the trunk place is free, the task is due again. Before,
 * the attempt stayed open for ever and the agent stayed 'offered' (sign-out refused).
 * Real parts: the callback rings a SIPp citizen phone that never answers; the test stops the
 * server's ARI connection, hangs the citizen's channel up itself, and starts the connection again.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { AriRest } from '../../../src/pbx/ari/rest.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

const CITIZEN = '13877770009'

t.test('a callback attempt whose channel vanished in an event gap is closed after the reconnect; the agent is free again', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep', HOTLINE_DIALER_TICK_MS: '0', HOTLINE_CALLBACK_ABANDON_AFTER_S: '1', HOTLINE_CALLBACK_RING_S: '60' })
  await resetDialer(hotline.sql)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'A7001', { seat: '1007' })
  await registerSeats([{ seat: '1007', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1007') }], 5077)
  startAgentPhone(t, 'uas-agent-answers.xml', 5077, { RING_MS: 200, TALK_MS: 2000 }, 1, 60)
  const agentState = async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/agents/A7001/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string }).state

  const caller = callFromCarrier('uac-caller-abandons.xml', '12345', [CITIZEN], { ABANDON_AFTER_MS: 2000 }, { timeoutS: 30, port: 5086 })
  t.equal((await caller.done).code, 0, 'the caller gave up waiting and is owed a callback')
  startCitizenPhone(t, 'uas-citizen-never-answers.xml', {}, 1, 90)
  await waitFor('the callback task', async () => (await hotline.sql`select id from callback_tasks where caller_number = ${CITIZEN}`)[0], 5000)
  t.equal(await hotline.callbacks.tick(), 1, 'the due callback joins the queue')
  await agentCommand(hotline, token, 'A7001', 'sign-in', { seat: '1007' })
  await agentCommand(hotline, token, 'A7001', 'ready')

  const attempt = await waitFor('the citizen being dialled, the agent reserved', async () => {
    const [a] = await hotline.sql<{ id: string; channelId: string; dialledAt: Date | null }[]>`select id, channel_id, dialled_at from dial_attempts where kind = 'callback' and state <> 'finished'`
    return a?.dialledAt && (await agentState()) === 'offered' ? a : undefined
  }, 15000, 100)

  // The event gap: the server stops listening, the citizen's channel ends meanwhile.
  await hotline.ari.stop()
  const rest = new AriRest({ url: hotline.config.HOTLINE_ARI_URL, user: hotline.config.HOTLINE_ARI_USER, password: hotline.config.HOTLINE_ARI_PASSWORD })
  await rest.hangup(attempt.channelId)
  await waitFor('the channel gone from the PBX', async () => !(await rest.listChannels()).some((c) => c.id === attempt.channelId), 5000)
  t.equal(await agentState(), 'offered', 'while nobody listened the agent was still held for the attempt')

  await hotline.ari.start()
  const closed = await waitFor('the attempt closed after the reconnect', async () => {
    const [a] = await hotline.sql<{ state: string; outcome: string | null }[]>`select state, outcome from dial_attempts where id = ${attempt.id}`
    return a?.state === 'finished' ? a : undefined
  }, 10000, 100)
  t.match(closed, { state: 'finished', outcome: 'lost' }, 'closed as lost: its outcome is unknown')
  t.equal(await waitFor('the agent free again', async () => ((await agentState()) === 'ready' ? 'ready' : undefined), 5000), 'ready', 'the reserved agent is ready again')
  const [task] = await hotline.sql<{ status: string; tries: number }[]>`select status, tries from callback_tasks where caller_number = ${CITIZEN}`
  t.match(task, { status: 'due', tries: 0 }, 'the task is due again; a lost attempt does not count as a try')
  t.match(await agentCommand(hotline, token, 'A7001', 'sign-out'), { state: 'signed-out' }, 'and the agent can sign out')
})
