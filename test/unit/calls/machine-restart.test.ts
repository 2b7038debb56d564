/** Restart reconcile and node takeover: the record alone rebuilds the call, due times included. */
import t from 'tap'
import { dueTimes, fromLiveView, liveView, parseRecord, serializeRecord, type Talking } from '../../../src/calls/call-state.ts'
import { arrive } from '../../../src/calls/machine.ts'
import type { RestartFacts } from '../../../src/calls/machine-types.ts'
import type { LiveCall } from '../../../src/calls/model.ts'
import { CALL_ID, MAIN_LINE, policy, Sim, T0 } from './machine-sim.ts'

const SEAT_LEG = `seat-${CALL_ID}-1`
const facts = (channels: Record<string, string>, over: Partial<RestartFacts> = {}): RestartFacts => ({ channels, pbxRestarted: false, hasQueueEntry: true, ...over })

function waiting(sim = new Sim(policy({}, { announceEverySeconds: 30 }))): Sim {
  return sim.start(arrive({
    callId: CALL_ID, channelId: 'caller-1', callerNumber: '13800138000', dialled: '12345', arrival: { arrivedAt: T0, heldByPbx: false },
    line: MAIN_LINE, route: { queueId: 'general', reason: 'line-queue' }, greeting: null
  }, sim.now, sim.policy))
}
const ringing = (sim = waiting()) => sim.send({ type: 'offer', agentId: 'a1', seat: '8001', ringTimeoutSeconds: 15 })
const talking = (sim = ringing()) => sim.send({ type: 'seat-answered', channelId: SEAT_LEG })

/** What another node (or this one restarted) reads back from Redis. */
function takenOver(sim: Sim): Sim {
  const next = new Sim(sim.policy)
  next.call = parseRecord(serializeRecord(sim.saved().at(-1) ?? sim.call))
  next.now = sim.now
  return next
}

t.test('every phase survives the trip through Redis unchanged, with its due times', async (t) => {
  const sim = waiting()
  t.same(parseRecord(serializeRecord(sim.call)), sim.call)
  t.same(dueTimes(parseRecord(serializeRecord(sim.call))), { announce: T0 + 30_000 })
  ringing(sim)
  t.same(parseRecord(serializeRecord(sim.call)), sim.call)
  talking(sim).send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 })
  t.same(parseRecord(serializeRecord(sim.call)), sim.call)
  t.same(fromLiveView(liveView(sim.call)), sim.call, 'the flat view reads back to the same phase')
})

t.test('a flat record kept by an older server reads back as its phase', async (t) => {
  const flat: LiveCall = {
    callId: CALL_ID, phase: 'queued', callerChannelId: 'caller-1', callerNumber: '1380', dialledNumber: '12345', lineNumber: '12345', queueId: 'general',
    priority: 0, arrivedAt: T0, queuedAt: T0, agentId: null, seat: null, agentChannelId: null, offeredAt: null, answeredAt: null, offerAttempts: 0, bridgeId: null, recordingName: null
  }
  const call = parseRecord(JSON.stringify(flat))
  t.equal(call.phase, 'waiting')
  t.ok(call.phase === 'waiting' && call.untimed, 'no due times: timed afresh on restart')
  const sim = new Sim(policy({}, { announceEverySeconds: 30 }))
  sim.call = call
  sim.advance(10_000).send({ type: 'restart', facts: facts({ 'caller-1': 'Up' }) })
  t.same(dueTimes(sim.call), { announce: T0 + 40_000 })
  const lost = parseRecord(JSON.stringify({ ...flat, phase: 'talking', agentId: 'a1', seat: '8001', answeredAt: T0, bridgeId: 'b', agentLegLostAt: T0 + 5 }), 30_000)
  t.match(lost, { phase: 'talking', leg: { state: 'lost', lostAt: T0 + 5, graceDue: T0 + 30_005 } })
})

