/**
 * A caller waiting in a queue: the queue's holding bridge (music on hold), the waiting timers
 * (overflow, position announcement, callback offer) as due times in the call's record, the
 * overflow itself and the announcement. In the call's lane, called by CallFlow (service.ts).
 */
import { ignoreGone, AriNotFound } from '../pbx/ari/errors.ts'
import { bridgeIds, playbackIds } from '../pbx/ari/ids.ts'
import { expectedWaitSeconds, overflowPlan } from '../lines/rules.ts'
import { positionInQueue } from '../queueing/rules.ts'
import type { LiveCall } from './model.ts'
import { positionAnnouncement, waitingTimers } from './rules.ts'
import type { CallFlow } from './service.ts'

/**
 * Puts a caller in the queue's holding bridge. The bridge (deterministic id, music on hold) is
 * created the first time only: creating it per caller cost three ARI round trips on the path
 * to the agent. A 404 means the bridge is gone (the PBX restarted): create it again.
 */
export async function joinHoldBridge(flow: CallFlow, queueId: string, channelId: string): Promise<void> {
  const holdId = bridgeIds.queueHold(queueId)
  if (flow.holdBridges.has(holdId)) {
    try {
      await flow.deps.rest.addToBridge(holdId, [channelId], { role: 'participant' })
      return
    } catch (err) {
      if (!(err instanceof AriNotFound)) throw err
      flow.holdBridges.delete(holdId)
    }
  }
  await flow.deps.rest.createBridge(holdId, 'holding', holdId)
  await flow.deps.rest.startBridgeMoh(holdId, flow.deps.settings.mohClass).catch((err) => {
    flow.deps.log.warn({ err: (err as Error).message, bridgeId: holdId }, 'music on hold did not start')
  })
  flow.holdBridges.add(holdId)
  await flow.deps.rest.addToBridge(holdId, [channelId], { role: 'participant' })
}

/** Overflow and position announcements for a waiting caller, re-armed whenever they (re)join a queue. */
export async function armWaitingTimers(flow: CallFlow, call: LiveCall): Promise<void> {
  const queue = call.queueId ? await flow.deps.directory.queue(call.queueId) : undefined
  if (!queue) return
  const line = call.lineNumber ? (await flow.deps.directory.line(call.lineNumber)) ?? null : null
  const waited = flow.deps.clock.now() - (call.queuedAt ?? call.arrivedAt)
  const timers = waitingTimers(call, flow.deps.clock.now(), {
    overflow: overflowPlan(line, queue, waited), announceEverySeconds: queue.announceEverySeconds, callbackOfferAfterMs: flow.deps.settings.callbackOfferAfterMs ?? 0
  })
  call.overflowTo = timers.overflowTo
  flow.setDue(call, timers.due)
  await flow.save(call)
  flow.emit('waiting-timers', { ...call })
}

/** The caller waited too long for this queue: move them, keeping their place in time. */
export async function onOverflowDue(flow: CallFlow, callId: string, fromQueueId: string, toQueueId: string, reason = 'max-wait'): Promise<boolean> {
  const call = await flow.deps.live.get(callId)
  if (!call || call.phase !== 'queued' || call.queueId !== fromQueueId) return false
  if (!(await flow.deps.waiting.remove(fromQueueId, callId))) return false // being offered right now
  const now = flow.deps.clock.now()
  await flow.deps.records.log(call, 'overflowed', now, { from: fromQueueId, to: toQueueId, reason })
  try {
    await ignoreGone(flow.deps.rest.removeFromBridge(bridgeIds.queueHold(fromQueueId), [call.callerChannelId]))
    await joinHoldBridge(flow, toQueueId, call.callerChannelId)
  } catch (err) {
    if (!(err instanceof AriNotFound)) throw err
  }
  call.queueId = toQueueId
  await flow.save(call)
  await flow.deps.waiting.add({ callId, queueId: toQueueId, priority: call.priority, enteredAt: call.queuedAt ?? call.arrivedAt, skills: [] })
  flow.logFor(call).info({ from: fromQueueId, to: toQueueId }, 'caller overflowed to another queue')
  flow.emit('queue-changed', fromQueueId)
  flow.emit('queue-changed', toQueueId)
  await armWaitingTimers(flow, call)
  flow.deps.requestDispatch()
  return true
}

/** "您前面还有 N 位来电在等待，预计等待时间约 M 分钟", then back to the music. */
export async function announcePosition(flow: CallFlow, callId: string): Promise<void> {
  const call = await flow.deps.live.get(callId)
  if (!call || call.phase !== 'queued' || !call.queueId) return
  const waiting = await flow.deps.waiting.waiting([call.queueId])
  const position = positionInQueue(waiting, callId)
  if (position !== null) {
    const serving = await flow.deps.staffing.signedInServing(call.queueId)
    const media = positionAnnouncement(position, expectedWaitSeconds(position, serving, await flow.deps.staffing.averageHandleSeconds(call.queueId))).join(',')
    await ignoreGone(flow.deps.rest.play(call.callerChannelId, media, playbackIds.announcement(callId, flow.deps.clock.now())))
  }
  await armWaitingTimers(flow, call)
}
