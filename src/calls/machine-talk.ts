/**
 * The call machine with an agent: the offer (the seat rings, ring guard), the answer (bridge
 * and recording), failed offers (ring-no-answer, rejection: the caller back to the head of the
 * queue), hang-ups and the transfer hand-off (the rejoin after a lost leg: machine-rejoin.ts).
 * Pure: each function returns the next call and the effects, in the order they must run.
 */
import { bridgeIds, channelIds, recordingNames } from '../pbx/ari/ids.ts'
import type { HandedOff, Offering, Talking, Waiting } from './call-state.ts'
import { liveView } from './call-state.ts'
import { log, type CallPolicy, type Effect, type Step } from './machine-types.ts'
import { armWaiting, baseOf, finish, then } from './machine-waiting.ts'
import type { EndedBy } from './model.ts'
import type { QueueLogEvent } from './store.ts'

/** Rings the (already reserved) agent's seat for a waiting caller. */
export function offer(call: Waiting, agent: { agentId: string; seat: string }, ringTimeoutSeconds: number, now: number): Step {
  if (!agent.seat) return { call, effects: [], refused: 'no-seat' }
  const attempts = call.offerAttempts + 1
  // Waiting timers stop while the seat rings; a failed offer arms them again.
  const ringing: Offering = {
    ...baseOf(call), phase: 'offering', offerAttempts: attempts, queuedAt: call.queuedAt, agentId: agent.agentId, seat: agent.seat,
    agentChannelId: channelIds.agentLeg(call.callId, attempts), offeredAt: now, ringDue: null
  }
  // Asterisk ends the ring at the timeout itself; the guard covers a lost event.
  const guarded: Offering = { ...ringing, ringDue: now + (ringTimeoutSeconds + 5) * 1000 }
  return {
    call: guarded,
    effects: [
      { type: 'persist', call: ringing },
      log('info', 'call offered', { seat: agent.seat, waitMs: now - call.queuedAt }),
      // The screen pop goes out before the seat rings, so the panel shows who is calling.
      { type: 'notify', event: 'offered', args: [liveView(ringing)] },
      { type: 'notify', event: 'queue-changed', args: [call.queueId!] },
      {
        type: 'originate-seat', channelId: ringing.agentChannelId, seat: agent.seat, entry: 'agent-leg', callerNumber: call.callerNumber,
        timeoutSeconds: ringTimeoutSeconds, originator: call.callerChannelId, failed: { type: 'seat-dial-failed' }
      },
      // Written after the seat rings: the record is not on the path to the agent's phone. The
      // answer is handled in this call's lane, so it cannot overtake this write.
      { type: 'write-call', what: 'offered', call: liveView(ringing) },
      { type: 'persist', call: guarded }
    ]
  }
}

export function seatDialFailed(call: Offering, error: string | undefined, now: number, policy: CallPolicy): Step {
  const ringing: Offering = { ...call, ringDue: null }
  return then([
    log('warn', 'could not ring the seat', { err: error, seat: call.seat }),
    { type: 'write-call', what: 'offered', call: liveView(ringing) }
  ], offerFailed(ringing, 'offer-rejected', { reason: 'originate-failed' }, now, policy))
}

/**
 * Ring-no-answer or rejection: the agent goes to not ready (missed call) and the caller goes
 * back to the queue with their original place (priority and arrival time are kept).
 */
export function offerFailed(call: Offering, event: Extract<QueueLogEvent, 'ring-no-answer' | 'offer-rejected'>, detail: Record<string, unknown>, now: number, policy: CallPolicy): Step {
  const waiting: Waiting = { ...baseOf(call), phase: 'waiting', queuedAt: call.queuedAt, overflow: null, announceDue: null, callbackOfferDue: null }
  const fx: Effect[] = [
    { type: 'forget-channel', channelId: call.agentChannelId },
    { type: 'queue-log', call: liveView(call), event, at: now, detail: { ...detail, seat: call.seat }, agentId: call.agentId },
    { type: 'agent', agentId: call.agentId, event: { type: 'offer-missed', callId: call.callId }, warn: 'agent was not in the offered state' },
    log('info', 'offer failed; caller back to the head of the queue', { event, ...detail }),
    { type: 'persist', call: waiting },
    { type: 'queue-add', entry: { callId: call.callId, queueId: call.queueId!, priority: call.priority, enteredAt: call.queuedAt, skills: [] } },
    { type: 'notify', event: 'queue-changed', args: [call.queueId!] }
  ]
  const armed = armWaiting(waiting, now, policy)
  return { call: armed.call, effects: [...fx, ...armed.effects, { type: 'dispatch' }] }
}