t.test('restart: a waiting caller keeps waiting; the queue place comes back if Redis lost it; the timers re-arm', async (t) => {
  const sim = takenOver(waiting()).send({ type: 'restart', facts: facts({ 'caller-1': 'Up' }, { hasQueueEntry: false }) })
  t.same(sim.types(), ['track-channel', 'arm-timers', 'queue-add'])
  t.same(dueTimes(sim.of('arm-timers')[0]!.call), { announce: T0 + 30_000 }, 'exactly what was pending')
})

t.test('restart: the caller is gone and the PBX restarted: pbx-lost, the agent freed', async (t) => {
  const sim = takenOver(talking()).send({ type: 'restart', facts: facts({}, { pbxRestarted: true }) })
  t.equal(sim.call.phase, 'ended')
  t.match(sim.of('write-ended')[0], { outcome: 'answered', endedBy: 'system', logEvent: 'pbx-lost' })
  t.match(sim.of('agent')[0], { event: { type: 'call-ended', wrapUpSeconds: 0 } })
})

t.test('restart: a waiting caller hung up while no node listened: abandoned, out of the queue', async (t) => {
  const sim = takenOver(waiting()).send({ type: 'restart', facts: facts({}) })
  t.same(sim.types().slice(0, 3), ['track-channel', 'log', 'queue-remove'])
  t.match(sim.of('write-ended')[0], { outcome: 'abandoned', endedBy: 'caller', logEvent: 'abandoned' })
})

t.test('restart: the seat of a ringing offer is gone: a failed offer, the caller back at the head of the queue', async (t) => {
  const sim = takenOver(ringing()).send({ type: 'restart', facts: facts({ 'caller-1': 'Up' }) })
  t.equal(sim.call.phase, 'waiting')
  t.match(sim.of('queue-log')[0], { event: 'ring-no-answer', detail: { reason: 'seat channel gone after restart' } })
})

t.test('restart: the seat answered while no server listened: the connection is finished', async (t) => {
  const sim = takenOver(ringing()).send({ type: 'restart', facts: facts({ 'caller-1': 'Up', [SEAT_LEG]: 'Up' }) })
  t.equal(sim.call.phase, 'talking')
  t.ok(sim.types().includes('notify:answered'))
})

t.test('restart: a seat still ringing keeps ringing under its ring guard', async (t) => {
  const sim = takenOver(ringing()).send({ type: 'restart', facts: facts({ 'caller-1': 'Up', [SEAT_LEG]: 'Ringing' }) })
  t.same(sim.types(), ['track-channel', 'track-channel', 'arm-timers'])
  t.ok('ringGuard' in dueTimes(sim.call))
})

t.test('restart: a talking call whose WebRTC seat leg is gone waits for a rejoin', async (t) => {
  const sim = takenOver(talking()).send({ type: 'restart', facts: facts({ 'caller-1': 'Up' }) })
  const call = sim.call as Talking
  t.equal(call.leg.state, 'lost')
  t.match(sim.of('queue-log')[0], { event: 'agent-leg-lost', detail: { reason: 'gone-after-restart' } })
})

t.test('restart while waiting for a rejoin: the wait goes on for what is left of it; a vanished rejoin leg is dropped', async (t) => {
  const before = talking().send({ type: 'channel-gone', channelId: SEAT_LEG, cause: 16 }).send({ type: 'rejoin', agentId: 'a1' })
  const grace = dueTimes(before.call).rejoinGrace
  const sim = takenOver(before).send({ type: 'restart', facts: facts({ 'caller-1': 'Up' }) })
  t.same(sim.types(), ['track-channel', 'arm-timers', 'forget-channel', 'persist', 'log'])
  t.equal(dueTimes(sim.call).rejoinGrace, grace)
})

t.test('restart during the greeting: queued now', async (t) => {
  const sim = new Sim()
  sim.start(arrive({
    callId: CALL_ID, channelId: 'caller-1', callerNumber: '1380', dialled: '12345', arrival: { arrivedAt: T0, heldByPbx: false },
    line: MAIN_LINE, route: { queueId: 'general', reason: 'line-queue' }, greeting: 'sound:hello'
  }, sim.now, sim.policy))
  const next = takenOver(sim).send({ type: 'restart', facts: facts({ 'caller-1': 'Up' }) })
  t.equal(next.call.phase, 'waiting')
})
