/** The call's pure decisions: waiting timers, the end of the agent's leg, rejoin, announcements, restarts. */
import t from 'tap'
import { afterRestart, agentLegEnded, positionAnnouncement, rejoinDecision, seatMayRejoin, waitingTimers } from '../../../src/calls/rules.ts'

const T0 = Date.parse('2026-12-01T02:00:00Z')
const webSeats = { graceMs: 30_000, seatRejoins: (seat: string) => seat.startsWith('80') }

t.test('a caller enters the queue: overflow, announcement and the callback offer are due times', async (t) => {
  const call = { queuedAt: T0, arrivedAt: T0 - 5000, callbackOf: null, callbackOfferedAt: null }
  const r = waitingTimers(call, T0, { overflow: { afterMs: 60_000, targetQueueId: 'pool' }, announceEverySeconds: 30, callbackOfferAfterMs: 45_000 })
  t.same(r, { due: { overflow: T0 + 60_000, announce: T0 + 30_000, callbackOffer: T0 + 45_000 }, overflowTo: 'pool' })
})

t.test('back from a failed offer 50 s into the wait: the callback offer is due at once, the others start again', async (t) => {
  const call = { queuedAt: T0, arrivedAt: T0, callbackOf: null, callbackOfferedAt: null }
  const r = waitingTimers(call, T0 + 50_000, { overflow: null, announceEverySeconds: 30, callbackOfferAfterMs: 45_000 })
  t.same(r.due, { overflow: null, announce: T0 + 80_000, callbackOffer: T0 + 50_000 })
  t.equal(r.overflowTo, null)
})

t.test('the callback offer is heard once, and never on a callback\'s own call', async (t) => {
  const policy = { overflow: null, announceEverySeconds: null, callbackOfferAfterMs: 45_000 }
  t.equal(waitingTimers({ queuedAt: T0, arrivedAt: T0, callbackOf: null, callbackOfferedAt: T0 + 45_000 }, T0 + 60_000, policy).due.callbackOffer, null)
  t.equal(waitingTimers({ queuedAt: T0, arrivedAt: T0, callbackOf: 'original', callbackOfferedAt: null }, T0, policy).due.callbackOffer, null)
  t.equal(waitingTimers({ queuedAt: T0, arrivedAt: T0, callbackOf: null, callbackOfferedAt: null }, T0, { ...policy, callbackOfferAfterMs: 0 }).due.callbackOffer, null, 'offer turned off')
})

t.test('the seat\'s leg ends while ringing: rejected (busy, refused) or not answered', async (t) => {
  const ringing = { phase: 'offered' as const, seat: '1001', handedOffTo: null, agentHangingUp: false }
  t.equal(agentLegEnded(ringing, 17, webSeats), 'offer-rejected', 'user busy')
  t.equal(agentLegEnded(ringing, 21, webSeats), 'offer-rejected', 'call rejected')
  t.equal(agentLegEnded(ringing, 19, webSeats), 'ring-no-answer')
  t.equal(agentLegEnded(ringing, null, webSeats), 'ring-no-answer', 'no cause known')
})

t.test('the seat\'s leg ends mid-call: a WebRTC seat waits to rejoin unless the agent hung up or handed the call off', async (t) => {
  const talking = { phase: 'talking' as const, seat: '8001', handedOffTo: null, agentHangingUp: false }
  t.equal(agentLegEnded(talking, 16, webSeats), 'wait-for-rejoin', 'a reload or a blip')
  t.equal(agentLegEnded({ ...talking, agentHangingUp: true }, 16, webSeats), 'ended-by-agent', 'hung up from the panel')
  t.equal(agentLegEnded({ ...talking, handedOffTo: 'consult-x' }, 16, webSeats), 'ended-by-agent', 'the transfer target hung up')
  t.equal(agentLegEnded({ ...talking, seat: '1001' }, 16, webSeats), 'ended-by-agent', 'a desk phone hangs up by BYE')
  t.equal(agentLegEnded(talking, 16, { ...webSeats, graceMs: 0 }), 'ended-by-agent', 'rejoin turned off')
  t.equal(agentLegEnded({ ...talking, phase: 'queued' }, 16, webSeats), 'nothing')
  t.ok(seatMayRejoin({ seat: '8002' }, webSeats))
  t.notOk(seatMayRejoin({ seat: null }, webSeats))
  t.notOk(seatMayRejoin({ seat: '8002' }, undefined))
})

