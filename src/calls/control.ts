/**
 * Call control from the agent's panel (hold, mute, DTMF, hang up, blind and consult transfer).
 * Every command goes through the server, so the server's view and Asterisk's never diverge:
 * the panel's softphone only carries the media.
 *
 * How it is done with ARI:
 * - Hold: the caller moves from the call's mixing bridge to a holding bridge of the call's own
 *   (`call-<id>-hold`) with music; unhold moves them back. The mixing bridge (and its
 *   recording) stays, so the conversation and the recording carry on after the hold.
 * - Mute: the agent's channel is muted inbound (what the agent says no longer reaches the bridge).
 * - Transfer targets (110/119/120/122 and unit numbers, from configuration) are dialled as
 *   `PJSIP/<number>@<trunk>` into our Stasis app with the entry `consult`; CallFlow leaves those
 *   legs to this module. When a transfer completes, CallFlow.handOff puts the target in the
 *   agent's place, so CallFlow's teardown (either side hangs up) keeps working unchanged.
 * State (held, muted, consultation) is kept in Redis per call, so a reloaded panel or another
 * server node sees it.
 */
import createError from '@fastify/error'
import { EventEmitter } from 'node:events'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import { AriNotFound, ignoreGone } from '../pbx/ari/errors.ts'
import { bridgeIds, channelIds, STASIS_ENTRY } from '../pbx/ari/ids.ts'
import type { AriRouter, ChannelEvent } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { CallAction, CallControlView } from '../realtime/contract.ts'
import { controlCommand, controlView as view, EMPTY_CONTROL as EMPTY, targetAnswered, targetGone, type ControlEffect, type ControlState, type TransferTarget } from './control-machine.ts'
import { keys } from '../redis/keys.ts'
import type { LiveCall } from './model.ts'
import type { CallFlow } from './service.ts'
import type { LiveCallStore } from './store.ts'

export const CallControlErrors = {
  noCall: createError<[string]>('HOTLINE_CALLS_NO_CURRENT_CALL', 'agent %s has no call to control', 409),
  notNow: createError<[string]>('HOTLINE_CALLS_NOT_NOW', '%s', 409),
  invalid: createError<[string]>('HOTLINE_BAD_REQUEST', '%s', 400)
}

const holdBridgeId = bridgeIds.callHold

