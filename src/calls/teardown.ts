/**
 * How a call ends: the caller or the agent hangs up (the other side is hung up, the recording
 * stopped, the bridge destroyed), the agent hangs up through the server, a transfer hands the
 * call to its target, a caller leaves the queue for a callback. In the call's lane.
 */
import { ignoreGone } from '../pbx/ari/errors.ts'
import { bridgeIds } from '../pbx/ari/ids.ts'
import type { QueueEntry } from '../queueing/model.ts'
import type { CallOutcome, EndedBy, LiveCall } from './model.ts'
import { offerFailed } from './offer.ts'
import { keepForRejoin } from './rejoin.ts'
import { agentLegEnded } from './rules.ts'
import type { CallFlow } from './service.ts'
import type { QueueLogEvent } from './store.ts'

export function releaseForCallbackInLane(flow: CallFlow, callId: string, keep: (call: LiveCall, entry: QueueEntry) => Promise<boolean>): Promise<boolean> {
  return (async () => {
    const call = await flow.deps.live.get(callId)
    if (!call || call.phase !== 'queued' || !call.queueId) return false
    const entry = await flow.deps.waiting.get(callId)
    if (!entry || !(await flow.deps.waiting.remove(call.queueId, callId))) return false
    if (!(await keep(call, entry))) {
      await flow.deps.waiting.add(entry)
      return false
    }
    await ignoreGone(flow.deps.rest.removeFromBridge(bridgeIds.queueHold(call.queueId), [call.callerChannelId]))
    flow.logFor(call).info({ waitMs: flow.deps.clock.now() - (call.queuedAt ?? call.arrivedAt) }, 'caller left the queue for a callback')
    await finish(flow, call, 'callback', 'caller', null)
    flow.emit('queue-changed', call.queueId)
    return true
  })()
}

export async function onCallerGone(flow: CallFlow, call: LiveCall): Promise<void> {
  const log = flow.logFor(call)
  switch (call.phase) {
    case 'greeting':
      log.info('caller hung up during the greeting')
      return finish(flow, call, 'abandoned', 'caller', null)
    case 'queued':
      await flow.deps.waiting.remove(call.queueId!, call.callId)
      flow.deps.metrics.callsAbandoned.inc({ queue: call.queueId ?? '' })
      log.info({ waitMs: flow.deps.clock.now() - (call.queuedAt ?? call.arrivedAt) }, 'caller abandoned while waiting')
      return finish(flow, call, 'abandoned', 'caller', 'abandoned')
    case 'offered': {
      const agentChannelId = call.agentChannelId
      if (agentChannelId) await ignoreGone(flow.deps.rest.hangup(agentChannelId))
      const released = await flow.deps.agents.tryApply(call.agentId!, { type: 'offer-withdrawn', callId: call.callId }, 'system')
      if (!released.ok) log.warn({ rejection: released.rejection }, 'agent was not in the offered state')
      flow.deps.metrics.callsAbandoned.inc({ queue: call.queueId ?? '' })
      log.info('caller abandoned while the seat was ringing')
      return finish(flow, call, 'abandoned', 'caller', 'abandoned')
    }
    case 'talking':
      return endConversation(flow, call, 'caller')
    case 'ended':
      return
  }
}

export async function onAgentLegGone(flow: CallFlow, call: LiveCall, cause: number | null): Promise<void> {
  const end = agentLegEnded(call, cause, flow.deps.settings.rejoin)
  switch (end) {
    case 'offer-rejected':
    case 'ring-no-answer':
      return offerFailed(flow, call, end, { cause })
    case 'wait-for-rejoin':
      if (await keepForRejoin(flow, call, cause)) return
      return endConversation(flow, call, 'agent')
    case 'ended-by-agent':
      return endConversation(flow, call, 'agent')
    case 'nothing':
      return
  }
}

