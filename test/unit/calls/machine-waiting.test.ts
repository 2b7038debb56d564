/** The call machine before an agent: arrival, greeting, queue, overflow, announcements, callback offer, adoption. */
import t from 'tap'
import { dueTimes, liveView } from '../../../src/calls/call-state.ts'
import { adopt, arrive } from '../../../src/calls/machine.ts'
import type { ArrivalFacts } from '../../../src/calls/machine-types.ts'
import { CALL_ID, MAIN_LINE, policy, Sim, T0 } from './machine-sim.ts'

const arrival = (over: Partial<ArrivalFacts> = {}): ArrivalFacts => ({
  callId: CALL_ID, channelId: 'caller-1', callerNumber: '13800138000', dialled: '12345', arrival: { arrivedAt: T0, heldByPbx: false },
  line: MAIN_LINE, route: { queueId: 'general', reason: 'line-queue' }, greeting: 'sound:hotline/welcome', ...over
})

function greeted(sim = new Sim()): Sim {
  return sim.start(arrive(arrival(), sim.now, sim.policy))
}

function queued(sim = new Sim()): Sim {
  return greeted(sim).advance(4000).send({ type: 'greeting-done' })
}

t.test('arrival: recorded, answered, tagged, the greeting plays with a limit as a due time', async (t) => {
  const sim = greeted()
  t.same(sim.types(), ['log', 'persist', 'write-call:arrived', 'answer', 'tag-channel', 'play', 'persist'])
  t.equal(sim.call.phase, 'greeting')
  t.same(dueTimes(sim.call), { greeting: T0 + 30_000 })
  t.equal(sim.saved()[0]!.phase, 'arriving', 'the first record is written before the PBX is asked anything')
  t.equal(liveView(sim.call).phase, 'greeting', 'others still see a greeting call')
})

t.test('the greeting ends: the caller waits in the queue\'s holding bridge, with the ACD asked', async (t) => {
  const sim = queued()
  t.equal(sim.call.phase, 'waiting')
  t.same(sim.types(), ['join-hold', 'persist', 'queue-add', 'dispatch', 'write-call:queued', 'metric', 'log', 'notify:queue-changed', 'notify:queued', 'persist', 'notify:waiting-timers'])
  t.same(sim.of('queue-add')[0]!.entry, { callId: CALL_ID, queueId: 'general', priority: 0, enteredAt: T0 + 4000, skills: [] })
  t.same(dueTimes(sim.call), {}, 'no overflow, announcement or callback offer configured')
})

t.test('the greeting\'s end is never heard: its limit queues the caller; a late PlaybackFinished does nothing', async (t) => {
  const sim = greeted().fire('greeting')
  t.equal(sim.call.phase, 'waiting')
  t.equal(sim.call.phase === 'waiting' && sim.call.queuedAt, T0 + 30_000)
  sim.send({ type: 'greeting-done' })
  t.equal(sim.refused, 'not-greeting')
  t.same(sim.ran, [])
})

t.test('a caller the PBX held (no node listened) skips the greeting and keeps their place from the PBX arrival', async (t) => {
  const sim = new Sim().advance(6000)
  sim.start(arrive(arrival({ arrival: { arrivedAt: T0, heldByPbx: true } }), sim.now, sim.policy))
  t.equal(sim.call.phase, 'waiting')
  t.equal(sim.call.phase === 'waiting' && sim.call.queuedAt, T0)
  t.notOk(sim.types().includes('play'))
})

t.test('no line for the number: hung up with congestion, the call failed', async (t) => {
  const sim = new Sim()
  sim.start(arrive(arrival({ line: null, route: null }), sim.now, sim.policy))
  t.equal(sim.call.phase, 'ended')
  t.match(sim.of('hangup')[0], { channelId: 'caller-1', reason: 'congestion' })
  t.match(sim.of('write-ended')[0], { outcome: 'failed', endedBy: 'system', logEvent: null })
})

t.test('out of the line\'s hours: routed to its overflow queue, logged as an overflow', async (t) => {
  const sim = new Sim()
  sim.start(arrive(arrival({ route: { queueId: 'pool', reason: 'out-of-hours' }, greeting: null }), sim.now, sim.policy))
  t.match(sim.of('queue-log')[0], { event: 'overflowed', detail: { from: 'general', to: 'pool', reason: 'out-of-hours' } })
  t.equal(sim.call.queueId, 'pool')
  t.equal(sim.call.phase, 'waiting')
})

t.test('the caller hangs up during the greeting: abandoned, no queue-log line', async (t) => {
  const sim = greeted().send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.equal(sim.call.phase, 'ended')
  t.match(sim.of('write-ended')[0], { outcome: 'abandoned', endedBy: 'caller', logEvent: null })
  t.same(sim.types().slice(-4), ['write-ended', 'remove', 'notify:ended', 'notify:queue-changed'])
})

t.test('the caller vanishes while being answered: the step stops, their hang-up ends the call', async (t) => {
  const sim = new Sim()
  sim.faults.gone = ['answer']
  sim.start(arrive(arrival(), sim.now, sim.policy))
  t.ok(sim.stopped)
  t.same(sim.types(), ['log', 'persist', 'write-call:arrived', 'answer'])
})

t.test('abandon while waiting: the queue entry goes, abandoned with a queue-log line, the queue told', async (t) => {
  const sim = queued().advance(20_000).send({ type: 'channel-gone', channelId: 'caller-1', cause: 16 })
  t.same(sim.types(), ['queue-remove', 'metric', 'log', 'write-ended', 'remove', 'notify:ended', 'notify:queue-changed'])
  t.match(sim.of('write-ended')[0], { outcome: 'abandoned', endedBy: 'caller', logEvent: 'abandoned' })
})

