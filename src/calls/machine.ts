/**
 * The call as a pure state machine: step(call, event, now, policy) → { call, effects }. It
 * decides; it never touches the PBX, Redis or PostgreSQL. effects.ts carries the effects out in
 * order through the ports and feeds the replies some of them have (a seat that could not be
 * dialled, the recording that started, a queue entry claimed) back in as events.
 *
 * Phases and their data are in call-state.ts; the steps before an agent in machine-waiting.ts,
 * those with an agent in machine-talk.ts, the WebRTC seat's rejoin in machine-rejoin.ts. A new
 * call starts with `arrive` (inbound) or `adopt` (an answered follow-up or callback). Timers are
 * the phases' due times (dueTimes): a step that leaves a phase drops its timers with it, and a
 * `timer` event whose time is no longer in the record is stale and does nothing.
 */
import type { ActiveCall, Call, HandedOff, Offering, Talking } from './call-state.ts'
import { dueTimes, liveView } from './call-state.ts'
import { unchanged, log, type CallEvent, type CallPolicy, type Effect, type RestartFacts, type Step } from './machine-types.ts'
import { agentHangup, endConversation, handOff, offer, offerFailed, recordingStarted, seatAnswered, seatDialFailed } from './machine-talk.ts'
import { keepForRejoin, rejoin, rejoinAnswered, rejoinDialFailed, rejoinExpired, rejoinLegGone } from './machine-rejoin.ts'
import { enqueue, finish, overflow, overflowClaimed, releasedForCallback, then, waitingTimer, armWaiting } from './machine-waiting.ts'
import { vanishedCallerOutcome } from './node-gaps.ts'
import { afterRestart, agentLegEnded } from './rules.ts'

export type { CallEvent, CallPolicy, Effect, Step } from './machine-types.ts'
export { adopt, arrive } from './machine-waiting.ts'

export function step(call: Call, event: CallEvent, now: number, policy: CallPolicy): Step {
  if (call.phase === 'ended') return unchanged(call, 'ended')
  switch (event.type) {
    case 'greeting-done':
      return call.phase === 'greeting' ? enqueue(call, now, policy) : unchanged(call, 'not-greeting')
    case 'timer':
      return onTimer(call, event.kind, event.at, now, policy, event)
    case 'offer':
      return call.phase === 'waiting' ? offer(call, event, event.ringTimeoutSeconds, now) : unchanged(call, 'not-waiting')
    case 'seat-dial-failed':
      return call.phase === 'offering' ? seatDialFailed(call, event.error, now, policy) : unchanged(call, 'not-ringing')
    case 'seat-answered':
      if (call.phase !== 'offering' || call.agentChannelId !== event.channelId) {
        // The caller left (or the offer moved on) while the seat was ringing.
        return {
          call, refused: 'not-offered',
          effects: [log('info', 'agent answered a call that is no longer offered; hanging up the seat', { channelId: event.channelId }), { type: 'hangup', channelId: event.channelId }]
        }
      }
      return seatAnswered(call, now)
    case 'recording':
      return call.phase === 'talking' ? recordingStarted(call, event.ok, event.error) : unchanged(call, 'not-talking')
    case 'channel-gone':
      return onChannelGone(call, event.channelId, event.cause, now, policy)
    case 'agent-hangup':
      return talkingWith(call, event.agentId) ? agentHangup(call as Talking, now, policy) : unchanged(call, 'not-talking')
    case 'hand-off':
      return talkingWith(call, event.agentId) ? handOff(call as Talking, event.targetChannelId, policy) : unchanged(call, 'not-talking')
    case 'overflow':
      return call.phase === 'waiting' ? overflow(call, event.from, event.to, event.reason) : unchanged(call, 'not-waiting')
    case 'overflow-claimed':
      return call.phase === 'waiting' ? overflowClaimed(call, event.from, event.to, event.reason, now, policy) : unchanged(call, 'not-waiting')
    case 'released-for-callback':
      return call.phase === 'waiting' && call.queueId ? releasedForCallback(call, now) : unchanged(call, 'not-waiting')
    case 'rejoin':
      return talkingWith(call, event.agentId) ? rejoin(call as Talking, now, policy) : unchanged(call, 'no-call')
    case 'rejoin-dial-failed':
      return call.phase === 'talking' ? rejoinDialFailed(call, event.error) : unchanged(call, 'not-rejoinable')
    case 'rejoin-answered':
      if (call.phase !== 'talking' || call.leg.state !== 'lost' || call.leg.rejoinChannelId !== event.channelId) {
        return {
          call, refused: 'not-waiting',
          effects: [log('info', 'a rejoin leg answered for a call that no longer waits for it; hanging up the seat', { channelId: event.channelId }), { type: 'hangup', channelId: event.channelId }]
        }
      }
      return rejoinAnswered(call, event.channelId, now)
    case 'restart':
      return onRestart(call, event.facts, now, policy)
    case 'adopt-failed':
      return finish(call, 'abandoned', 'caller', null, now)
    default: {
      const exhaustive: never = event
      return exhaustive
    }
  }
}

