/**
 * Agent rejoin (WebRTC seats): the agent's leg of a talking call ended without the agent
 * hanging up (a page reload, a network blip); the caller waits on music on the call's mixing
 * bridge (the recording carries on and shows the gap) while the panel dials back in, for the
 * grace time in the call's record (due.rejoinGrace). Desk phones hang up by BYE: not for them.
 */
import { ignoreGone, AriNotFound } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { channelIds } from '../pbx/ari/ids.ts'
import { CHANNEL_VAR_CALL_ID, REJOIN_SIP_HEADER, STASIS_ENTRY, type LiveCall } from './model.ts'
import type { CallFlow, RejoinResult } from './service.ts'
import { rejoinDecision, seatMayRejoin } from './rules.ts'
import { SYSTEM_REASONS } from '../agents/model.ts'
import { endConversation } from './teardown.ts'

/**
 * The agent's leg of a talking call ended. For a WebRTC seat that did not hang up through the
 * server (a page reload, a network blip) the caller stays: music on the call's mixing bridge
 * (the recording carries on and shows the gap), the agent stays talking, and a grace timer
 * ends the call if the panel does not rejoin. Desk phones hang up by BYE: not for them.
 */
export async function keepForRejoin(flow: CallFlow, call: LiveCall, cause: number | null, reason = 'leg-ended'): Promise<boolean> {
  const rejoin = flow.deps.settings.rejoin
  if (!rejoin || call.handedOffTo || call.agentHangingUp || !seatMayRejoin(call, rejoin)) return false
  const log = flow.logFor(call)
  const now = flow.deps.clock.now()
  const decision = rejoinDecision(call, rejoin)
  if (decision.action === 'limit') {
    await flow.deps.records.log(call, 'rejoin-limit', now, { seat: call.seat, cause, reason, rejoins: decision.rejoinCount })
    log.warn({ seat: call.seat, agentId: call.agentId, cause, reason, rejoins: decision.rejoinCount }, 'the seat lost its leg again after the rejoin limit (no audio?); ending the call, the agent goes not ready')
    if (call.agentId) {
      await flow.deps.agents.apply(call.agentId, { type: 'force-not-ready', reason: SYSTEM_REASONS.noAudio }).catch((err) => {
        log.warn({ err: (err as Error).message }, 'could not put the agent in not ready after the rejoin limit')
      })
    }
    flow.emit('rejoin-limit', { ...call }, decision.rejoinCount)
    return false
  }
  call.rejoinCount = decision.rejoinCount
  const lostChannel = call.agentChannelId
  if (lostChannel) { flow.channelToCall.delete(lostChannel); await flow.deps.live.forgetChannel(lostChannel) }
  call.agentChannelId = null
  call.agentLegLostAt = now
  // The panel has the grace time to dial back in; then the call ends by the agent side.
  flow.setDue(call, { rejoinGrace: now + rejoin.graceMs })
  await flow.save(call)
  if (call.bridgeId) {
    await flow.deps.rest.startBridgeMoh(call.bridgeId, flow.deps.settings.mohClass).catch((err) => {
      log.warn({ err: (err as Error).message }, 'music on hold for the rejoin wait did not start')
    })
  }
  await flow.deps.records.log(call, 'agent-leg-lost', now, { seat: call.seat, cause, reason, graceS: rejoin.graceMs / 1000 })
  log.info({ seat: call.seat, cause, reason, graceMs: rejoin.graceMs }, 'agent leg dropped mid-call; caller on music while the seat may rejoin')
  flow.emit('agent-leg-lost', { ...call }, now + rejoin.graceMs)
  return true
}

/** When a call waiting for its seat to rejoin ends (ms epoch); null when the seat is in the call. */
export function rejoinBy(flow: CallFlow, call: LiveCall): number | null {
  return call.agentLegLostAt && flow.deps.settings.rejoin ? call.agentLegLostAt + flow.deps.settings.rejoin.graceMs : null
}

export async function onRejoinExpired(flow: CallFlow, callId: string): Promise<void> {
  const call = await flow.deps.live.get(callId)
  if (!call || call.phase !== 'talking' || !call.agentLegLostAt) return
  const awayMs = flow.deps.clock.now() - call.agentLegLostAt
  await flow.deps.records.log(call, 'rejoin-expired', flow.deps.clock.now(), { seat: call.seat, awayMs })
  flow.logFor(call).info({ awayMs }, 'the seat did not rejoin in time; ending the call')
  return endConversation(flow, call, 'agent')
}