t.test('overflow: the max wait moves the caller to the target queue, keeping their place in time', async (t) => {
  const sim = queued(new Sim(policy({}, { maxWaitSeconds: 60, overflowQueueId: 'pool' })))
  t.same(dueTimes(sim.call), { overflow: T0 + 4000 + 60_000 })
  sim.fire('overflow')
  t.equal(sim.call.queueId, 'pool')
  t.same(sim.types(), ['persist', 'queue-remove', 'queue-log:overflowed', 'leave-hold', 'join-hold', 'persist', 'queue-add', 'log', 'notify:queue-changed', 'notify:queue-changed', 'persist', 'notify:waiting-timers', 'dispatch'])
  t.equal(sim.of('queue-add')[0]!.entry.enteredAt, T0 + 4000, 'the place counts from the first entry')
  t.match(sim.of('queue-log')[0], { detail: { from: 'general', to: 'pool', reason: 'max-wait' } })
  t.same(dueTimes(sim.call), {}, 'the pool has no overflow of its own')
})

t.test('overflow while another node is offering the caller: nothing moves', async (t) => {
  const sim = queued()
  sim.faults.claimLost = true
  sim.send({ type: 'overflow', from: 'general', to: 'pool', reason: 'supervisor:s1' })
  t.ok(sim.stopped)
  t.equal(sim.call.queueId, 'general')
  t.same(sim.types(), ['queue-remove'])
})

t.test('a supervisor moves a caller from a queue they are not in: refused', async (t) => {
  const sim = queued().send({ type: 'overflow', from: 'pool', to: 'general', reason: 'supervisor:s1' })
  t.equal(sim.refused, 'not-waiting')
})

t.test('announcement: position and expected wait played, then the next one is due', async (t) => {
  const sim = queued(new Sim(policy({}, { announceEverySeconds: 30 })))
  t.same(dueTimes(sim.call), { announce: T0 + 34_000 })
  sim.fire('announce', { announce: { position: 3, serving: 2, averageHandleSeconds: 200 } })
  const play = sim.of('play')[0]!
  t.equal(play.media.split(',')[1], 'sound:hotline/num-2', 'two callers ahead')
  t.equal(play.media.split(',')[4], 'sound:hotline/num-7', 'ceil(3/2) × 200 s: about 7 minutes')
  t.equal(play.ifGone, 'ignore')
  t.same(dueTimes(sim.call), { announce: T0 + 64_000 })
})

t.test('a stale timer (its due time is no longer in the record) does nothing', async (t) => {
  const sim = queued(new Sim(policy({}, { announceEverySeconds: 30 })))
  sim.send({ type: 'timer', kind: 'announce', at: T0 + 1 })
  t.equal(sim.refused, 'stale-timer')
  t.same(sim.ran, [])
})

t.test('callback offer: due after the configured wait, heard once; a failed offer does not bring it back', async (t) => {
  const sim = queued(new Sim(policy({ callbackOfferAfterMs: 45_000 })))
  t.same(dueTimes(sim.call), { callbackOffer: T0 + 49_000 })
  sim.fire('callbackOffer')
  t.same(sim.types(), ['persist', 'notify:callback-offer-due'])
  t.equal(sim.call.callbackOfferedAt, T0 + 49_000)
  sim.send({ type: 'offer', agentId: 'a1', seat: '1001', ringTimeoutSeconds: 15 })
  sim.send({ type: 'channel-gone', channelId: liveView(sim.call).agentChannelId!, cause: 19 })
  t.equal(sim.call.phase, 'waiting')
  t.same(dueTimes(sim.call), {}, 'heard once per call')
})

t.test('the caller leaves the queue for a callback: out of the holding bridge, ended as callback', async (t) => {
  const sim = queued().send({ type: 'released-for-callback' })
  t.same(sim.types(), ['leave-hold', 'log', 'write-ended', 'remove', 'notify:ended', 'notify:queue-changed'])
  t.match(sim.of('write-ended')[0], { outcome: 'callback', endedBy: 'caller', logEvent: null })
})

t.test('an answered follow-up waits in the campaign queue with its ticket for the screen pop', async (t) => {
  const sim = new Sim()
  sim.start(adopt({ callId: CALL_ID, channelId: 'followup-7-1', callerNumber: '13800138000', lineNumber: null, queueId: 'followup', origin: { kind: 'follow-up', ticketId: 'T-1', attemptId: '9' } }, sim.now))
  t.same(sim.types(), ['persist', 'write-call:arrived', 'tag-channel', 'join-hold', 'queue-add', 'dispatch', 'write-call:queued', 'notify:queue-changed'])
  t.same(liveView(sim.call).followUp, { ticketId: 'T-1', attemptId: '9' })
  t.equal(liveView(sim.call).phase, 'queued')
})

t.test('an answered callback gone before it is set up: abandoned', async (t) => {
  const sim = new Sim()
  sim.faults.gone = ['join-hold']
  sim.start(adopt({ callId: CALL_ID, channelId: 'callback-3-1', callerNumber: '13800138000', lineNumber: null, queueId: 'general', origin: { kind: 'callback', callbackOf: 'first' }, ring: { agentId: 'a1', seat: '1001', ringTimeoutSeconds: 15 } }, sim.now))
  t.equal(sim.call.phase, 'ended')
  t.match(sim.of('write-ended')[0], { outcome: 'abandoned', endedBy: 'caller', logEvent: null })
})
