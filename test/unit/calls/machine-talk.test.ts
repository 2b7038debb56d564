/** The call machine with an agent: offer, RONA, rejection, answer, hang-ups, wrap-up, transfer hand-off, rejoin. */
import t from 'tap'
import { dueTimes, liveView, type Talking } from '../../../src/calls/call-state.ts'
import { arrive } from '../../../src/calls/machine.ts'
import { CALL_ID, MAIN_LINE, policy, Sim, T0 } from './machine-sim.ts'

const SEAT_LEG = `seat-${CALL_ID}-1`

function waiting(sim = new Sim()): Sim {
  return sim.start(arrive({
    callId: CALL_ID, channelId: 'caller-1', callerNumber: '13800138000', dialled: '12345', arrival: { arrivedAt: T0, heldByPbx: false },
    line: MAIN_LINE, route: { queueId: 'general', reason: 'line-queue' }, greeting: null
  }, sim.now, sim.policy))
}

function ringing(sim = new Sim(), seat = '1001'): Sim {
  return waiting(sim).advance(5000).send({ type: 'offer', agentId: 'a1', seat, ringTimeoutSeconds: 15 })
}

function talking(sim = new Sim(), seat = '1001'): Sim {
  return ringing(sim, seat).advance(3000).send({ type: 'seat-answered', channelId: SEAT_LEG })
}

const legOf = (sim: Sim) => liveView(sim.call).agentChannelId!

t.test('offer: saved as ringing, screen pop before the seat rings, the ring guard armed once the seat rings', async (t) => {
  const sim = ringing()
  t.same(sim.types(), ['persist', 'log', 'notify:offered', 'notify:queue-changed', 'originate-seat', 'write-call:offered', 'persist'])
  t.match(sim.of('originate-seat')[0], { channelId: SEAT_LEG, seat: '1001', entry: 'agent-leg', timeoutSeconds: 15, originator: 'caller-1' })
  t.same(dueTimes(sim.saved()[0]!), {}, 'waiting timers stop while the seat rings')
  t.same(dueTimes(sim.call), { ringGuard: T0 + 5000 + 20_000 })
  t.equal(liveView(sim.call).phase, 'offered')
})

t.test('a second offer of a call already ringing is refused (the ACD releases the agent)', async (t) => {
  const sim = ringing().send({ type: 'offer', agentId: 'a2', seat: '1002', ringTimeoutSeconds: 15 })
  t.equal(sim.refused, 'not-waiting')
})

t.test('RONA: the seat did not answer; the agent misses the call, the caller is back at the head of the queue', async (t) => {
  const sim = ringing().advance(15_000).send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 19 })
  t.equal(sim.call.phase, 'waiting')
  t.same(sim.types(), ['forget-channel', 'queue-log:ring-no-answer', 'agent:offer-missed', 'log', 'persist', 'queue-add', 'notify:queue-changed', 'persist', 'notify:waiting-timers', 'dispatch'])
  t.equal(sim.of('queue-add')[0]!.entry.enteredAt, T0, 'the original place is kept')
  t.match(sim.of('queue-log')[0], { detail: { cause: 19, seat: '1001' }, agentId: 'a1' })
})

t.test('reject: a busy or refused seat is an offer-rejected, then the next offer rings a new channel', async (t) => {
  const sim = ringing().send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 17 })
  t.match(sim.of('queue-log')[0], { event: 'offer-rejected' })
  sim.send({ type: 'offer', agentId: 'a2', seat: '1002', ringTimeoutSeconds: 15 })
  t.equal(legOf(sim), `seat-${CALL_ID}-2`)
  t.equal(sim.call.offerAttempts, 2)
})

t.test('ring guard: a lost ring timeout ends the offer as ring-no-answer', async (t) => {
  const sim = ringing().fire('ringGuard')
  t.same(sim.types().slice(0, 3), ['persist', 'hangup', 'forget-channel'])
  t.match(sim.of('hangup')[0], { channelId: SEAT_LEG, reason: 'no_answer' })
  t.match(sim.of('queue-log')[0], { event: 'ring-no-answer', detail: { reason: 'guard-timeout' } })
  t.equal(sim.call.phase, 'waiting')
})