/** The seat answered: caller and agent into the call's mixing bridge, then the recording starts. */
export function seatAnswered(call: Offering, now: number): Step {
  const bridgeId = bridgeIds.call(call.callId)
  const name = recordingNames.call(call.callId)
  const talking: Talking = {
    ...baseOf(call), phase: 'talking', queuedAt: call.queuedAt, agentId: call.agentId, seat: call.seat, offeredAt: call.offeredAt,
    answeredAt: now, bridgeId, recordingName: name, rejoinCount: 0, leg: { state: 'up', channelId: call.agentChannelId, hangingUp: false }
  }
  // A side that vanishes mid-bridge stops the step: its StasisEnd (queued behind it) ends the call.
  return {
    call: talking,
    effects: [
      { type: 'create-bridge', bridgeId, ifGone: 'stop' },
      { type: 'leave-hold', queueId: call.queueId!, channelId: call.callerChannelId },
      { type: 'add-to-bridge', bridgeId, channelIds: [call.callerChannelId, call.agentChannelId], ifGone: 'stop' },
      { type: 'start-recording', bridgeId, name }
    ]
  }
}

/** The recording started (or not: a call without a recording is still a call, said loudly): the call is answered. */
export function recordingStarted(call: Talking, ok: boolean, error: string | undefined): Step {
  const answered: Talking = { ...call, recordingName: ok ? call.recordingName : null }
  const waitMs = answered.answeredAt - (answered.queuedAt ?? answered.answeredAt)
  const fx: Effect[] = ok ? [] : [log('error', 'recording did not start', { err: error })]
  fx.push(
    { type: 'persist', call: answered },
    { type: 'write-call', what: 'answered', call: liveView(answered) },
    { type: 'agent', agentId: call.agentId, event: { type: 'offer-answered', callId: call.callId }, warn: 'agent state did not follow the answer' },
    { type: 'metric', name: 'callsAnswered', queueId: call.queueId ?? '' },
    { type: 'metric', name: 'answerDelay', queueId: call.queueId ?? '', seconds: waitMs / 1000 },
    log('info', 'call answered', { waitMs, recordingName: answered.recordingName }),
    { type: 'notify', event: 'answered', args: [liveView(answered)] }
  )
  return { call: answered, effects: fx }
}

/** Either side hung up a connected call: the other side, the recording and the bridge go; the agent to wrap-up. */
export function endConversation(call: Talking | HandedOff, endedBy: EndedBy, now: number, policy: CallPolicy): Step {
  const agentSide = call.phase === 'handed-off' ? call.targetChannelId : call.leg.state === 'up' ? call.leg.channelId : null
  const other = endedBy === 'caller' ? agentSide : call.callerChannelId
  const fx: Effect[] = []
  if (other) fx.push({ type: 'hangup', channelId: other })
  if (call.phase === 'talking' && call.leg.state === 'lost' && call.leg.rejoinChannelId) {
    // A seat still ringing to rejoin a call that ends now.
    fx.push({ type: 'hangup', channelId: call.leg.rejoinChannelId }, { type: 'forget-channel', channelId: call.leg.rejoinChannelId })
  }
  if (call.recordingName) fx.push({ type: 'stop-recording', name: call.recordingName })
  fx.push({ type: 'destroy-bridge', bridgeId: call.bridgeId })
  // After a transfer the agent went to wrap-up at the hand-off.
  if (call.phase === 'talking') {
    const wrapUpSeconds = (call.queueId ? policy.queues.get(call.queueId)?.wrapUpSeconds : undefined) ?? 0
    fx.push({ type: 'agent', agentId: call.agentId, event: { type: 'call-ended', callId: call.callId, wrapUpSeconds }, warn: 'agent state did not follow the hangup' })
  }
  fx.push(log('info', 'call ended', { endedBy, talkMs: now - call.answeredAt }))
  return then(fx, finish(call, 'answered', endedBy, 'completed', now))
}

/**
 * The agent hangs up through the server: marked first, so the leg's end is read as the agent's
 * hang-up and never waits for a rejoin. Without a leg (waiting for a rejoin) the call ends here.
 */
export function agentHangup(call: Talking, now: number, policy: CallPolicy): Step {
  if (call.leg.state === 'lost') return endConversation(call, 'agent', now, policy)
  const next: Talking = { ...call, leg: { ...call.leg, hangingUp: true } }
  return { call: next, effects: [{ type: 'persist', call: next }, { type: 'hangup', channelId: call.leg.channelId }] }
}

/**
 * Transfer: the target's channel takes the agent's place, so the usual teardown keeps working;
 * the agent's own leg no longer belongs to the call and the agent goes to wrap-up now.
 */
export function handOff(call: Talking, targetChannelId: string, policy: CallPolicy): Step {
  const { leg: _leg, ...rest } = call
  const handed: HandedOff = { ...rest, phase: 'handed-off', targetChannelId }
  const fx: Effect[] = call.leg.state === 'up' ? [{ type: 'forget-channel', channelId: call.leg.channelId }] : []
  const wrapUpSeconds = (call.queueId ? policy.queues.get(call.queueId)?.wrapUpSeconds : undefined) ?? 0
  fx.push(
    { type: 'persist', call: handed },
    { type: 'agent', agentId: call.agentId, event: { type: 'call-ended', callId: call.callId, wrapUpSeconds }, warn: 'agent state did not follow the transfer' },
    log('info', 'call handed off (transfer)', { farChannelId: targetChannelId })
  )
  return { call: handed, effects: fx }
}
