/**
 * Call control on real parts: a SIPp carrier calls 12345 (from 127.0.0.2:5081), a SIPp desk
 * phone answers at seat 1001, and a SIPp UAS on the trunk's contact (127.0.0.2:5080) plays the
 * emergency lines and units the agent transfers to. Hold, mute and DTMF; a consult transfer
 * (caller on hold, agent talks to 119, then completes); a blind transfer to 110; the errors.
 */
import t from 'tap'
import path from 'node:path'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import type { Hotline } from '../../../src/app.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, CARRIER_IP, registerSeats, renderScenario, startAgentPhone, startSipp } from '../../helpers/sipp.ts'

interface ControlView { held: boolean; muted: boolean; consult: { number: string; state: string } | null }

async function control(hotline: Hotline, token: string, action: string, body?: object) {
  return hotline.app.inject({ method: 'POST', url: `/v1/agents/me/call/${action}`, headers: { authorization: `Bearer ${token}` }, payload: body ?? {} })
}
async function current(hotline: Hotline, token: string) {
  const res = await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/call', headers: { authorization: `Bearer ${token}` } })
  return (res.json() as { current: { call: { callId: string }; phase: string; control: ControlView } | null }).current
}
const bridgeMembers = async (hotline: Hotline, callId: string) => (await hotline.ari.rest.getBridge(`call-${callId}-mix`)).channels

