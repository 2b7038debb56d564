/**
 * The whole foundation call on real parts: a SIPp carrier calls 12345 on the real Asterisk,
 * hears the greeting, waits with music, is offered to a signed-in ready agent (a SIPp desk
 * phone registered to seat 1001), is bridged and recorded, and the record lands in PostgreSQL.
 */
import t from 'tap'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { agentOnDeskPhone, callAnswered, citizenCalls } from '../../helpers/scenario.ts'
import { wavStats } from '../../helpers/wav.ts'

t.test('a call to 12345 is queued, answered by the ready agent, recorded and logged', async (t) => {
  const hotline = await startHotline(t)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await agentOnDeskPhone(t, hotline, admin, { id: 'A1001', seat: '1001', port: 5071, vars: { RING_MS: 500, TALK_MS: 60000 }, maxCalls: 1, timeoutS: 60 })
  const agentToken = agent.token
  const otherAgent = await createAgent(hotline, admin, 'A1002')

  t.match(agent.signedIn, { state: 'not-ready', seat: '1001' }, 'signed in, not ready yet')
  t.match(await agent.command('ready'), { state: 'ready' }, 'agent is ready')

  const started = Date.now()
  const carrier = citizenCalls('12345', '13800138000', { vars: { MAX_WAIT_MS: 25000 }, timeoutS: 50 })
  const call = await callAnswered(hotline, '13800138000', 20000)
  const agentWhileTalking = await agentCommand(hotline, agentToken, 'me', 'not-ready', { reason: 'break' }).catch(() => null)
  t.equal(agentWhileTalking?.state, 'talking', 'asking for not ready during the call keeps the agent talking')

  const carrierRun = await carrier.done
  t.equal(carrierRun.code, 0, `carrier call completed (sipp: ${carrierRun.stdout.slice(-300)})`)
  const row = await waitFor('the call record to be closed', async () => {
    const [r] = await hotline.sql`select * from calls where id = ${call.id} and ended_at is not null`
    return r
  })
  t.equal(row.callerNumber, '13800138000', 'caller number')
  t.equal(row.dialledNumber, '12345', 'dialled number')
  t.equal(row.lineNumber, '12345', 'line')
  t.equal(row.queueId, 'general', 'queue')
  t.equal(row.agentId, 'A1001', 'agent')
  t.equal(row.seat, '1001', 'seat')
  t.equal(row.outcome, 'answered', 'outcome')
  t.equal(row.endedBy, 'caller', 'the caller hung up')
  const times = ['arrivedAt', 'queuedAt', 'offeredAt', 'answeredAt', 'endedAt'].map((k) => (row[k] as Date).getTime())
  t.same([...times].sort((a, b) => a - b), times, 'arrived ≤ queued ≤ offered ≤ answered ≤ ended')
  t.ok(times[2]! - times[1]! < 1000, `offered ${times[2]! - times[1]!} ms after queue entry with a ready agent`)
  const talkS = (times[4]! - times[3]!) / 1000
  t.ok(talkS >= 5, `the conversation lasted until the caller hung up (${talkS.toFixed(1)} s)`)
  t.equal(row.recordingName, `call-${call.id}`, 'recording name recorded')
  t.ok(times[0]! >= started - 1000, 'arrival time is now')

  const log = await hotline.sql<{ event: string }[]>`select event from queue_log where call_id = ${call.id} order by id`
  t.same(log.map((l) => l.event), ['entered', 'offered', 'answered', 'completed'], 'queue log of the call')

  // Asked for not-ready during the call: it applies at the end instead of wrap-up.
  const after = await waitFor('agent state after the call', async () => {
    const s = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${agentToken}` } })).json() as { state: string; reason: string }
    return s.state !== 'talking' ? s : undefined
  })
  t.match(after, { state: 'not-ready', reason: 'break' }, 'pending not-ready applied after the call')

  const rec = await waitFor('the recording to be downloadable', async () => {
    const res = await hotline.app.inject({ method: 'GET', url: `/v1/calls/${call.id}/recording`, headers: { authorization: `Bearer ${agentToken}` } })
    return res.statusCode === 200 ? res : undefined
  }, 10000)
  t.match(rec.headers['content-type'], /wav/, 'served as WAV')
  const stats = wavStats(rec.rawPayload)
  t.ok(Math.abs(stats.durationS - talkS) < 1.5, `recording lasts ${stats.durationS.toFixed(1)} s, the whole conversation (${talkS.toFixed(1)} s)`)
  t.equal(stats.sampleRate, 8000, 'narrowband WAV as Asterisk records it')
  t.ok(stats.loudWindows >= stats.windows / 3, `recording holds audio (${stats.loudWindows}/${stats.windows} loud half-seconds, rms ${stats.rms.toFixed(0)})`)

  const anonymous = await hotline.app.inject({ method: 'GET', url: `/v1/calls/${call.id}/recording` })
  t.equal(anonymous.statusCode, 401, 'no recording without a token')
  const stranger = await hotline.app.inject({ method: 'GET', url: `/v1/calls/${call.id}/recording`, headers: { authorization: `Bearer ${otherAgent}` } })
  t.equal(stranger.statusCode, 403, 'another agent may not download it')
  const supervisorView = await hotline.app.inject({ method: 'GET', url: `/v1/calls/${call.id}/recording`, headers: { authorization: `Bearer ${admin}` } })
  t.equal(supervisorView.statusCode, 200, 'an administrator may')

  agent.phone.stop()
})