t.test('the seat cannot be dialled: offered and rejected at once, the caller back in the queue', async (t) => {
  const sim = new Sim()
  sim.faults.originateFails = true
  ringing(sim)
  t.same(sim.types().slice(0, 8), ['persist', 'log', 'notify:offered', 'notify:queue-changed', 'originate-seat', 'log', 'write-call:offered', 'forget-channel'])
  t.match(sim.of('queue-log')[0], { event: 'offer-rejected', detail: { reason: 'originate-failed' } })
  t.equal(sim.call.phase, 'waiting')
  t.same(dueTimes(sim.call), {}, 'no ring guard for an offer that never rang')
})

t.test('abandon during ring: the seat is hung up, the agent released, abandoned', async (t) => {
  const sim = ringing().send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.same(sim.types(), ['hangup', 'agent:offer-withdrawn', 'metric', 'log', 'write-ended', 'remove', 'notify:ended', 'notify:queue-changed'])
  t.match(sim.of('write-ended')[0], { outcome: 'abandoned', logEvent: 'abandoned' })
  t.same(sim.of('remove')[0]!.call.phase, 'ended')
})

t.test('answer: bridged, recorded, saved as talking, the agent talking, the panel told', async (t) => {
  const sim = talking()
  t.same(sim.types(), ['create-bridge', 'leave-hold', 'add-to-bridge', 'start-recording', 'persist', 'write-call:answered', 'agent:offer-answered', 'metric', 'metric', 'log', 'notify:answered'])
  t.match(sim.of('add-to-bridge')[0], { bridgeId: `call-${CALL_ID}-mix`, channelIds: ['caller-1', SEAT_LEG] })
  const call = sim.call as Talking
  t.equal(call.answeredAt, T0 + 8000)
  t.equal(call.recordingName, `call-${CALL_ID}`)
  t.same(dueTimes(call), {}, 'the ring guard is gone with the ringing')
  t.match(sim.ran.find((e) => e.type === 'metric' && e.name === 'answerDelay'), { seconds: 8 })
})

t.test('a recording that does not start: the call is connected anyway, without a recording name', async (t) => {
  const sim = new Sim()
  sim.faults.recordingFails = true
  talking(sim)
  t.equal(sim.call.phase, 'talking')
  t.equal((sim.call as Talking).recordingName, null)
  t.match(sim.of('log')[0], { level: 'error', msg: 'recording did not start' })
})

t.test('a seat answering a call no longer offered (its ring timed out meanwhile) is hung up', async (t) => {
  const sim = ringing().send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 19 }).send({ type: 'seat-answered', channelId: SEAT_LEG })
  t.equal(sim.refused, 'not-offered')
  t.same(sim.types(), ['log', 'hangup'])
  t.equal(sim.call.phase, 'waiting')
})

t.test('a leg that vanishes while bridging stops the step; its hang-up ends the call', async (t) => {
  const sim = new Sim()
  ringing(sim)
  sim.faults.gone = ['add-to-bridge']
  sim.send({ type: 'seat-answered', channelId: SEAT_LEG })
  t.ok(sim.stopped)
  t.notOk(sim.types().includes('persist'), 'the record still says ringing')
})

t.test('caller hang-up: the agent leg hung up, recording stopped, bridge destroyed, the agent to wrap-up', async (t) => {
  const sim = talking().advance(60_000).send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.same(sim.types(), ['hangup', 'stop-recording', 'destroy-bridge', 'agent:call-ended', 'log', 'write-ended', 'remove', 'notify:ended'])
  t.match(sim.of('hangup')[0], { channelId: SEAT_LEG })
  t.match(sim.of('agent')[0], { agentId: 'a1', event: { type: 'call-ended', wrapUpSeconds: 10 } })
  t.match(sim.of('write-ended')[0], { outcome: 'answered', endedBy: 'caller', logEvent: 'completed' })
})

