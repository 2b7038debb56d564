/** The agent state machine: every state, the rejections, and the bookkeeping (version, since, day). */
import t, { type Test } from 'tap'
import { signedOutAgent, type AgentEvent, type AgentLive } from '../../../src/agents/model.ts'
import { dayOf, rollDay, transitionAgent, type AgentPolicy, type AgentTransition } from '../../../src/agents/rules.ts'

const policy: AgentPolicy = { notReadyReasons: ['break', 'meal', 'training'], maxWrapUpSeconds: 60 }
const T0 = Date.parse('2026-11-23T01:00:00Z')
const sec = (s: number) => T0 + s * 1000

/** Applies an event that must succeed and returns the next state. */
function step(t: Test, agent: AgentLive, event: AgentEvent, now: number): AgentLive {
  const r = transitionAgent(agent, event, now, policy)
  if (!r.ok) {
    t.fail(`${event.type} from ${agent.state} rejected: ${r.rejection.message}`)
    throw new Error('unexpected rejection')
  }
  return r.next
}

function rejection(r: AgentTransition) {
  return r.ok ? null : r.rejection
}

const fresh = () => signedOutAgent('a1', T0, '2026-11-23')

/** An agent signed in, ready since `sec(2)`. */
function readyAgent(t: Test): AgentLive {
  const signedIn = step(t, fresh(), { type: 'sign-in', seat: '1001' }, sec(1))
  return step(t, signedIn, { type: 'set-ready' }, sec(2))
}

t.test('a whole call: sign-in, ready, offer, talk, hold, wrap-up, back to ready', async (t) => {
  let a = fresh()
  t.equal(a.state, 'signed-out')
  t.equal(a.version, 0)

  a = step(t, a, { type: 'sign-in', seat: '1001' }, sec(1))
  t.match(a, { state: 'not-ready', reason: 'signed-in', seat: '1001', since: sec(1), idleSince: sec(1), version: 1 }, 'signing in lands in not ready (signed-in)')

  a = step(t, a, { type: 'set-ready' }, sec(2))
  t.match(a, { state: 'ready', reason: null, since: sec(2), version: 2 }, 'ready')

  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  t.match(a, { state: 'offered', callId: 'c1', since: sec(3), version: 3, callsToday: 0 }, 'offered')

  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(5))
  t.match(a, { state: 'talking', callId: 'c1', since: sec(5), callsToday: 1, version: 4 }, 'answering counts a call today')

  a = step(t, a, { type: 'hold', callId: 'c1' }, sec(10))
  t.match(a, { state: 'on-hold', since: sec(10), version: 5 }, 'hold')
  a = step(t, a, { type: 'unhold', callId: 'c1' }, sec(12))
  t.match(a, { state: 'talking', since: sec(12), version: 6, callsToday: 1 }, 'unhold does not count another call')

  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 10 }, sec(20))
  t.match(a, { state: 'wrap-up', callId: 'c1', wrapUpUntil: sec(30), idleSince: sec(20), since: sec(20), version: 7 }, 'wrap-up for the queue wrap-up time')

  a = step(t, a, { type: 'extend-wrap-up', seconds: 15 }, sec(25))
  t.match(a, { state: 'wrap-up', wrapUpUntil: sec(45), since: sec(20), version: 8 }, 'extension adds to the planned end; since is kept')

  a = step(t, a, { type: 'extend-wrap-up', seconds: 600 }, sec(26))
  t.equal(a.wrapUpUntil, sec(20 + policy.maxWrapUpSeconds), 'extension capped at maxWrapUpSeconds after wrap-up began')

  const early = transitionAgent(a, { type: 'wrap-up-expired' }, sec(40), policy)
  t.same(early, { ok: true, next: a, changed: false }, 'an expiry before the end changes nothing')

  a = step(t, a, { type: 'wrap-up-expired' }, sec(80))
  t.match(a, { state: 'ready', callId: null, wrapUpUntil: null, since: sec(80), idleSince: sec(20), version: 10 }, 'expiry returns to ready; idle since the call ended')

  a = step(t, a, { type: 'set-not-ready', reason: 'break' }, sec(90))
  a = step(t, a, { type: 'sign-out' }, sec(100))
  t.match(a, { state: 'signed-out', seat: null, reason: null, callId: null, callsToday: 1 }, 'signed out from not ready')
})