export function agentHangupInLane(flow: CallFlow, agentId: string, callId: string): Promise<boolean> {
  return (async () => {
    const call = await flow.deps.live.get(callId)
    if (!call || call.phase !== 'talking' || call.agentId !== agentId || call.handedOffTo) return false
    if (!call.agentChannelId) {
      await endConversation(flow, call, 'agent')
      return true
    }
    call.agentHangingUp = true
    await flow.save(call)
    await ignoreGone(flow.deps.rest.hangup(call.agentChannelId))
    return true
  })()
}

export async function endConversation(flow: CallFlow, call: LiveCall, endedBy: EndedBy): Promise<void> {
  const log = flow.logFor(call)
  const other = endedBy === 'caller' ? call.agentChannelId : call.callerChannelId
  if (other) await ignoreGone(flow.deps.rest.hangup(other))
  if (call.rejoinChannelId) {
    // A seat still ringing to rejoin a call that ends now.
    await ignoreGone(flow.deps.rest.hangup(call.rejoinChannelId))
    flow.channelToCall.delete(call.rejoinChannelId)
    await flow.deps.live.forgetChannel(call.rejoinChannelId)
  }
  if (call.recordingName) await ignoreGone(flow.deps.rest.stopRecording(call.recordingName))
  if (call.bridgeId) await ignoreGone(flow.deps.rest.destroyBridge(call.bridgeId))
  const queue = call.queueId ? await flow.deps.directory.queue(call.queueId) : undefined
  const wrapUpSeconds = queue?.wrapUpSeconds ?? 0
  if (!call.handedOffTo) { // after a transfer the agent went to wrap-up at the hand-off
    const ended = await flow.deps.agents.tryApply(call.agentId!, { type: 'call-ended', callId: call.callId, wrapUpSeconds }, 'system')
    if (!ended.ok) log.warn({ rejection: ended.rejection }, 'agent state did not follow the hangup')
  }
  log.info({ endedBy, talkMs: flow.deps.clock.now() - (call.answeredAt ?? flow.deps.clock.now()) }, 'call ended')
  await finish(flow, call, 'answered', endedBy, 'completed')
}

export function handOffInLane(flow: CallFlow, callId: string, agentId: string, farChannelId: string): Promise<LiveCall | null> {
  return (async () => {
    const call = await flow.deps.live.get(callId)
    if (!call || call.phase !== 'talking' || call.agentId !== agentId || call.handedOffTo) return null
    const agentChannelId = call.agentChannelId
    if (agentChannelId) { flow.channelToCall.delete(agentChannelId); await flow.deps.live.forgetChannel(agentChannelId) }
    call.agentChannelId = farChannelId
    call.handedOffTo = farChannelId
    await flow.save(call)
    const queue = call.queueId ? await flow.deps.directory.queue(call.queueId) : undefined
    const ended = await flow.deps.agents.tryApply(agentId, { type: 'call-ended', callId, wrapUpSeconds: queue?.wrapUpSeconds ?? 0 }, 'system')
    if (!ended.ok) flow.logFor(call).warn({ rejection: ended.rejection }, 'agent state did not follow the transfer')
    flow.logFor(call).info({ farChannelId }, 'call handed off (transfer)')
    return { ...call, agentChannelId }
  })()
}

export async function finish(flow: CallFlow, call: LiveCall, outcome: CallOutcome, endedBy: EndedBy, logEvent: QueueLogEvent | null): Promise<void> {
  flow.timers.clear(call.callId)
  call.phase = 'ended'
  await flow.deps.records.ended(call, flow.deps.clock.now(), outcome, endedBy, logEvent)
  await flow.deps.live.remove(call)
  flow.emit('ended', { ...call }, outcome, endedBy)
  if (call.queueId && (outcome === 'abandoned' || outcome === 'pbx-lost')) flow.emit('queue-changed', call.queueId)
  flow.channelToCall.delete(call.callerChannelId)
  if (call.agentChannelId) flow.channelToCall.delete(call.agentChannelId)
}