t.test('the position announcement caps what the prompts can say', async (t) => {
  t.same(positionAnnouncement(3, 150), ['position-prefix', 'num-2', 'position-suffix', 'wait-prefix', 'num-3', 'minutes'].map((p) => `sound:hotline/${p}`))
  t.same(positionAnnouncement(1, 0).slice(1, 5), ['sound:hotline/num-0', 'sound:hotline/position-suffix', 'sound:hotline/wait-prefix', 'sound:hotline/num-1'], 'first in line, at least a minute')
  t.same(positionAnnouncement(60, 99_999)[1], 'sound:hotline/num-20', 'more than 20 ahead is said as 20')
  t.same(positionAnnouncement(60, 99_999)[4], 'sound:hotline/num-20', 'and more than 20 minutes as 20')
})

t.test('after a restart each live call is checked against the PBX\'s channels', async (t) => {
  const up = new Set(['caller', 'seat-up'])
  const channels = { has: (id: string) => up.has(id) || id === 'seat-ringing', upAt: (id: string) => up.has(id) }
  const base = { callerChannelId: 'caller', agentChannelId: null, agentLegLostAt: null }
  t.equal(afterRestart({ ...base, phase: 'queued', callerChannelId: 'gone' }, channels, true), 'lost', 'the caller is gone')
  t.equal(afterRestart({ ...base, phase: 'queued' }, channels, true), 'requeue')
  t.equal(afterRestart({ ...base, phase: 'greeting' }, channels, true), 'enqueue')
  t.equal(afterRestart({ ...base, phase: 'offered', agentChannelId: 'gone' }, channels, true), 'offer-failed', 'the seat stopped ringing meanwhile')
  t.equal(afterRestart({ ...base, phase: 'offered', agentChannelId: 'seat-up' }, channels, true), 'connect', 'the seat answered while nobody listened')
  t.equal(afterRestart({ ...base, phase: 'offered', agentChannelId: 'seat-ringing' }, channels, true), 'keep', 'still ringing')
  t.equal(afterRestart({ ...base, phase: 'talking', agentChannelId: 'seat-up' }, channels, true), 'keep', 'the conversation goes on')
  t.equal(afterRestart({ ...base, phase: 'talking', agentChannelId: 'gone' }, channels, true), 'agent-leg-gone')
  t.equal(afterRestart({ ...base, phase: 'talking', agentLegLostAt: 1 }, channels, true), 'rejoin-wait', 'waiting for the seat to rejoin')
  t.equal(afterRestart({ ...base, phase: 'talking', agentLegLostAt: 1 }, channels, false), 'agent-leg-gone', 'rejoin turned off since')
})

t.test('rejoinDecision: the first maxRejoins lost legs wait for a rejoin, the next one is the limit; 0 is no limit', async (t) => {
  t.same(rejoinDecision({}, { maxRejoins: 3 }), { action: 'rejoin', rejoinCount: 1 })
  t.same(rejoinDecision({ rejoinCount: 2 }, { maxRejoins: 3 }), { action: 'rejoin', rejoinCount: 3 })
  t.same(rejoinDecision({ rejoinCount: 3 }, { maxRejoins: 3 }), { action: 'limit', rejoinCount: 3 })
  t.same(rejoinDecision({ rejoinCount: 50 }, { maxRejoins: 0 }), { action: 'rejoin', rejoinCount: 51 })
  t.same(rejoinDecision({ rejoinCount: 5 }, {}), { action: 'rejoin', rejoinCount: 6 })
})