/**
 * The agent's (reloaded) panel asks to be put back in its talking call: the seat is dialled
 * again (the panel answers by itself, seeing REJOIN_SIP_HEADER) and joins the mixing bridge on
 * answer. A leg the server still thinks is up (the browser went away without a BYE) is
 * replaced: the panel asks only when it has no media of its own.
 */
export function rejoin(flow: CallFlow, agentId: string, callId: string): Promise<RejoinResult> {
  return flow.router.inCallLane(callId, async (): Promise<RejoinResult> => {
    const call = await flow.deps.live.get(callId)
    if (!call || call.phase !== 'talking' || call.agentId !== agentId || call.handedOffTo) return { ok: false, reason: 'no-call' }
    const rejoin = flow.deps.settings.rejoin
    if (!rejoin || !seatMayRejoin(call, rejoin)) return { ok: false, reason: 'not-rejoinable' }
    if (!call.agentLegLostAt) {
      const stale = call.agentChannelId
      if (!(await keepForRejoin(flow, call, null, 'replaced-by-rejoin'))) return { ok: false, reason: 'not-rejoinable' }
      if (stale) await ignoreGone(flow.deps.rest.hangup(stale))
    }
    const rejoinBy = call.agentLegLostAt! + rejoin.graceMs
    if (call.rejoinChannelId) return { ok: true, callId, channelId: call.rejoinChannelId, rejoinBy }
    const channelId = channelIds.rejoin(callId, flow.deps.clock.now())
    call.rejoinChannelId = channelId
    await flow.save(call)
    const ringS = Math.max(5, Math.ceil((rejoinBy - flow.deps.clock.now()) / 1000))
    try {
      await flow.deps.rest.originate({
        channelId, endpoint: `${flow.deps.settings.seatTech}/${call.seat}`, app: flow.deps.settings.app,
        appArgs: `${STASIS_ENTRY.agentRejoin},${callId}`, callerId: `"${call.callerNumber}" <${call.callerNumber}>`, timeoutSeconds: ringS,
        originator: call.callerChannelId,
        variables: { [CHANNEL_VAR_CALL_ID]: callId, [`PJSIP_HEADER(add,${REJOIN_SIP_HEADER})`]: callId }
      })
    } catch (err) {
      flow.logFor(call).warn({ err: (err as Error).message }, 'could not dial the seat to rejoin')
      call.rejoinChannelId = null
      await flow.save(call)
      return { ok: false, reason: 'not-rejoinable' }
    }
    flow.logFor(call).info({ channelId, seat: call.seat }, 'dialling the seat to rejoin the call')
    return { ok: true, callId, channelId, rejoinBy }
  })
}

export async function onRejoinAnswered(flow: CallFlow, callId: string, channel: AriChannel): Promise<void> {
  const call = await flow.deps.live.get(callId)
  if (!call || call.phase !== 'talking' || call.rejoinChannelId !== channel.id || !call.bridgeId) {
    flow.deps.log.info({ callId, channelId: channel.id }, 'a rejoin leg answered for a call that no longer waits for it; hanging up the seat')
    await ignoreGone(flow.deps.rest.hangup(channel.id))
    return
  }
  const log = flow.logFor(call)
  try {
    await flow.deps.rest.addToBridge(call.bridgeId, [channel.id])
  } catch (err) {
    if (!(err instanceof AriNotFound)) throw err
    log.info('the rejoin leg or the bridge vanished while joining')
    return
  }
  await ignoreGone(flow.deps.rest.stopBridgeMoh(call.bridgeId)).catch((err) => log.warn({ err: (err as Error).message }, 'music did not stop'))
  flow.setDue(call, { rejoinGrace: null })
  const awayMs = flow.deps.clock.now() - (call.agentLegLostAt ?? flow.deps.clock.now())
  call.agentChannelId = channel.id
  call.rejoinChannelId = null
  call.agentLegLostAt = null
  await flow.save(call)
  await flow.deps.records.log(call, 'agent-rejoined', flow.deps.clock.now(), { seat: call.seat, awayMs })
  log.info({ awayMs, channelId: channel.id }, 'agent rejoined the call')
  flow.emit('rejoined', { ...call })
}

/** The rejoin leg ended before joining (not answered, refused): the grace timer still runs. */
export async function onRejoinLegGone(flow: CallFlow, call: LiveCall, cause: number | null): Promise<void> {
  if (call.rejoinChannelId) { flow.channelToCall.delete(call.rejoinChannelId); await flow.deps.live.forgetChannel(call.rejoinChannelId) }
  call.rejoinChannelId = null
  await flow.save(call)
  flow.logFor(call).info({ cause }, 'the rejoin leg ended before joining; waiting for another try or the grace time')
}