t.test('agent hang-up from a desk phone: the caller hung up, ended by the agent', async (t) => {
  const sim = talking().send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 })
  t.match(sim.of('hangup')[0], { channelId: 'caller-1' })
  t.match(sim.of('write-ended')[0], { endedBy: 'agent' })
})

t.test('agent hang-up from the panel on a WebRTC seat: marked first, so the leg\'s end ends the call (no rejoin)', async (t) => {
  const sim = talking(new Sim(), '8001')
  sim.send({ type: 'agent-hangup', agentId: 'a1' })
  t.same(sim.types(), ['persist', 'hangup'])
  sim.send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 })
  t.equal(sim.call.phase, 'ended')
  t.notOk(sim.types().includes('notify:agent-leg-lost'))
})

t.test('another agent\'s hang-up command is refused', async (t) => {
  t.equal(talking().send({ type: 'agent-hangup', agentId: 'a2' }).refused, 'not-talking')
})

t.test('wrap-up end: the call\'s queue decides the agent\'s wrap-up; an overflowed caller\'s is the pool\'s', async (t) => {
  const sim = waiting(new Sim(policy({}, { maxWaitSeconds: 30, overflowQueueId: 'pool' }))).fire('overflow')
  sim.send({ type: 'offer', agentId: 'a1', seat: '1001', ringTimeoutSeconds: 15 }).send({ type: 'seat-answered', channelId: SEAT_LEG })
  sim.send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.match(sim.of('agent')[0], { event: { type: 'call-ended', wrapUpSeconds: 20 } })
})

t.test('transfer hand-off: the target takes the agent\'s place, the agent goes to wrap-up at once', async (t) => {
  const sim = talking().send({ type: 'hand-off', agentId: 'a1', targetChannelId: `consult-${CALL_ID}-1` })
  t.equal(sim.call.phase, 'handed-off')
  t.same(sim.types(), ['forget-channel', 'persist', 'agent:call-ended', 'log'])
  const view = liveView(sim.call)
  t.equal(view.phase, 'talking')
  t.equal(view.handedOffTo, `consult-${CALL_ID}-1`)
  t.equal(sim.send({ type: 'agent-hangup', agentId: 'a1' }).refused, 'not-talking', 'the agent is out of the call')
  sim.send({ type: 'channel-gone', channelId: `consult-${CALL_ID}-1`, cause: 16 })
  t.same(sim.types(), ['hangup', 'stop-recording', 'destroy-bridge', 'log', 'write-ended', 'remove', 'notify:ended'], 'no second wrap-up')
  t.match(sim.of('hangup')[0], { channelId: 'caller-1' })
})

t.test('transfer hand-off, then the caller hangs up: the target is hung up', async (t) => {
  const sim = talking().send({ type: 'hand-off', agentId: 'a1', targetChannelId: 'consult-x' }).send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.match(sim.of('hangup')[0], { channelId: 'consult-x' })
  t.match(sim.of('write-ended')[0], { endedBy: 'caller' })
})

t.test('agent leg lost on a WebRTC seat: the caller on music, the grace due, then the seat rejoins', async (t) => {
  const sim = talking(new Sim(), '8001').advance(10_000).send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 })
  t.same(sim.types(), ['forget-channel', 'persist', 'moh', 'queue-log:agent-leg-lost', 'log', 'notify:agent-leg-lost'])
  const lostAt = T0 + 18_000
  t.same(dueTimes(sim.call), { rejoinGrace: lostAt + 30_000 })
  t.equal(liveView(sim.call).agentLegLostAt, lostAt)
  sim.advance(2000).send({ type: 'rejoin', agentId: 'a1' })
  const leg = (sim.call as Talking).leg
  t.equal(leg.state === 'lost' && leg.rejoinChannelId?.startsWith(`rejoin-${CALL_ID}-`), true)
  t.match(sim.of('originate-seat')[0], { entry: 'agent-rejoin', timeoutSeconds: 28 })
  sim.advance(1000).send({ type: 'rejoin-answered', channelId: leg.state === 'lost' ? leg.rejoinChannelId! : '' })
  t.same(sim.types(), ['add-to-bridge', 'moh', 'persist', 'queue-log:agent-rejoined', 'log', 'notify:rejoined'])
  t.match(sim.of('queue-log')[0], { detail: { awayMs: 3000 } })
  t.same(dueTimes(sim.call), {}, 'the grace is over')
})

