/**
 * The call machine's agent rejoin (WebRTC seats): the agent's leg of a talking call ended
 * without the agent hanging up (a page reload, a network blip); the caller waits on music on the
 * call's mixing bridge (the recording carries on and shows the gap) while the panel dials back
 * in, for the grace due time in the talking phase's lost leg. Desk phones hang up by BYE: not
 * for them. Pure, like the rest of the machine.
 */
import { SYSTEM_REASONS } from '../agents/model.ts'
import { channelIds } from '../pbx/ari/ids.ts'
import type { Talking } from './call-state.ts'
import { liveView } from './call-state.ts'
import { log, type CallPolicy, type Effect, type Step } from './machine-types.ts'
import { endConversation } from './machine-talk.ts'
import { then } from './machine-waiting.ts'
import { rejoinDecision, seatMayRejoin } from './rules.ts'

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