/** Parses HOTLINE_TRANSFER_TARGETS; throws naming the variable so the server refuses to start. */
export function parseTransferTargets(json: string): TransferTarget[] {
  let raw: unknown
  try { raw = JSON.parse(json) } catch { throw new Error('HOTLINE_TRANSFER_TARGETS is not valid JSON') }
  if (!Array.isArray(raw)) throw new Error('HOTLINE_TRANSFER_TARGETS must be a JSON array')
  return raw.map((t: { number?: unknown; name?: unknown; kind?: unknown }, i) => {
    if (typeof t?.number !== 'string' || !/^[0-9+*#]{2,32}$/.test(t.number)) throw new Error(`HOTLINE_TRANSFER_TARGETS[${i}].number must be a phone number`)
    if (typeof t.name !== 'string' || t.name.length === 0) throw new Error(`HOTLINE_TRANSFER_TARGETS[${i}].name is required`)
    if (t.kind !== 'emergency' && t.kind !== 'unit') throw new Error(`HOTLINE_TRANSFER_TARGETS[${i}].kind must be emergency or unit`)
    return { number: t.number, name: t.name, kind: t.kind }
  })
}

export type { TransferTarget } from './control-machine.ts'

export interface CallControlDeps {
  rest: AriRest
  redis: Redis
  live: LiveCallStore
  calls: CallFlow
  /** Shared with the call flow: control commands and the targets' events run in the call's lane. */
  router: AriRouter
  agents: AgentService
  log: Logger
  settings: { app: string; mohClass: string; trunk: string; targets: TransferTarget[]; ringTimeoutSeconds: number }
}

export interface CallControlEvents {
  /** Hold, mute or consultation of an agent's call changed. */
  changed: [agentId: string, callId: string, view: CallControlView]
  /** The agent handed the call to a transfer target and is out of it. */
  transferred: [agentId: string, callId: string, target: string]
}

export class CallControl extends EventEmitter<CallControlEvents> {
  private readonly lanes: { run<T>(callId: string, work: () => Promise<T>): Promise<T> }

  constructor(private readonly deps: CallControlDeps) {
    super()
    const router = deps.router
    this.lanes = { run: (callId, work) => router.inCallLane(callId, work) }
    // The consulted channel's id carries the call id (ids.ts), so its events reach the call's lane.
    router.onEntry(STASIS_ENTRY.consult, (channel, [callId]) => callId
      ? router.inCallLane(callId, () => this.onTargetAnswered(callId, channel.id))
      : ignoreGone(deps.rest.hangup(channel.id)))
    router.onCallChannel((event, callId, ref) => this.onCallChannelEvent(event, callId, ref?.kind === 'consult'))
  }

  /**
   * The agent's panel (reloaded, or back from a blip) asks to be put back in its talking call:
   * CallFlow dials the seat again. Only WebRTC seats rejoin (HOTLINE_WEB_SEATS).
   */
  async rejoin(agentId: string): Promise<{ callId: string; rejoinBy: string }> {
    const agent = await this.deps.agents.get(agentId)
    if (!agent.callId) throw new CallControlErrors.noCall(agentId)
    const r = await this.deps.calls.rejoin(agentId, agent.callId)
    if (!r.ok && r.reason === 'no-call') throw new CallControlErrors.noCall(agentId)
    if (!r.ok) throw new CallControlErrors.notNow(`seat ${agent.seat ?? '?'} cannot rejoin the call (not a WebRTC seat, rejoin turned off, or the seat could not be dialled)`)
    this.deps.log.info({ agentId, callId: r.callId, channelId: r.channelId }, 'agent asked to rejoin the call')
    return { callId: r.callId, rejoinBy: new Date(r.rejoinBy).toISOString() }
  }

  /** A rejoined leg is a new channel: the agent's mute carries over to it. */
  onRejoined(call: LiveCall): Promise<void> {
    return this.lanes.run(call.callId, async () => {
      const st = await this.state(call.callId)
      if (st.muted && call.agentChannelId) await ignoreGone(this.deps.rest.mute(call.agentChannelId, 'in'))
      if (call.agentId) this.emit('changed', call.agentId, call.callId, view(st))
    })
  }

  targets(): TransferTarget[] {
    return this.deps.settings.targets
  }

  /** The agent's call (offered or talking, not yet handed off), with its control state. */
  async current(agentId: string): Promise<{ call: LiveCall; control: CallControlView; rejoinBy: number | null } | null> {
    const agent = await this.deps.agents.get(agentId)
    if (!agent.callId) return null
    const call = await this.deps.live.get(agent.callId)
    if (!call || call.agentId !== agentId || call.handedOffTo || (call.phase !== 'offered' && call.phase !== 'talking')) return null
    return { call, control: view(await this.state(call.callId)), rejoinBy: this.deps.calls.rejoinBy(call) }
  }

  command(agentId: string, action: CallAction, args: { digits?: string; number?: string } = {}): Promise<CallControlView> {
    return this.deps.agents.get(agentId).then((agent) => {
      if (!agent.callId) throw new CallControlErrors.noCall(agentId)
      return this.lanes.run(agent.callId, () => this.run(agentId, agent.callId!, action, args))
    })
  }

  private async run(agentId: string, callId: string, action: CallAction, args: { digits?: string; number?: string }): Promise<CallControlView> {
    const call = await this.deps.live.get(callId)
    if (!call || call.agentId !== agentId || call.handedOffTo || (call.phase !== 'offered' && call.phase !== 'talking')) throw new CallControlErrors.noCall(agentId)
    const st = await this.state(callId)
    const decision = controlCommand(st, { phase: call.phase, callerChannelId: call.callerChannelId, agentChannelId: call.agentChannelId }, action, args, this.deps.settings.targets, channelIds.consult(callId, Date.now()))
    if (!decision.ok) throw decision.error === 'invalid' ? new CallControlErrors.invalid(decision.message) : new CallControlErrors.notNow(decision.message)
    const log = this.deps.log.child({ callId, agentId, action })
    for (const effect of decision.effects) await this.exec(effect, call, agentId, log)
    return view(decision.state)
  }

  /** One effect of a control decision (control-machine.ts), through ARI and the call flow. */
  private async exec(e: ControlEffect, call: LiveCall, agentId: string, log: Logger): Promise<void> {
    const { rest } = this.deps
    switch (e.type) {
      case 'hold-caller': return this.holdCaller(call)
      case 'connect-caller': return this.connectCallerTo(call)
      case 'agent': return this.agentEvent(agentId, e.event, call.callId)
      case 'mute': await (e.on ? rest.mute(e.channelId, 'in') : rest.unmute(e.channelId, 'in')); return
      case 'dtmf': await rest.sendDtmf(e.channelId, e.digits); return
      case 'hangup': return ignoreGone(rest.hangup(e.channelId, e.reason))
      case 'agent-hangup': await this.deps.calls.inLane.agentHangup(agentId, call.callId); return
      case 'dial-target':
        try {
          await rest.originate({
            channelId: e.channelId, endpoint: `PJSIP/${e.number}@${this.deps.settings.trunk}`, app: this.deps.settings.app,
            appArgs: `${STASIS_ENTRY.consult},${call.callId}`,
            // The emergency line sees the citizen's number, not the center's.
            callerId: `"${call.callerNumber}" <${call.callerNumber}>`, timeoutSeconds: this.deps.settings.ringTimeoutSeconds * 2,
            originator: call.callerChannelId
          })
        } catch (err) {
          log.warn({ err: (err as Error).message, number: e.number }, 'could not dial the transfer target')
          throw new CallControlErrors.notNow(`could not dial ${e.number}`)
        }
        return
      case 'hand-off': {
        const handed = await this.deps.calls.inLane.handOff(call.callId, agentId, e.targetChannelId)
        if (!handed) { await ignoreGone(rest.hangup(e.targetChannelId)); throw new CallControlErrors.noCall(agentId) }
        if (handed.agentChannelId) await ignoreGone(rest.hangup(handed.agentChannelId))
        return
      }
      case 'save': return this.save(call.callId, e.state)
      case 'changed': this.emit('changed', agentId, call.callId, e.view); return
      case 'transferred': this.emit('transferred', agentId, call.callId, e.number); return
      case 'log': log.info(e.fields ?? {}, e.msg); return
      default: {
        const exhaustive: never = e
        return exhaustive
      }
    }
  }

  /** The end of a transfer target's channel, in the call's lane. */
  private onCallChannelEvent(event: ChannelEvent, callId: string, isConsult: boolean): Promise<void> {
    if (!isConsult || event.type === 'ChannelDtmfReceived') return Promise.resolve()
    return this.onTargetGone(callId, event.channel.id)
  }

  private async onTargetAnswered(callId: string, channelId: string): Promise<void> {
    const call = await this.deps.live.get(callId)
    const st = await this.state(callId)
    const next = call?.phase === 'talking' ? targetAnswered(st, channelId, call.handedOffTo ?? null) : null
    if (!call || !next) {
      await ignoreGone(this.deps.rest.hangup(channelId))
      return
    }
    let saved: ControlState = { ...next.state, held: st.held }
    try {
      await this.deps.rest.addToBridge(call.bridgeId ?? bridgeIds.call(callId), [channelId])
      if (next.connectCaller) { await this.connectCallerTo(call); saved = next.state }
    } catch (err) {
      if (!(err instanceof AriNotFound)) throw err
    }
    await this.save(callId, saved)
    if (!call.handedOffTo && call.agentId) this.emit('changed', call.agentId, callId, view(saved))
  }

  private async onTargetGone(callId: string, channelId: string): Promise<void> {
    const st = await this.state(callId)
    if (st.consult?.channelId !== channelId) return
    const call = await this.deps.live.get(callId)
    const next = targetGone(st, channelId, call?.handedOffTo ?? null)
    if (!next) return // CallFlow ends the transferred call
    await this.save(callId, next)
    // The caller stays on hold: the agent takes them back (unhold) or tries another number.
    if (call?.agentId && !call.handedOffTo) this.emit('changed', call.agentId, callId, view(next))
  }

  /** After CallFlow ended the call: the call's holding bridge and any unanswered target go too. */
  async onCallEnded(call: LiveCall): Promise<void> {
    const st = await this.state(call.callId)
    if (st.consult && st.consult.channelId !== call.agentChannelId) await ignoreGone(this.deps.rest.hangup(st.consult.channelId)).catch(() => {})
    await ignoreGone(this.deps.rest.destroyBridge(holdBridgeId(call.callId))).catch(() => {})
    await this.deps.redis.del(keys.callControl(call.callId))
  }

  private async holdCaller(call: LiveCall): Promise<void> {
    const hold = holdBridgeId(call.callId)
    await this.deps.rest.createBridge(hold, 'holding', hold)
    await ignoreGone(this.deps.rest.removeFromBridge(call.bridgeId ?? bridgeIds.call(call.callId), [call.callerChannelId]))
    await this.deps.rest.addToBridge(hold, [call.callerChannelId], { role: 'participant' })
    await this.deps.rest.startBridgeMoh(hold, this.deps.settings.mohClass).catch((err) => {
      this.deps.log.warn({ callId: call.callId, err: (err as Error).message }, 'music on hold did not start')
    })
  }

  private async connectCallerTo(call: LiveCall): Promise<void> {
    await ignoreGone(this.deps.rest.removeFromBridge(holdBridgeId(call.callId), [call.callerChannelId]))
    await this.deps.rest.addToBridge(call.bridgeId ?? bridgeIds.call(call.callId), [call.callerChannelId])
  }

  private async agentEvent(agentId: string, type: 'hold' | 'unhold', callId: string): Promise<void> {
    const r = await this.deps.agents.tryApply(agentId, { type, callId }, agentId)
    if (!r.ok) this.deps.log.warn({ agentId, callId, rejection: r.rejection }, `agent state did not follow ${type}`)
  }

  private async state(callId: string): Promise<ControlState> {
    const raw = await this.deps.redis.get(keys.callControl(callId))
    return raw ? (JSON.parse(raw) as ControlState) : { ...EMPTY }
  }

  private async save(callId: string, st: ControlState): Promise<void> {
    // Bounded: a call's control state must not outlive a lost 'ended'.
    await this.deps.redis.set(keys.callControl(callId), JSON.stringify(st), 'EX', 12 * 3600)
  }
}
