/**
 * The call machine with an agent: the offer (the seat rings, ring guard), the answer (bridge
 * and recording), failed offers (ring-no-answer, rejection: the caller back to the head of the
 * queue), hang-ups, the transfer hand-off, and the WebRTC seat's rejoin after a lost leg.
 * Pure: each function returns the next call and the effects, in the order they must run.
 */
import { SYSTEM_REASONS } from '../agents/model.ts'
import { bridgeIds, channelIds, recordingNames } from '../pbx/ari/ids.ts'
import type { HandedOff, Offering, Talking, Waiting } from './call-state.ts'
import { liveView } from './call-state.ts'
import { log, type CallPolicy, type Effect, type Step } from './machine-types.ts'
import { armWaiting, baseOf, finish, then } from './machine-waiting.ts'
import type { EndedBy } from './model.ts'
import { agentLegEnded, rejoinDecision, seatMayRejoin } from './rules.ts'
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

/** The agent's leg (or, after a hand-off, the target's) ended. */
export function agentLegGone(call: Offering | Talking | HandedOff, cause: number | null, now: number, policy: CallPolicy): Step {
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

/**
 * For a WebRTC seat whose leg ended without the agent hanging up (a page reload, a network
 * blip) the caller stays: music on the call's mixing bridge (the recording carries on and shows
 * the gap), the agent stays talking, and the grace due time ends the call if the panel does not
 * rejoin. `kept` null: not kept (desk phone, hung up, or the rejoin limit: its effects first).
 */
export function keepForRejoin(call: Talking, cause: number | null, reason: string, now: number, policy: CallPolicy): { kept: Step | null; effects: Effect[] } {
  const rejoin = policy.rejoin
  if (!rejoin || call.leg.state !== 'up' || call.leg.hangingUp || !seatMayRejoin(call, rejoin)) return { kept: null, effects: [] }
  const decision = rejoinDecision(call, rejoin)
  if (decision.action === 'limit') {
    return {
      kept: null,
      effects: [
        { type: 'queue-log', call: liveView(call), event: 'rejoin-limit', at: now, detail: { seat: call.seat, cause, reason, rejoins: decision.rejoinCount } },
        log('warn', 'the seat lost its leg again after the rejoin limit (no audio?); ending the call, the agent goes not ready', { seat: call.seat, agentId: call.agentId, cause, reason, rejoins: decision.rejoinCount }),
        { type: 'agent', agentId: call.agentId, event: { type: 'force-not-ready', reason: SYSTEM_REASONS.noAudio }, warn: 'could not put the agent in not ready after the rejoin limit', force: true },
        { type: 'notify', event: 'rejoin-limit', args: [liveView(call), decision.rejoinCount] }
      ]
    }
  }
  // The panel has the grace time to dial back in; then the call ends by the agent side.
  const lost: Talking = { ...call, rejoinCount: decision.rejoinCount, leg: { state: 'lost', lostAt: now, graceDue: now + rejoin.graceMs, rejoinChannelId: null } }
  return {
    kept: {
      call: lost,
      effects: [
        { type: 'forget-channel', channelId: call.leg.channelId },
        { type: 'persist', call: lost },
        { type: 'moh', bridgeId: call.bridgeId, on: true, what: 'music on hold for the rejoin wait did not start' },
        { type: 'queue-log', call: liveView(lost), event: 'agent-leg-lost', at: now, detail: { seat: call.seat, cause, reason, graceS: rejoin.graceMs / 1000 } },
        log('info', 'agent leg dropped mid-call; caller on music while the seat may rejoin', { seat: call.seat, cause, reason, graceMs: rejoin.graceMs }),
        { type: 'notify', event: 'agent-leg-lost', args: [liveView(lost), now + rejoin.graceMs] }
      ]
    },
    effects: []
  }
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

/**
 * The agent's (reloaded) panel asks to be put back in its talking call: the seat is dialled
 * again (the panel answers by itself) and joins the mixing bridge on answer. A leg the server
 * still thinks is up (the browser went away without a BYE) is replaced.
 */
export function rejoin(call: Talking, now: number, policy: CallPolicy): Step {
  const rejoinPolicy = policy.rejoin
  if (!rejoinPolicy || !seatMayRejoin(call, rejoinPolicy)) return { call, effects: [], refused: 'not-rejoinable' }
  let current = call
  const fx: Effect[] = []
  if (call.leg.state === 'up') {
    const stale = call.leg.channelId
    const kept = keepForRejoin(call, null, 'replaced-by-rejoin', now, policy)
    if (!kept.kept) return { call, effects: kept.effects, refused: 'not-rejoinable' }
    current = kept.kept.call as Talking
    fx.push(...kept.kept.effects, { type: 'hangup', channelId: stale })
  }
  if (current.leg.state !== 'lost') return { call, effects: [], refused: 'not-rejoinable' }
  if (current.leg.rejoinChannelId) return { call: current, effects: fx }
  const rejoinBy = current.leg.lostAt + rejoinPolicy.graceMs
  const channelId = channelIds.rejoin(call.callId, now)
  const dialling: Talking = { ...current, leg: { ...current.leg, rejoinChannelId: channelId } }
  fx.push(
    { type: 'persist', call: dialling },
    {
      type: 'originate-seat', channelId, seat: call.seat, entry: 'agent-rejoin', callerNumber: call.callerNumber,
      timeoutSeconds: Math.max(5, Math.ceil((rejoinBy - now) / 1000)), originator: call.callerChannelId, failed: { type: 'rejoin-dial-failed' }
    },
    log('info', 'dialling the seat to rejoin the call', { channelId, seat: call.seat })
  )
  return { call: dialling, effects: fx }
}

export function rejoinDialFailed(call: Talking, error: string | undefined): Step {
  if (call.leg.state !== 'lost') return { call, effects: [], refused: 'not-rejoinable' }
  const next: Talking = { ...call, leg: { ...call.leg, rejoinChannelId: null } }
  return { call: next, effects: [log('warn', 'could not dial the seat to rejoin', { err: error }), { type: 'persist', call: next }], refused: 'not-rejoinable' }
}

/** The seat dialled back in answered: into the bridge, music off, the leg is up again. */
export function rejoinAnswered(call: Talking, channelId: string, now: number): Step {
  if (call.leg.state !== 'lost') return { call, effects: [], refused: 'not-waiting' }
  const awayMs = now - call.leg.lostAt
  const back: Talking = { ...call, leg: { state: 'up', channelId, hangingUp: false } }
  return {
    call: back,
    effects: [
      { type: 'add-to-bridge', bridgeId: call.bridgeId, channelIds: [channelId], ifGone: 'stop' },
      { type: 'moh', bridgeId: call.bridgeId, on: false, what: 'music did not stop' },
      { type: 'persist', call: back },
      { type: 'queue-log', call: liveView(back), event: 'agent-rejoined', at: now, detail: { seat: call.seat, awayMs } },
      log('info', 'agent rejoined the call', { awayMs, channelId }),
      { type: 'notify', event: 'rejoined', args: [liveView(back)] }
    ]
  }
}

/** The rejoin leg ended before joining (not answered, refused): the grace time still runs. */
export function rejoinLegGone(call: Talking, cause: number | null): Step {
  if (call.leg.state !== 'lost') return { call, effects: [], refused: 'not-waiting' }
  const next: Talking = { ...call, leg: { ...call.leg, rejoinChannelId: null } }
  const fx: Effect[] = call.leg.rejoinChannelId ? [{ type: 'forget-channel', channelId: call.leg.rejoinChannelId }] : []
  fx.push({ type: 'persist', call: next }, log('info', 'the rejoin leg ended before joining; waiting for another try or the grace time', { cause }))
  return { call: next, effects: fx }
}

/** The seat did not rejoin within the grace time: the call ends by the agent side. */
export function rejoinExpired(call: Talking, now: number, policy: CallPolicy): Step {
  if (call.leg.state !== 'lost') return { call, effects: [], refused: 'not-waiting' }
  const awayMs = now - call.leg.lostAt
  return then([
    { type: 'queue-log', call: liveView(call), event: 'rejoin-expired', at: now, detail: { seat: call.seat, awayMs } },
    log('info', 'the seat did not rejoin in time; ending the call', { awayMs })
  ], endConversation(call, 'agent', now, policy))
}