t.test('hold, mute, DTMF, consult transfer to 119 and blind transfer to 110', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'A1001', { seat: '1001' })
  const stranger = await createAgent(hotline, admin, 'A1002')

  await registerSeats([{ seat: '1001', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1001') }], 5071)
  startAgentPhone(t, 'uas-agent-answers.xml', 5071, { RING_MS: 200, TALK_MS: 120000 }, 2, 120)
  // The far end of transfers: the trunk's contact address, answering every number.
  const farFile = renderScenario('uas-agent-answers.xml', { RING_MS: 300, TALK_MS: 4000 })
  const far = startSipp(['-sf', farFile, '-i', CARRIER_IP, '-p', '5080', '-mi', CARRIER_IP, '-m', '2', '-trace_err', '-error_file', path.join(path.dirname(farFile), 'errors.log')], 120)
  t.teardown(() => far.stop())

  t.equal((await control(hotline, agent, 'hold')).statusCode, 409, 'no call: 409')
  const targets = await hotline.app.inject({ method: 'GET', url: '/v1/transfer-targets', headers: { authorization: `Bearer ${agent}` } })
  t.same(targets.json().map((x: { number: string }) => x.number), ['110', '119', '120', '122'], 'default transfer targets: the emergency lines')

  await agentCommand(hotline, agent, 'me', 'sign-in', { seat: '1001' })
  await agentCommand(hotline, agent, 'me', 'ready')

  // ---- call 1: hold, mute, DTMF, then consult 119 and complete
  const carrier1 = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13700137001'], { MAX_WAIT_MS: 60000 }, { timeoutS: 90, port: 5081 })
  t.teardown(() => carrier1.stop())
  const c1 = await waitFor('call 1 to be talking', async () => { const c = await current(hotline, agent); return c?.phase === 'talking' ? c : undefined }, 20000)
  const callId = c1.call.callId

  t.equal((await control(hotline, stranger, 'hold')).statusCode, 409, "another agent has no call: 409 (never controls someone else's)")
  const foreign = await hotline.app.inject({ method: 'POST', url: '/v1/agents/A1001/call/hold', headers: { authorization: `Bearer ${stranger}` }, payload: {} })
  t.equal(foreign.statusCode, 403, `another agent's call: 403 (${foreign.body})`)
  const noBody = await hotline.app.inject({ method: 'POST', url: '/v1/agents/A1002/call/hold', headers: { authorization: `Bearer ${stranger}` } })
  t.equal(noBody.statusCode, 409, `a command without a body is fine (${noBody.body})`)
  t.equal((await control(hotline, agent, 'explode')).statusCode, 400, 'unknown action: 400')
  const noDigits = await control(hotline, agent, 'dtmf', {})
  t.match([noDigits.statusCode, noDigits.json().message], [400, /body\.digits/], 'dtmf without digits: 400 naming the field')

  const held = await control(hotline, agent, 'hold')
  t.match(held.json(), { held: true }, 'hold')
  const stateNow = async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${agent}` } })).json() as { state: string }).state
  t.equal(await stateNow(), 'on-hold', 'the agent is on hold')
  t.equal((await bridgeMembers(hotline, callId)).length, 1, 'caller left the conversation bridge')
  const holdBridge = await hotline.ari.rest.getBridge(`call-${callId}-hold`)
  t.equal(holdBridge.channels.length, 1, 'caller waits in the call\'s holding bridge (with music)')
  t.match((await control(hotline, agent, 'unhold')).json(), { held: false }, 'unhold')
  t.equal((await bridgeMembers(hotline, callId)).length, 2, 'caller and agent together again')
  t.match((await control(hotline, agent, 'mute')).json(), { muted: true }, 'mute')
  t.match((await control(hotline, agent, 'unmute')).json(), { muted: false }, 'unmute')
  t.equal((await control(hotline, agent, 'dtmf', { digits: '12#' })).statusCode, 200, 'DTMF sent')

  const consult = await control(hotline, agent, 'consult', { number: '119' })
  t.match(consult.json(), { held: true, consult: { number: '119', state: 'ringing' } }, 'consulting 119: caller on hold, target ringing')
  t.equal((await control(hotline, agent, 'unhold')).statusCode, 409, 'cannot unhold in the middle of a consultation')
  await waitFor('119 to answer', async () => (await current(hotline, agent))?.control.consult?.state === 'talking', 10000)
  t.equal((await bridgeMembers(hotline, callId)).length, 2, 'agent and 119 talk (the caller still on hold)')
  t.match((await control(hotline, agent, 'consult-complete')).json(), { consult: { number: '119' } }, 'transfer completed')
  const afterComplete = await waitFor('the agent to leave the call', async () => {
    const s = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${agent}` } })).json() as { state: string }
    return s.state !== 'talking' && s.state !== 'on-hold' ? s : undefined
  })
  t.ok(['wrap-up', 'not-ready', 'ready'].includes(afterComplete.state), `agent out of the call (${afterComplete.state})`)
  t.equal(await current(hotline, agent), null, 'no current call for the agent any more')
  const members = await waitFor('caller and 119 bridged', async () => { const m = await bridgeMembers(hotline, callId); return m.length === 2 ? m : undefined })
  t.ok(members.some((id) => id.startsWith('consult-')), 'the caller talks to 119')
  // 119 hangs up after 4 s: the caller is hung up and the call closes as answered.
  t.equal((await carrier1.done).code, 0, 'caller call 1 ended normally')
  const row1 = await waitFor('call 1 closed', async () => { const [r] = await hotline.sql`select outcome, ended_by, recording_name from calls where id = ${callId} and ended_at is not null`; return r })
  t.match(row1, { outcome: 'answered', recordingName: `call-${callId}` }, 'call 1 record')
  await waitFor('the hold bridge to be removed', async () => !(await hotline.ari.rest.listBridges()).some((b) => b.id === `call-${callId}-hold`))

  // ---- call 2: blind transfer to 110
  await waitFor('the agent to be ready again', async () => {
    const s = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${agent}` } })).json() as { state: string }
    if (s.state === 'not-ready') await agentCommand(hotline, agent, 'me', 'ready')
    return s.state === 'ready'
  })
  const carrier2 = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13700137002'], { MAX_WAIT_MS: 60000 }, { timeoutS: 90, port: 5081 })
  t.teardown(() => carrier2.stop())
  const c2 = await waitFor('call 2 to be talking', async () => { const c = await current(hotline, agent); return c?.phase === 'talking' ? c : undefined }, 20000)
  const bad = await control(hotline, agent, 'transfer', { number: '12306' })
  t.match([bad.statusCode, bad.json().message], [400, /body\.number/], 'a number that is not configured: 400 naming the field')
  t.match((await control(hotline, agent, 'transfer', { number: '110' })).json(), { consult: { number: '110' } }, 'blind transfer to 110')
  t.equal(await current(hotline, agent), null, 'the agent is out of the call at once')
  await waitFor('caller and 110 bridged', async () => (await bridgeMembers(hotline, c2.call.callId)).some((id) => id.startsWith('consult-')))
  t.equal((await carrier2.done).code, 0, 'caller call 2 ended normally after 110 hung up')
  const row2 = await waitFor('call 2 closed', async () => { const [r] = await hotline.sql`select outcome from calls where id = ${c2.call.callId} and ended_at is not null`; return r })
  t.equal(row2.outcome, 'answered', 'call 2 record')
  t.equal((await far.done).code, 0, 'the far end took both transfers')
})