t.test('extension starts from now when the planned end already passed', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 5 }, sec(10))
  a = step(t, a, { type: 'extend-wrap-up', seconds: 10 }, sec(20))
  t.equal(a.wrapUpUntil, sec(30), 'planned end sec(15) has passed: now + 10 s')
})

t.test('call-ended without wrap-up goes straight to ready', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 0 }, sec(10))
  t.match(a, { state: 'ready', callId: null, idleSince: sec(10), wrapUpUntil: null })
})

t.test('call-ended from hold ends the call too', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  a = step(t, a, { type: 'hold', callId: 'c1' }, sec(5))
  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 10 }, sec(6))
  t.equal(a.state, 'wrap-up')
})

t.test('a missed offer puts the agent in not ready (missed-call)', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-missed', callId: 'c1' }, sec(18))
  t.match(a, { state: 'not-ready', reason: 'missed-call', callId: null, since: sec(18), callsToday: 0 })
  t.equal(rejection(transitionAgent(a, { type: 'offer', callId: 'c2' }, sec(19), policy))?.code, 'INVALID_TRANSITION', 'no offers while not ready')
  t.equal(rejection(transitionAgent(a, { type: 'offer-missed', callId: 'c1' }, sec(19), policy))?.code, 'INVALID_TRANSITION', 'a second miss for the same call is rejected')
})

t.test('a withdrawn offer returns to ready, or to a not-ready asked for while ringing', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  const back = step(t, a, { type: 'offer-withdrawn', callId: 'c1' }, sec(6))
  t.match(back, { state: 'ready', callId: null, since: sec(6), reason: null }, 'caller hung up while ringing: ready again, no fault')

  const asked = step(t, a, { type: 'set-not-ready', reason: 'meal' }, sec(4))
  t.match(asked, { state: 'offered', pendingNotReady: 'meal', since: sec(3) }, 'not ready asked while ringing is kept for later; time in state runs on')
  const withdrawn = step(t, asked, { type: 'offer-withdrawn', callId: 'c1' }, sec(6))
  t.match(withdrawn, { state: 'not-ready', reason: 'meal', pendingNotReady: null, callId: null })

  t.equal(rejection(transitionAgent(a, { type: 'offer-withdrawn', callId: 'other' }, sec(6), policy))?.code, 'INVALID_TRANSITION', 'withdrawing another call is rejected')
})

t.test('not ready asked during a call is applied when the call ends, instead of wrap-up', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  a = step(t, a, { type: 'set-not-ready', reason: 'training' }, sec(10))
  t.match(a, { state: 'talking', pendingNotReady: 'training', reason: null, since: sec(4) }, 'still talking')
  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 30 }, sec(20))
  t.match(a, { state: 'not-ready', reason: 'training', pendingNotReady: null, callId: null, wrapUpUntil: null, idleSince: sec(20) })

  // A supervisor's force during a call is kept the same way.
  let b = readyAgent(t)
  b = step(t, b, { type: 'offer', callId: 'c2' }, sec(3))
  b = step(t, b, { type: 'offer-answered', callId: 'c2' }, sec(4))
  b = step(t, b, { type: 'force-not-ready', reason: 'forced-by-supervisor' }, sec(5))
  b = step(t, b, { type: 'call-ended', callId: 'c2', wrapUpSeconds: 30 }, sec(6))
  t.match(b, { state: 'not-ready', reason: 'forced-by-supervisor' })
})

