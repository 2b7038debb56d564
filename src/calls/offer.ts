/**
 * Offering a call to the agent the ACD reserved: the seat rings (ring guard as a due time), the
 * answer bridges caller and agent and starts the recording, a failed offer (ring-no-answer,
 * rejection) sends the agent to not ready and the caller back to the head of the queue.
 * In the call's lane, called by CallFlow (service.ts).
 */
import type { AgentLive } from '../agents/model.ts'
import { AriNotFound, ignoreGone } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { bridgeIds, channelIds } from '../pbx/ari/ids.ts'
import { CHANNEL_VAR_CALL_ID, recordingNameFor, STASIS_ENTRY, type LiveCall } from './model.ts'
import type { CallFlow } from './service.ts'
import type { QueueLogEvent } from './store.ts'
import { armWaitingTimers } from './waiting.ts'

/** Rings the (already reserved) agent's seat for a queued call; in the call's lane. */
export async function ringSeat(flow: CallFlow, call: LiveCall, agent: Pick<AgentLive, 'agentId' | 'seat'>, ringTimeoutSeconds: number): Promise<boolean> {
  {
    if (!agent.seat) return false
    call.offerAttempts += 1
    const agentChannelId = channelIds.agentLeg(call.callId, call.offerAttempts)
    call.phase = 'offered'
    call.agentId = agent.agentId
    call.seat = agent.seat
    call.agentChannelId = agentChannelId
    call.offeredAt = flow.deps.clock.now()
    // Waiting timers stop while the seat rings; a failed offer arms them again.
    flow.setDue(call, { overflow: null, announce: null, callbackOffer: null })
    await flow.save(call)
    const log = flow.logFor(call)
    log.info({ seat: agent.seat, waitMs: call.offeredAt - (call.queuedAt ?? call.offeredAt) }, 'call offered')
    // The screen pop goes out before the seat rings, so the panel shows who is calling.
    flow.emit('offered', { ...call })
    flow.emit('queue-changed', call.queueId!)
    try {
      await flow.deps.rest.originate({
        channelId: agentChannelId,
        endpoint: `${flow.deps.settings.seatTech}/${agent.seat}`,
        app: flow.deps.settings.app,
        appArgs: `${STASIS_ENTRY.agentLeg},${call.callId}`,
        callerId: `"${call.callerNumber}" <${call.callerNumber}>`,
        timeoutSeconds: ringTimeoutSeconds,
        originator: call.callerChannelId,
        variables: { [CHANNEL_VAR_CALL_ID]: call.callId }
      })
    } catch (err) {
      log.warn({ err: (err as Error).message, seat: agent.seat }, 'could not ring the seat')
      await flow.deps.records.offered(call)
      await offerFailed(flow, call, 'offer-rejected', { reason: 'originate-failed' })
      return true
    }
    // Written after the seat rings: the record is not on the path to the agent's phone. The
    // answer is handled in this call's lane, so it cannot overtake this write.
    await flow.deps.records.offered(call)
    // Asterisk ends the ring at the timeout itself; the guard covers a lost event.
    flow.setDue(call, { ringGuard: call.offeredAt + (ringTimeoutSeconds + 5) * 1000 })
    await flow.save(call)
    return true
  }
}

export async function onAgentAnswered(flow: CallFlow, callId: string, agentChannel: AriChannel): Promise<void> {
  const call = await flow.deps.live.get(callId)
  if (!call || call.phase !== 'offered' || call.agentChannelId !== agentChannel.id) {
    // The caller left (or the offer moved on) while the seat was ringing.
    flow.deps.log.info({ callId, channelId: agentChannel.id }, 'agent answered a call that is no longer offered; hanging up the seat')
    await ignoreGone(flow.deps.rest.hangup(agentChannel.id))
    return
  }
  const log = flow.logFor(call)
  const bridgeId = bridgeIds.call(callId)
  const recordingName = recordingNameFor(callId)
  try {
    await flow.deps.rest.createBridge(bridgeId, 'mixing', bridgeId)
    await ignoreGone(flow.deps.rest.removeFromBridge(bridgeIds.queueHold(call.queueId!), [call.callerChannelId]))
    await flow.deps.rest.addToBridge(bridgeId, [call.callerChannelId, agentChannel.id])
  } catch (err) {
    if (!(err instanceof AriNotFound)) throw err
    // One side vanished mid-bridge; its StasisEnd (queued behind this lane) ends the call.
    log.info('a leg hung up while bridging')
    return
  }
  flow.setDue(call, { overflow: null, announce: null, ringGuard: null, callbackOffer: null })
  call.phase = 'talking'
  call.answeredAt = flow.deps.clock.now()
  call.bridgeId = bridgeId
  try {
    await flow.deps.rest.recordBridge(bridgeId, recordingName, 'wav')
    call.recordingName = recordingName
  } catch (err) {
    // A call without a recording is still a call: connect it and say so loudly.
    log.error({ err: (err as Error).message }, 'recording did not start')
  }
  await flow.save(call)
  await flow.deps.records.answered(call)
  const agent = await flow.deps.agents.tryApply(call.agentId!, { type: 'offer-answered', callId }, 'system')
  if (!agent.ok) log.warn({ rejection: agent.rejection }, 'agent state did not follow the answer')
  flow.deps.metrics.callsAnswered.inc({ queue: call.queueId ?? '' })
  flow.deps.metrics.answerDelay.observe({ queue: call.queueId ?? '' }, (call.answeredAt - (call.queuedAt ?? call.answeredAt)) / 1000)
  log.info({ waitMs: call.answeredAt - (call.queuedAt ?? call.answeredAt), recordingName: call.recordingName }, 'call answered')
  flow.emit('answered', { ...call })
}

/**
 * Ring-no-answer or rejection: the agent goes to not ready (missed call) and the caller goes
 * back to the queue with their original place (priority and arrival time are kept).
 */
export async function offerFailed(flow: CallFlow, call: LiveCall, event: Extract<QueueLogEvent, 'ring-no-answer' | 'offer-rejected'>, detail: Record<string, unknown>): Promise<void> {
  const agentId = call.agentId!
  const log = flow.logFor(call)
  if (call.agentChannelId) { flow.channelToCall.delete(call.agentChannelId); await flow.deps.live.forgetChannel(call.agentChannelId) }
  await flow.deps.records.log(call, event, flow.deps.clock.now(), { ...detail, seat: call.seat }, agentId)
  const missed = await flow.deps.agents.tryApply(agentId, { type: 'offer-missed', callId: call.callId }, 'system')
  if (!missed.ok) log.warn({ rejection: missed.rejection }, 'agent was not in the offered state')
  log.info({ event, ...detail }, 'offer failed; caller back to the head of the queue')
  call.phase = 'queued'
  call.agentId = null
  call.seat = null
  call.agentChannelId = null
  flow.setDue(call, { ringGuard: null })
  await flow.save(call)
  await flow.deps.waiting.add({ callId: call.callId, queueId: call.queueId!, priority: call.priority, enteredAt: call.queuedAt ?? call.arrivedAt, skills: [] })
  flow.emit('queue-changed', call.queueId!)
  await armWaitingTimers(flow, call)
  flow.deps.requestDispatch()
}
