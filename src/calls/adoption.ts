/**
 * Outbound channels that become calls: an answered agent-assisted follow-up (src/followup/)
 * waits in the campaign's queue like any caller; an answered callback (src/callbacks/) rings the
 * agent the ACD reserved for it. From there on each is an ordinary call (machine-waiting.ts adopt).
 */
import type { AgentLive } from '../agents/model.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { adopt } from './machine.ts'
import type { AdoptionFacts } from './machine-types.ts'
import type { CallFlow } from './service.ts'

/**
 * An agent-assisted follow-up answered by the citizen (src/followup/): the channel becomes a
 * call waiting in the follow-up queue like any caller, with the ticket for the screen pop.
 */
export function adoptFollowUp(flow: CallFlow, channel: AriChannel, p: { callId: string; callerNumber: string; lineNumber: string | null; queueId: string; ticketId: string; attemptId: string }): Promise<boolean> {
  return adoptOutbound(flow, {
    callId: p.callId, channelId: channel.id, callerNumber: p.callerNumber, lineNumber: p.lineNumber, queueId: p.queueId,
    origin: { kind: 'follow-up', ticketId: p.ticketId, attemptId: p.attemptId }
  })
}

/**
 * A callback answered by the citizen: the channel becomes a call of its own (id `callId`,
 * returning `callbackOf`) that waits in the queue's holding bridge and rings the agent the
 * ACD reserved for it; from there on it is an ordinary call (recording, ring-no-answer back
 * to the head of the queue, wrap-up).
 */
export function adoptCallback(flow: CallFlow, channel: AriChannel, p: { callId: string; callbackOf: string; callerNumber: string; lineNumber: string | null; queueId: string; agent: Pick<AgentLive, 'agentId' | 'seat'>; ringTimeoutSeconds: number }): Promise<boolean> {
  return adoptOutbound(flow, {
    callId: p.callId, channelId: channel.id, callerNumber: p.callerNumber, lineNumber: p.lineNumber, queueId: p.queueId,
    origin: { kind: 'callback', callbackOf: p.callbackOf }, ring: { agentId: p.agent.agentId, seat: p.agent.seat ?? '', ringTimeoutSeconds: p.ringTimeoutSeconds }
  })
}

/**
 * Shared start of an answered outbound channel: it becomes a live call in the queue's holding
 * bridge. False when the citizen hung up before the call could be set up (the call is then
 * closed as abandoned) or, for a callback, when its agent could not be offered the call.
 */
function adoptOutbound(flow: CallFlow, facts: AdoptionFacts): Promise<boolean> {
  flow.channelToCall.set(facts.channelId, facts.callId)
  return flow.router.inCallLane(facts.callId, async () => {
    const adopted = await flow.run(adopt(facts, flow.deps.clock.now()))
    if (adopted.call.phase === 'ended' || adopted.stopped) return false
    if (!facts.ring) return true
    const offered = await flow.drive(adopted.call, { type: 'offer', ...facts.ring })
    return !offered.refused
  })
}