t.test('a set-ready during wrap-up ends it early and clears the pending state', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 30 }, sec(10))
  a = step(t, a, { type: 'set-ready' }, sec(12))
  t.match(a, { state: 'ready', wrapUpUntil: null, callId: null, since: sec(12) })
  const late = transitionAgent(a, { type: 'wrap-up-expired' }, sec(40), policy)
  t.ok(late.ok && !late.changed, 'a stale expiry timer after an early ready changes nothing')
})

t.test('reasons: an agent may only pick a configured reason; supervisors may force any', async (t) => {
  const a = readyAgent(t)
  const r = rejection(transitionAgent(a, { type: 'set-not-ready', reason: 'nap' }, sec(3), policy))
  t.equal(r?.code, 'UNKNOWN_REASON')
  t.match(r?.message, /nap/)
  t.equal(r?.from, 'ready')
  t.equal(r?.event, 'set-not-ready')
  t.equal(rejection(transitionAgent(a, { type: 'set-not-ready', reason: 'missed-call' }, sec(3), policy))?.code, 'UNKNOWN_REASON', 'system reasons are not for agents')
  const forced = step(t, a, { type: 'force-not-ready', reason: 'forced-by-supervisor' }, sec(3))
  t.match(forced, { state: 'not-ready', reason: 'forced-by-supervisor' })
})

t.test('events for another call are rejected', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  const r = rejection(transitionAgent(a, { type: 'offer-answered', callId: 'c9' }, sec(4), policy))
  t.equal(r?.code, 'WRONG_CALL')
  t.match(r?.message, /c1.*c9/)
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  t.equal(rejection(transitionAgent(a, { type: 'hold', callId: 'c9' }, sec(5), policy))?.code, 'INVALID_TRANSITION', 'hold of another call')
  t.equal(rejection(transitionAgent(a, { type: 'call-ended', callId: 'c9', wrapUpSeconds: 5 }, sec(5), policy))?.code, 'INVALID_TRANSITION', 'end of another call')
})

t.test('invalid transitions name the state and the event', async (t) => {
  const out = fresh()
  const signedIn = step(t, out, { type: 'sign-in', seat: '1001' }, sec(1))
  const ready = step(t, signedIn, { type: 'set-ready' }, sec(2))
  const offered = step(t, ready, { type: 'offer', callId: 'c1' }, sec(3))
  const talking = step(t, offered, { type: 'offer-answered', callId: 'c1' }, sec(4))

  const cases: Array<[string, AgentLive, AgentEvent]> = [
    ['offer while not ready', signedIn, { type: 'offer', callId: 'c1' }],
    ['offer while offered', offered, { type: 'offer', callId: 'c2' }],
    ['sign-out while talking', talking, { type: 'sign-out' }],
    ['force sign-out while offered', offered, { type: 'force-sign-out' }],
    ['ready while talking', talking, { type: 'set-ready' }],
    ['ready while signed out', out, { type: 'set-ready' }],
    ['not ready while signed out', out, { type: 'set-not-ready', reason: 'break' }],
    ['answer without an offer', ready, { type: 'offer-answered', callId: 'c1' }],
    ['hold while offered', offered, { type: 'hold', callId: 'c1' }],
    ['unhold while talking', talking, { type: 'unhold', callId: 'c1' }],
    ['call-ended while ready', ready, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 5 }],
    ['extend wrap-up while talking', talking, { type: 'extend-wrap-up', seconds: 5 }],
    ['sign-in to another seat', ready, { type: 'sign-in', seat: '1002' }]
  ]
  for (const [name, agent, event] of cases) {
    const r = transitionAgent(agent, event, sec(9), policy)
    t.same(rejection(r), { code: 'INVALID_TRANSITION', message: `cannot ${event.type} while ${agent.state}`, from: agent.state, event: event.type }, name)
  }
})