function talkingWith(call: ActiveCall, agentId: string): boolean {
  return call.phase === 'talking' && call.agentId === agentId
}

function onTimer(call: ActiveCall, kind: Extract<CallEvent, { type: 'timer' }>['kind'], at: number, now: number, policy: CallPolicy, event: Extract<CallEvent, { type: 'timer' }>): Step {
  if (dueTimes(call)[kind] !== at) return unchanged(call, 'stale-timer')
  switch (call.phase) {
    case 'greeting': {
      // The greeting's end was not heard in time: queue anyway.
      const { greetingDue: _due, ...rest } = call
      const greeted: ActiveCall = { ...rest, phase: 'arriving' }
      return then([{ type: 'persist', call: greeted }], enqueue(greeted, now, policy))
    }
    case 'waiting':
      return kind === 'overflow' || kind === 'announce' || kind === 'callbackOffer' ? waitingTimer(call, kind, now, policy, event.announce) : unchanged(call, 'stale-timer')
    case 'offering': {
      // The ring timeout's end was not heard: the guard ends the offer as ring-no-answer.
      const ringing = { ...call, ringDue: null }
      return then([{ type: 'persist', call: ringing }, { type: 'hangup', channelId: call.agentChannelId, reason: 'no_answer' }],
        offerFailed(ringing, 'ring-no-answer', { reason: 'guard-timeout' }, now, policy))
    }
    case 'talking':
      return rejoinExpired(call, now, policy)
    case 'arriving':
    case 'handed-off':
      return unchanged(call, 'stale-timer')
    default: {
      const exhaustive: never = call
      return exhaustive
    }
  }
}

function onChannelGone(call: ActiveCall, channelId: string, cause: number | null, now: number, policy: CallPolicy): Step {
  if (channelId === call.callerChannelId) return callerGone(call, now, policy)
  switch (call.phase) {
    case 'offering':
      return channelId === call.agentChannelId ? agentLegGone(call, cause, now, policy) : unchanged(call, 'not-ours')
    case 'handed-off':
      return channelId === call.targetChannelId ? agentLegGone(call, cause, now, policy) : unchanged(call, 'not-ours')
    case 'talking':
      if (call.leg.state === 'up') return channelId === call.leg.channelId ? agentLegGone(call, cause, now, policy) : unchanged(call, 'not-ours')
      return channelId === call.leg.rejoinChannelId ? rejoinLegGone(call, cause) : unchanged(call, 'not-ours')
    default:
      return unchanged(call, 'not-ours')
  }
}

/** The agent's leg (or, after a hand-off, the target's) ended. */
function agentLegGone(call: Offering | Talking | HandedOff, cause: number | null, now: number, policy: CallPolicy): Step {
  const end = agentLegEnded(liveView(call), cause, policy.rejoin)
  switch (end) {
    case 'offer-rejected':
    case 'ring-no-answer':
      return call.phase === 'offering' ? offerFailed(call, end, { cause }, now, policy) : { call, effects: [], refused: 'not-ringing' }
    case 'wait-for-rejoin':
    case 'ended-by-agent': {
      if (call.phase === 'offering') return { call, effects: [], refused: 'not-talking' }
      if (end === 'wait-for-rejoin' && call.phase === 'talking') {
        const kept = keepForRejoin(call, cause, 'leg-ended', now, policy)
        if (kept.kept) return kept.kept
        return then(kept.effects, endConversation(call, 'agent', now, policy))
      }
      return endConversation(call, 'agent', now, policy)
    }
    case 'nothing':
      return { call, effects: [], refused: 'nothing' }
  }
}


function callerGone(call: ActiveCall, now: number, policy: CallPolicy): Step {
  switch (call.phase) {
    case 'arriving':
    case 'greeting':
      return then([log('info', 'caller hung up during the greeting')], finish(call, 'abandoned', 'caller', null, now))
    case 'waiting':
      return then([
        { type: 'queue-remove', queueId: call.queueId!, callId: call.callId },
        { type: 'metric', name: 'callsAbandoned', queueId: call.queueId ?? '' },
        log('info', 'caller abandoned while waiting', { waitMs: now - call.queuedAt })
      ], finish(call, 'abandoned', 'caller', 'abandoned', now))
    case 'offering':
      return then([
        { type: 'hangup', channelId: call.agentChannelId },
        { type: 'agent', agentId: call.agentId, event: { type: 'offer-withdrawn', callId: call.callId }, warn: 'agent was not in the offered state' },
        { type: 'metric', name: 'callsAbandoned', queueId: call.queueId ?? '' },
        log('info', 'caller abandoned while the seat was ringing')
      ], finish(call, 'abandoned', 'caller', 'abandoned', now))
    case 'talking':
    case 'handed-off':
      return endConversation(call, 'caller', now, policy)
    default: {
      const exhaustive: never = call
      return exhaustive
    }
  }
}

