/**
 * Outbound channels that become calls: an answered agent-assisted follow-up (src/followup/)
 * waits in the campaign's queue like any caller; an answered callback (src/callbacks/) rings the
 * agent the ACD reserved for it. From there on each is an ordinary call.
 */
import type { AgentLive } from '../agents/model.ts'
import { AriNotFound } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { CHANNEL_VAR_CALL_ID, type LiveCall } from './model.ts'
import type { CallFlow } from './service.ts'
import { ringSeat } from './offer.ts'
import { finish } from './teardown.ts'
import { joinHoldBridge } from './waiting.ts'

/**
 * An agent-assisted follow-up answered by the citizen (src/followup/): the channel becomes a
 * call waiting in the follow-up queue like any caller, with the ticket for the screen pop.
 */
export function adoptFollowUp(flow: CallFlow, channel: AriChannel, p: { callId: string; callerNumber: string; lineNumber: string | null; queueId: string; ticketId: string; attemptId: string }): Promise<boolean> {
  return adoptOutbound(flow, channel, p, { followUp: { ticketId: p.ticketId, attemptId: p.attemptId } }, async (call) => {
    await flow.deps.waiting.add({ callId: p.callId, queueId: p.queueId, priority: 0, enteredAt: call.queuedAt!, skills: [] })
    flow.deps.requestDispatch()
    await flow.deps.records.queued(call)
    flow.emit('queue-changed', p.queueId)
    return true
  })
}

/**
 * A callback answered by the citizen: the channel becomes a call of its own (id `callId`,
 * returning `callbackOf`) that waits in the queue's holding bridge and rings the agent the
 * ACD reserved for it; from there on it is an ordinary call (recording, ring-no-answer back
 * to the head of the queue, wrap-up).
 */
export function adoptCallback(flow: CallFlow, channel: AriChannel, p: { callId: string; callbackOf: string; callerNumber: string; lineNumber: string | null; queueId: string; agent: Pick<AgentLive, 'agentId' | 'seat'>; ringTimeoutSeconds: number }): Promise<boolean> {
  return adoptOutbound(flow, channel, p, { callbackOf: p.callbackOf }, async (call) => {
    await flow.deps.records.queued(call)
    flow.logFor(call).info({ callbackOf: p.callbackOf, seat: p.agent.seat }, 'callback answered; ringing the reserved agent')
    return ringSeat(flow, call, p.agent, p.ringTimeoutSeconds)
  })
}

/**
 * Shared start of an answered outbound channel (follow-up or callback): it becomes a live call
 * in the queue's holding bridge; `then` decides how it reaches an agent. False when the citizen
 * hung up before the call could be set up (the call is then closed as abandoned).
 */
export function adoptOutbound(
  flow: CallFlow,
  channel: AriChannel,
  p: { callId: string; callerNumber: string; lineNumber: string | null; queueId: string },
  extra: Pick<LiveCall, 'followUp' | 'callbackOf'>,
  then: (call: LiveCall) => Promise<boolean>
): Promise<boolean> {
  flow.channelToCall.set(channel.id, p.callId)
  return flow.router.inCallLane(p.callId, async () => {
    const now = flow.deps.clock.now()
    const call: LiveCall = {
      callId: p.callId, phase: 'queued', callerChannelId: channel.id, callerNumber: p.callerNumber, dialledNumber: p.callerNumber,
      lineNumber: p.lineNumber, queueId: p.queueId, priority: 0, arrivedAt: now, queuedAt: now, agentId: null, seat: null,
      agentChannelId: null, offeredAt: null, answeredAt: null, offerAttempts: 0, bridgeId: null, recordingName: null, ...extra
    }
    await flow.save(call)
    await flow.deps.records.arrived(call)
    try {
      await flow.deps.rest.setVariable(channel.id, CHANNEL_VAR_CALL_ID, p.callId)
      await joinHoldBridge(flow, p.queueId, channel.id)
    } catch (err) {
      if (err instanceof AriNotFound) { await finish(flow, call, 'abandoned', 'caller', null); return false }
      throw err
    }
    return then(call)
  })
}