t.test('repeated requests are no-ops: no version bump, since kept', async (t) => {
  const a = readyAgent(t)
  const cases: Array<[string, AgentLive, AgentEvent]> = [
    ['ready while ready', a, { type: 'set-ready' }],
    ['sign-in again to the same seat', a, { type: 'sign-in', seat: '1001' }],
    ['sign-out while signed out', fresh(), { type: 'sign-out' }],
    ['wrap-up expired while ready', a, { type: 'wrap-up-expired' }]
  ]
  for (const [name, agent, event] of cases) {
    t.same(transitionAgent(agent, event, sec(50), policy), { ok: true, next: agent, changed: false }, name)
  }
  const br = step(t, a, { type: 'set-not-ready', reason: 'break' }, sec(5))
  t.same(transitionAgent(br, { type: 'set-not-ready', reason: 'break' }, sec(9), policy), { ok: true, next: br, changed: false }, 'the same reason again')
})

t.test('version bumps on every change; since restarts only when the state or reason changes', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'set-not-ready', reason: 'break' }, sec(10))
  t.match(a, { since: sec(10), version: 3 })
  a = step(t, a, { type: 'set-not-ready', reason: 'meal' }, sec(20))
  t.match(a, { state: 'not-ready', reason: 'meal', since: sec(20), version: 4 }, 'a new reason restarts the time in state')

  let b = readyAgent(t)
  b = step(t, b, { type: 'offer', callId: 'c1' }, sec(3))
  b = step(t, b, { type: 'offer-answered', callId: 'c1' }, sec(4))
  b = step(t, b, { type: 'set-not-ready', reason: 'break' }, sec(8))
  t.match(b, { state: 'talking', since: sec(4), version: 5 }, 'a pending request bumps the version but keeps since')
  b = step(t, b, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 0 }, sec(9))
  b = step(t, b, { type: 'set-ready' }, sec(10))
  b = step(t, b, { type: 'offer', callId: 'c2' }, sec(11))
  b = step(t, b, { type: 'offer-answered', callId: 'c2' }, sec(12))
  b = step(t, b, { type: 'call-ended', callId: 'c2', wrapUpSeconds: 10 }, sec(13))
  const extended = step(t, b, { type: 'extend-wrap-up', seconds: 5 }, sec(14))
  t.equal(extended.version, b.version + 1, 'an extension bumps the version')
  t.equal(extended.since, b.since, 'and keeps since')
})

t.test('sign-out from wrap-up and from ready', async (t) => {
  let a = readyAgent(t)
  t.match(step(t, a, { type: 'sign-out' }, sec(3)), { state: 'signed-out', seat: null })
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  a = step(t, a, { type: 'call-ended', callId: 'c1', wrapUpSeconds: 10 }, sec(5))
  t.match(step(t, a, { type: 'force-sign-out' }, sec(6)), { state: 'signed-out', callId: null, wrapUpUntil: null })
})

t.test('rollDay resets the day counter only on a new day', async (t) => {
  let a = readyAgent(t)
  a = step(t, a, { type: 'offer', callId: 'c1' }, sec(3))
  a = step(t, a, { type: 'offer-answered', callId: 'c1' }, sec(4))
  t.equal(a.callsToday, 1)
  t.equal(rollDay(a, '2026-11-23'), a, 'same day: the same object back')
  t.match(rollDay(a, '2026-11-24'), { callsToday: 0, callsDay: '2026-11-24', state: 'talking', version: a.version })
})

t.test('dayOf uses the center time zone, not UTC', async (t) => {
  // 16:30Z on the 23rd is 00:30 on the 24th in Beijing.
  const lateUtc = Date.parse('2026-11-23T16:30:00Z')
  t.equal(dayOf(lateUtc, 'Asia/Shanghai'), '2026-11-24')
  t.equal(dayOf(lateUtc, 'UTC'), '2026-11-23')
  t.equal(dayOf(Date.parse('2026-11-23T15:59:59Z'), 'Asia/Shanghai'), '2026-11-23', 'one second before Beijing midnight')
  t.equal(dayOf(Date.parse('2026-11-23T16:00:00Z'), 'Asia/Shanghai'), '2026-11-24', 'Beijing midnight')
})