/**
 * After a (re)connect: Asterisk is the truth for channels, the record for the call. A call whose
 * caller channel is gone was lost with the PBX (or hung up while no node listened); an offer
 * whose seat channel is gone goes back to the queue; what was pending is armed again.
 * `tag` says which ('lost' or 'kept').
 */
function onRestart(call: ActiveCall, facts: RestartFacts, now: number, policy: CallPolicy): Step {
  const has = (id: string) => Object.hasOwn(facts.channels, id)
  const view = liveView(call)
  const track: Effect[] = [{ type: 'track-channel', channelId: call.callerChannelId }]
  if (view.agentChannelId) track.push({ type: 'track-channel', channelId: view.agentChannelId })
  const action = afterRestart(view, { has, upAt: (id) => facts.channels[id] === 'Up' }, !!policy.rejoin)
  if (action === 'lost') {
    const fx: Effect[] = [...track, log('warn', facts.pbxRestarted ? 'caller channel no longer exists on the PBX; call lost' : 'caller hung up while no node listened', { phase: view.phase, pbxRestarted: facts.pbxRestarted })]
    if (call.phase === 'waiting' && call.queueId) fx.push({ type: 'queue-remove', queueId: call.queueId, callId: call.callId })
    if (view.agentChannelId && has(view.agentChannelId)) fx.push({ type: 'hangup', channelId: view.agentChannelId })
    if (view.agentId && (view.phase === 'talking' || view.phase === 'offered')) {
      const event = view.phase === 'talking' ? { type: 'call-ended' as const, callId: call.callId, wrapUpSeconds: 0 } : { type: 'offer-withdrawn' as const, callId: call.callId }
      fx.push({ type: 'agent', agentId: view.agentId, event, warn: '' })
    }
    const { outcome, logEvent, endedBy } = vanishedCallerOutcome(view.phase, facts.pbxRestarted)
    // Its end went unseen: the wait is counted up to now, an upper bound.
    return { ...then(fx, finish(call, outcome, endedBy, logEvent, now)), tag: 'lost' }
  }
  // The record holds the call's due times: arm exactly what was pending before the restart.
  const fx: Effect[] = [...track, { type: 'arm-timers', call }]
  const kept = (s: Step): Step => ({ ...then(fx, s), tag: 'kept' })
  switch (action) {
    case 'offer-failed':
      return call.phase === 'offering' ? kept(offerFailed(call, 'ring-no-answer', { reason: 'seat channel gone after restart' }, now, policy)) : kept({ call, effects: [] })
    case 'connect':
      // The seat answered while no server was listening: finish the connection.
      return call.phase === 'offering' ? kept(seatAnswered(call, now)) : kept({ call, effects: [] })
    case 'rejoin-wait':
      // Waiting for a rejoin when the server went away: the wait goes on for what is left of it.
      if (call.phase === 'talking' && call.leg.state === 'lost' && call.leg.rejoinChannelId && !has(call.leg.rejoinChannelId)) return kept(rejoinLegGone(call, null))
      return kept({ call, effects: [] })
    case 'agent-leg-gone': {
      if (call.phase === 'talking') {
        const k = keepForRejoin(call, null, 'gone-after-restart', now, policy)
        if (k.kept) return kept(k.kept)
        return kept(then(k.effects, endConversation(call, 'agent', now, policy)))
      }
      return call.phase === 'handed-off' ? kept(endConversation(call, 'agent', now, policy)) : kept({ call, effects: [] })
    }
    case 'enqueue':
      return kept(enqueue(call, now, policy))
    case 'requeue': {
      if (call.phase !== 'waiting' || !call.queueId) return kept({ call, effects: [] })
      const add: Effect[] = facts.hasQueueEntry ? [] : [{ type: 'queue-add', entry: { callId: call.callId, queueId: call.queueId, priority: call.priority, enteredAt: call.queuedAt, skills: [] } }]
      // A record without due times (written before they were kept) is timed afresh.
      return kept(then(add, call.untimed ? armWaiting(call, now, policy) : { call, effects: [] }))
    }
    case 'keep':
      return kept({ call, effects: [] })
  }
}
