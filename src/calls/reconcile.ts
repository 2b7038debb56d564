/**
 * After a (re)connect or a restart, Asterisk is the truth for channels and Redis for our calls;
 * and on a timer, agents held by a call that no longer exists are freed.
 */
import { vanishedCallerOutcome } from './node-gaps.ts'
import { ignoreGone } from '../pbx/ari/errors.ts'
import { keepForRejoin, onRejoinLegGone } from './rejoin.ts'
import { armWaitingTimers } from './waiting.ts'
import type { CallFlow } from './service.ts'
import { afterRestart } from './rules.ts'
import { offerFailed, onAgentAnswered } from './offer.ts'
import { endConversation, finish } from './teardown.ts'

/**
 * After a (re)connect: Asterisk is the truth for channels, Redis for our calls. Calls whose
 * caller channel is gone were lost with the PBX and are logged as such; offers whose seat
 * channel is gone go back to the queue; waiting callers get their queue entry back.
 */
export async function reconcile(flow: CallFlow): Promise<{ kept: number; lost: number }> {
  const channels = new Map((await flow.deps.rest.listChannels()).map((c) => [c.id, c]))
  const present = new Set(channels.keys())
  const pbxRestarted = await pbxRestartedSinceLastSeen(flow)
  let kept = 0
  let lost = 0
  const snapshots = await flow.deps.live.list()
  // Waiting callers lost with the PBX leave the queues first: an agent that one of the lost
  // talking calls frees must not be offered a caller who is gone too (and miss it).
  for (const c of snapshots) {
    if (c.phase === 'queued' && c.queueId && !present.has(c.callerChannelId)) await flow.deps.waiting.remove(c.queueId, c.callId)
  }
  for (const snapshot of snapshots) {
    await flow.router.inCallLane(snapshot.callId, async () => {
      const call = await flow.deps.live.get(snapshot.callId)
      if (!call || call.phase === 'ended') return
      flow.channelToCall.set(call.callerChannelId, call.callId)
      if (call.agentChannelId) flow.channelToCall.set(call.agentChannelId, call.callId)
      const log = flow.logFor(call)
      const action = afterRestart(call, { has: (id) => present.has(id), upAt: (id) => channels.get(id)?.state === 'Up' }, !!flow.deps.settings.rejoin)
      if (action === 'lost') {
        lost += 1
        log.warn({ phase: call.phase, pbxRestarted }, pbxRestarted ? 'caller channel no longer exists on the PBX; call lost' : 'caller hung up while no node listened')
        if (call.phase === 'queued' && call.queueId) await flow.deps.waiting.remove(call.queueId, call.callId)
        if (call.agentChannelId && present.has(call.agentChannelId)) await ignoreGone(flow.deps.rest.hangup(call.agentChannelId))
        if (call.agentId && (call.phase === 'talking' || call.phase === 'offered')) {
          const event = call.phase === 'talking'
            ? { type: 'call-ended' as const, callId: call.callId, wrapUpSeconds: 0 }
            : { type: 'offer-withdrawn' as const, callId: call.callId }
          await flow.deps.agents.tryApply(call.agentId, event, 'system')
        }
        const { outcome, logEvent, endedBy } = vanishedCallerOutcome(call.phase, pbxRestarted)
        // Its end went unseen: the wait is counted up to now, an upper bound.
        return finish(flow, call, outcome, endedBy, logEvent)
      }
      kept += 1
      // The record holds the call's due times: arm exactly what was pending before the restart.
      flow.timers.sync(call.callId, call.due)
      switch (action) {
        case 'offer-failed':
          return offerFailed(flow, call, 'ring-no-answer', { reason: 'seat channel gone after restart' })
        case 'connect':
          // The seat answered while no server was listening: finish the connection.
          return onAgentAnswered(flow, call.callId, channels.get(call.agentChannelId!)!)
        case 'rejoin-wait':
          // Waiting for a rejoin when the server went away: the wait goes on for what is left of it.
          if (call.rejoinChannelId && !present.has(call.rejoinChannelId)) await onRejoinLegGone(flow, call, null)
          return
        case 'agent-leg-gone':
          if (await keepForRejoin(flow, call, null, 'gone-after-restart')) return
          return endConversation(flow, call, 'agent')
        case 'enqueue':
          return flow.enqueue(call)
        case 'requeue':
        case 'keep':
          break
      }
      if (action === 'requeue' && call.queueId) {
        if (!(await flow.deps.waiting.get(call.callId))) {
          await flow.deps.waiting.add({ callId: call.callId, queueId: call.queueId, priority: call.priority, enteredAt: call.queuedAt ?? call.arrivedAt, skills: [] })
        }
        // A record without due times (written before they were kept) is timed afresh.
        if (!call.due) await armWaitingTimers(flow, call)
      }
    })
  }
  flow.deps.requestDispatch()
  return { kept, lost }
}

/**
 * Agents left in a call state (offered, talking, on hold) for a call that no longer exists, by
 * a lost event or a crash between two writes, are freed: nobody could leave those states
 * otherwise (sign-out and ready are refused during a call). `isReserved` tells reservations
 * that have no live call yet (a callback being dialled). Returns how many were freed.
 */
export async function releaseStrandedAgents(flow: CallFlow, isReserved: (callId: string) => boolean, graceMs = 10_000): Promise<number> {
  const now = flow.deps.clock.now()
  let freed = 0
  for (const agent of await flow.deps.agents.listSignedIn()) {
    const callId = agent.callId
    if (!callId || (agent.state !== 'offered' && agent.state !== 'talking' && agent.state !== 'on-hold')) continue
    if (now - agent.since < graceMs || isReserved(callId)) continue
    const stillThere = await flow.router.inCallLane(callId, async () => (await flow.deps.live.get(callId)) !== null)
    if (stillThere) continue
    const event = agent.state === 'offered' ? { type: 'offer-withdrawn' as const, callId } : { type: 'call-ended' as const, callId, wrapUpSeconds: 0 }
    const r = await flow.deps.agents.tryApply(agent.agentId, event, 'system')
    if (r.ok && r.changed) {
      freed += 1
      flow.deps.log.warn({ agentId: agent.agentId, callId, state: agent.state }, 'agent was held by a call that no longer exists; freed')
    }
  }
  return freed
}

/**
 * Whether Asterisk restarted since the last reconcile (its start time changed). Unknown (first
 * run, or the PBX does not say) counts as restarted: the old, cautious reading.
 */
async function pbxRestartedSinceLastSeen(flow: CallFlow): Promise<boolean> {
  const startedAt = (await flow.deps.rest.info()).status?.startup_time
  if (!startedAt) return true
  return (await flow.deps.live.swapPbxStartTime(startedAt)) !== startedAt
}