t.test('the seat does not rejoin within the grace: the call ends by the agent side', async (t) => {
  const sim = talking(new Sim(), '8001').send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 }).fire('rejoinGrace')
  t.same(sim.types().slice(0, 2), ['queue-log:rejoin-expired', 'log'])
  t.match(sim.of('write-ended')[0], { outcome: 'answered', endedBy: 'agent' })
})

t.test('a rejoin leg that ends before joining: the grace still runs; another try may dial again', async (t) => {
  const sim = talking(new Sim(), '8001').send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 }).send({ type: 'rejoin', agentId: 'a1' })
  const leg = (sim.call as Talking).leg
  const rejoinLeg = leg.state === 'lost' ? leg.rejoinChannelId! : ''
  sim.send({ type: 'channel-gone', channelId: rejoinLeg, cause: 21 })
  t.same(sim.types(), ['forget-channel', 'persist', 'log'])
  t.ok('rejoinGrace' in dueTimes(sim.call))
})

t.test('the rejoin limit: after three lost legs the next one ends the call and the agent goes not ready', async (t) => {
  const sim = talking(new Sim(), '8001')
  for (let n = 1; n <= 3; n++) {
    sim.send({ type: 'channel-gone', channelId: legOf(sim), cause: 16 })
    const leg = (sim.call as Talking).leg
    t.equal(leg.state, 'lost', `lost leg ${n} waited out`)
    sim.send({ type: 'rejoin', agentId: 'a1' })
    const again = (sim.call as Talking).leg
    sim.send({ type: 'rejoin-answered', channelId: again.state === 'lost' ? again.rejoinChannelId! : '' })
  }
  t.equal((sim.call as Talking).rejoinCount, 3)
  sim.send({ type: 'channel-gone', channelId: legOf(sim), cause: 16 })
  t.equal(sim.call.phase, 'ended')
  t.same(sim.types().slice(0, 4), ['queue-log:rejoin-limit', 'log', 'agent:force-not-ready', 'notify:rejoin-limit'])
  t.match(sim.of('agent')[0], { force: true, event: { reason: 'no-audio' } })
  t.match(sim.of('write-ended')[0], { endedBy: 'agent' })
})

t.test('a desk phone\'s seat never rejoins', async (t) => {
  const sim = talking().send({ type: 'rejoin', agentId: 'a1' })
  t.equal(sim.refused, 'not-rejoinable')
})

t.test('a rejoin asked while the leg is still up (the browser left without a BYE) replaces the stale leg', async (t) => {
  const sim = talking(new Sim(), '8001').send({ type: 'rejoin', agentId: 'a1' })
  t.same(sim.types(), ['forget-channel', 'persist', 'moh', 'queue-log:agent-leg-lost', 'log', 'notify:agent-leg-lost', 'hangup', 'persist', 'originate-seat', 'log'])
  t.match(sim.of('hangup')[0], { channelId: SEAT_LEG })
  t.match(sim.of('queue-log')[0], { detail: { reason: 'replaced-by-rejoin' } })
})

t.test('a rejoin whose seat cannot be dialled is refused and can be asked again', async (t) => {
  const sim = talking(new Sim(), '8001').send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 })
  sim.faults.originateFails = true
  sim.send({ type: 'rejoin', agentId: 'a1' })
  t.equal(sim.refused, 'not-rejoinable')
  const leg = (sim.call as Talking).leg
  t.equal(leg.state === 'lost' && leg.rejoinChannelId, null)
})

t.test('a call that ends while the seat rings to rejoin hangs that leg up too', async (t) => {
  const sim = talking(new Sim(), '8001').send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 }).send({ type: 'rejoin', agentId: 'a1' })
  sim.send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.equal(sim.of('hangup').length, 1)
  t.ok(sim.of('hangup')[0]!.channelId.startsWith('rejoin-'))
  t.equal(sim.call.phase, 'ended')
})
