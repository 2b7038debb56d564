/**
 * Listen (监听), whisper (耳语) and barge (强插) on the real PBX: a SIPp caller talks to an agent's
 * SIPp desk phone (both send speech); a supervisor asks to listen through their own seat, a SIPp
 * phone whose SDP points the PBX's audio at a UDP socket this test owns. The seat rings, joins,
 * and real speech (decoded G.711, not silence) arrives at it. Whisper builds the same snoop
 * with the supervisor's audio going to the agent; barge puts the seat in the call's own bridge.
 * Ending the intervention hangs the seat up and the audio stops; the call goes on.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import type { InterventionView } from '../../../src/supervision/model.ts'
import { AriRest } from '../../../src/pbx/ari/rest.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { RtpReceiver } from '../../helpers/rtp.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('listen, whisper and barge reach the supervisor\'s seat with the call\'s audio', async (t) => {
  const startedAt = new Date().toISOString()
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const auth = (token: string) => ({ authorization: `Bearer ${token}` })
  await hotline.app.inject({ method: 'POST', url: '/v1/users', headers: auth(admin), payload: { id: 'SUP2', displayName: '班长乙', role: 'supervisor', password: 'Supervisor-pass-1' } })
  const sup = await tokenFor(hotline, 'SUP2', 'Supervisor-pass-1')
  const agentToken = await createAgent(hotline, admin, 'V1001', { seat: '1001' })
  const secret = hotline.config.HOTLINE_SEAT_SECRET
  const rest = new AriRest({ url: hotline.config.HOTLINE_ARI_URL, user: hotline.config.HOTLINE_ARI_USER, password: hotline.config.HOTLINE_ARI_PASSWORD })

  const rtp = await new RtpReceiver().start()
  t.teardown(() => rtp.close())
  await registerSeats([{ seat: '1001', password: seatPassword(secret, '1001') }], 5071)
  await registerSeats([{ seat: '1039', password: seatPassword(secret, '1039') }], 5079)
  startAgentPhone(t, 'uas-agent-answers.xml', 5071, { RING_MS: 200, TALK_MS: 120000 }, 1, 150)
  const supervisorPhone = startAgentPhone(t, 'uas-supervisor-phone.xml', 5079, { RTP_HOST: '127.0.0.1', RTP_PORT: rtp.port, HOLD_MS: 60000 }, 4, 150)
  await agentCommand(hotline, agentToken, 'me', 'sign-in', { seat: '1001' })
  await agentCommand(hotline, agentToken, 'me', 'ready')

  const caller = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13800138009'], { MAX_WAIT_MS: 100000 }, { timeoutS: 120 })
  t.teardown(() => caller.stop())
  const call = await waitFor('the call to be answered', async () => {
    const [row] = await hotline.sql<{ id: string }[]>`select id from calls where answered_at is not null and ended_at is null`
    return row
  }, 15000)
  const callBridge = `call-${call.id}-mix`

  const busyAgent = await hotline.app.inject({ method: 'POST', url: `/v1/supervisor/calls/${call.id}/listen`, headers: auth(agentToken), payload: { seat: '1039' } })
  t.equal(busyAgent.statusCode, 403, 'an agent may not listen in')
  const noSeat = await hotline.app.inject({ method: 'POST', url: `/v1/supervisor/calls/${call.id}/listen`, headers: auth(sup), payload: { seat: '9999' } })
  t.equal(noSeat.statusCode, 404, 'an unknown supervisor seat: 404')
  // Only the supervisor's own seat: not the trunk (the call's audio sent to the carrier), not the
  // agent's seat, not a seat nobody was given, and not yet 1039 (assigned just below).
  const channelsBefore = (await rest.listChannels()).length
  for (const [seat, status, why] of [['trunk', 404, 'the trunk is not a seat'], ['1001', 403, "the agent's seat"], ['1038', 403, 'an unassigned seat'], ['1039', 403, 'a seat not yet assigned to SUP2']] as const) {
    const res = await hotline.app.inject({ method: 'POST', url: `/v1/supervisor/calls/${call.id}/barge`, headers: auth(sup), payload: { seat } })
    t.equal(res.statusCode, status, `barge from ${seat}: ${status} (${why})`)
  }
  t.equal((await rest.listChannels()).length, channelsBefore, 'no supervisor leg was dialled')
  const denied = await hotline.sql<{ target: string; details: { reason: string } }[]>`select target, details from audit_log where action = 'seat.intervene' and actor = 'SUP2' and outcome = 'denied' and at >= ${startedAt} order by id`
  t.same(denied.map((r) => [r.target, r.details.reason]), [['9999', 'not-a-seat'], ['trunk', 'not-a-seat'], ['1001', 'assigned-to-another'], ['1038', 'unassigned'], ['1039', 'unassigned']], 'each refusal audited with its reason')
  const assigned = await hotline.app.inject({ method: 'PUT', url: '/v1/seats/1039', headers: auth(admin), payload: { agentId: 'SUP2' } })
  t.equal(assigned.statusCode, 200, `the administrator assigns seat 1039 to SUP2 (${assigned.body.slice(0, 200)})`)

  for (const mode of ['listen', 'whisper', 'barge'] as const) {
    const res = await hotline.app.inject({ method: 'POST', url: `/v1/supervisor/calls/${call.id}/${mode}`, headers: auth(sup), payload: { seat: '1039' } })
    t.equal(res.statusCode, 201, `${mode}: started (${res.body.slice(0, 200)})`)
    const session = res.json() as InterventionView
    t.match(session, { mode, callId: call.id, agentId: 'V1001', seat: '1039', supervisorId: 'SUP2', state: 'ringing' }, `${mode}: the supervisor's seat rings`)
    await waitFor(`${mode}: the seat answered and joined`, async () => {
      const list = (await hotline.app.inject({ method: 'GET', url: '/v1/supervisor/interventions', headers: auth(sup) })).json() as InterventionView[]
      return list.find((s) => s.sessionId === session.sessionId && s.state === 'connected')
    }, 10000)

    if (mode === 'barge') {
      const bridge = await rest.getBridge(callBridge)
      t.ok(bridge.channels.includes(session.supervisorChannelId), 'barge: the seat is in the call\'s own bridge')
      t.equal(bridge.channels.length, 3, 'barge: caller, agent and supervisor in one bridge')
    } else {
      const bridge = await rest.getBridge(session.bridgeId)
      t.same(new Set(bridge.channels), new Set([session.snoopChannelId, session.supervisorChannelId]), `${mode}: snoop and seat share a bridge of their own`)
      const snoop = await rest.getChannel(session.snoopChannelId!)
      t.match(snoop.name, /^Snoop\//, `${mode}: an ARI snoop on the agent's channel (${snoop.name})`)
      t.equal((await rest.getBridge(callBridge)).channels.length, 2, `${mode}: the call's bridge still holds only caller and agent`)
    }

    rtp.reset()
    await sleep(3000)
    const heard = rtp.stats()
    t.ok(heard.packets >= 100, `${mode}: RTP reached the supervisor's endpoint (${heard.packets} packets in 3 s, payload types ${heard.payloadTypes})`)
    t.ok(heard.loudWindows >= heard.windows / 2, `${mode}: and it is speech, not silence (${heard.loudWindows}/${heard.windows} loud half-seconds, rms ${heard.rms.toFixed(0)})`)

    const stop = await hotline.app.inject({ method: 'DELETE', url: `/v1/supervisor/interventions/${session.sessionId}`, headers: auth(sup) })
    t.match([stop.statusCode, stop.json()], [200, { state: 'ended' }], `${mode}: ended by the supervisor`)
    await sleep(500)
    rtp.reset()
    await sleep(1000)
    t.ok(rtp.stats().packets < 5, `${mode}: no audio to the seat after the end`)
    if (mode !== 'barge') await t.rejects(rest.getBridge(session.bridgeId), /not found/i, `${mode}: its bridge is gone`)
    const still = await hotline.sql<{ endedAt: Date | null }[]>`select ended_at from calls where id = ${call.id}`
    t.equal(still[0]?.endedAt, null, `${mode}: the call itself goes on`)
  }

  const audit = (await hotline.app.inject({ method: 'GET', url: `/v1/supervisor/actions?actor=SUP2&from=${startedAt}`, headers: auth(sup) })).json() as { action: string; ok: boolean; callId: string | null; detail: { seat?: string } }[]
  t.same(audit.filter((a) => a.ok).map((a) => a.action).reverse(), ['listen', 'whisper', 'barge'], 'each intervention logged with its supervisor')
  t.ok(audit.every((a) => a.callId === call.id), 'and the call')
  t.ok(audit.some((a) => !a.ok && a.detail.seat === '9999'), 'the refused attempt too')

  // The call ends: an intervention in progress ends with it.
  const last = await hotline.app.inject({ method: 'POST', url: `/v1/supervisor/calls/${call.id}/listen`, headers: auth(sup), payload: { seat: '1039' } })
  const lastSession = last.json() as InterventionView
  await waitFor('the last listen connected', async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/supervisor/interventions', headers: auth(sup) })).json() as InterventionView[]).find((s) => s.state === 'connected'), 10000)
  caller.stop()
  await rest.hangup((await hotline.sql<{ callerChannelId: string }[]>`select caller_channel_id from calls where id = ${call.id}`)[0]!.callerChannelId).catch(() => {})
  await waitFor('the intervention to end with the call', async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/supervisor/interventions', headers: auth(sup) })).json() as InterventionView[]).length === 0, 10000)
  await t.rejects(rest.getBridge(lastSession.bridgeId), /not found/i, 'its bridge is gone')
  supervisorPhone.stop()
})
