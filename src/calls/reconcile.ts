/**
 * After a (re)connect or a restart, Asterisk is the truth for channels and Redis for our calls;
 * and on a timer, agents held by a call that no longer exists are freed.
 */
import type { CallFlow } from './service.ts'

/**
 * After a (re)connect: each live call's record is stepped with what the PBX has now (the
 * machine's `restart` event: lost calls end, offers whose seat is gone go back to the queue,
 * waiting callers get their queue entry back, the record's due times are armed again).
 */
export async function reconcile(flow: CallFlow): Promise<{ kept: number; lost: number }> {
  const listed = await flow.deps.rest.listChannels()
  const channels: Record<string, string> = Object.fromEntries(listed.map((c) => [c.id, c.state]))
  const pbxRestarted = await pbxRestartedSinceLastSeen(flow)
  let kept = 0
  let lost = 0
  const snapshots = await flow.deps.live.listCalls()
  // Waiting callers lost with the PBX leave the queues first: an agent that one of the lost
  // talking calls frees must not be offered a caller who is gone too (and miss it).
  for (const c of snapshots) {
    if (c.phase === 'waiting' && c.queueId && !Object.hasOwn(channels, c.callerChannelId)) await flow.deps.waiting.remove(c.queueId, c.callId)
  }
  for (const snapshot of snapshots) {
    await flow.router.inCallLane(snapshot.callId, async () => {
      const call = await flow.deps.live.getCall(snapshot.callId)
      if (!call || call.phase === 'ended') return
      const hasQueueEntry = call.phase === 'waiting' && Object.hasOwn(channels, call.callerChannelId) ? !!(await flow.deps.waiting.get(call.callId)) : true
      const r = await flow.drive(call, { type: 'restart', facts: { channels, pbxRestarted, hasQueueEntry } })
      if (r.tag === 'lost') lost += 1
      else if (r.tag === 'kept') kept += 1
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
    const stillThere = await flow.router.inCallLane(callId, async () => (await flow.deps.live.getCall(callId)) !== null)
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
