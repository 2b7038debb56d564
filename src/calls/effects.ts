/**
 * The edge of the call machine: carries out a step's effects in order through the ports (ARI,
 * the live record in Redis, the call log in PostgreSQL, the agents, the due timers, the
 * notifier). A few effects reply: a seat that could not be dialled, the recording that started,
 * a queue entry claimed; their reply is the next event of the same call, stepped at once, and
 * the effects the first step still had are dropped (the machine put nothing after them that
 * the reply does not redo).
 *
 * Asterisk behaviour this relies on:
 * - An originated channel enters Stasis (StasisStart with our appArgs) only once answered;
 *   before that the app still hears its ChannelDestroyed (with the Q.850 cause) because the
 *   originate named our app.
 * - A channel leaves a holding bridge when it is added to another bridge only if removed
 *   first, so the caller is removed from the hold bridge explicitly.
 * - Destroying a bridge ends its recording and finalises the file.
 */
import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import type { DueTimers } from '../domain/timers.ts'
import type { HotlineMetrics } from '../http/metrics.ts'
import { AriNotFound, ignoreGone } from '../pbx/ari/errors.ts'
import { bridgeIds, STASIS_ENTRY } from '../pbx/ari/ids.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { QueueWaitingStore } from '../queueing/store.ts'
import { channelsOf, dueTimes, liveView, type Call } from './call-state.ts'
import type { CallLogWriter } from './durable-log.ts'
import type { AriGone, CallEvent, CallFlowEvents, Effect, Step } from './machine-types.ts'
import { CHANNEL_VAR_CALL_ID, REJOIN_SIP_HEADER, type CallTimer } from './model.ts'
import type { LiveCallStore } from './store.ts'

export interface EffectPorts {
  rest: AriRest
  live: LiveCallStore
  records: CallLogWriter
  waiting: QueueWaitingStore
  agents: AgentService
  metrics: HotlineMetrics
  timers: DueTimers<CallTimer>
  /** This node's index of channels to calls (ahead of Redis for the router). */
  channels: Map<string, string>
  /** Holding bridges this process created or found (see joinHold). */
  holdBridges: Set<string>
  notifier: EventEmitter<CallFlowEvents>
  requestDispatch: () => void
  log: Logger
  settings: { app: string; seatTech: string; mohClass: string }
}

/** What a run of steps came to: the call as it is now, and whether it was refused or cut short. */
export interface RunResult { call: Call; refused?: string; stopped?: boolean; tag?: Step['tag'] }

/** Replies to effects are stepped with this (the edge supplies now and the policy). */
export type Reply = (call: Call, event: CallEvent) => Step | Promise<Step>

type Outcome = undefined | 'stop' | CallEvent

export class CallEffects {
  constructor(private readonly p: EffectPorts) {}

  async run(first: Step, reply: Reply): Promise<RunResult> {
    let result: RunResult = { call: first.call, refused: first.refused, tag: first.tag }
    const view = liveView(first.call)
    const log = this.p.log.child({ callId: view.callId, agentId: view.agentId ?? undefined, queueId: view.queueId ?? undefined })
    let effects = first.effects
    for (let i = 0; i < effects.length; i++) {
      const outcome = await this.exec(effects[i]!, result.call, log)
      if (outcome === undefined) continue
      if (outcome === 'stop') return { ...result, stopped: true }
      const next = await reply(result.call, outcome)
      result = { call: next.call, refused: next.refused ?? result.refused, tag: next.tag ?? result.tag }
      effects = next.effects
      i = -1
    }
    return result
  }

  private async exec(e: Effect, call: Call, log: Logger): Promise<Outcome> {
    const { rest } = this.p
    switch (e.type) {
      case 'persist':
        await this.p.live.save(e.call)
        this.p.timers.sync(e.call.callId, dueTimes(e.call))
        return
      case 'arm-timers':
        this.p.timers.sync(e.call.callId, dueTimes(e.call))
        return
      case 'remove':
        this.p.timers.clear(e.call.callId)
        await this.p.live.remove(e.call)
        for (const id of channelsOf(e.call)) this.p.channels.delete(id)
        return
      case 'forget-channel':
        this.p.channels.delete(e.channelId)
        await this.p.live.forgetChannel(e.channelId)
        return
      case 'track-channel':
        this.p.channels.set(e.channelId, call.callId)
        return
      case 'answer':
        return gone(() => rest.answer(e.channelId), e.ifGone)
      case 'tag-channel':
        return gone(() => rest.setVariable(e.channelId, CHANNEL_VAR_CALL_ID, call.callId), e.ifGone)
      case 'play':
        return gone(() => rest.play(e.channelId, e.media, e.playbackId), e.ifGone)
      case 'hangup':
        await ignoreGone(rest.hangup(e.channelId, e.reason))
        return
      case 'join-hold':
        return gone(() => this.joinHold(e.queueId, e.channelId), e.ifGone)
      case 'leave-hold':
        await ignoreGone(rest.removeFromBridge(bridgeIds.queueHold(e.queueId), [e.channelId]))
        return
      case 'create-bridge':
        return gone(() => rest.createBridge(e.bridgeId, 'mixing', e.bridgeId), e.ifGone)
      case 'add-to-bridge':
        return gone(() => rest.addToBridge(e.bridgeId, e.channelIds), e.ifGone)
      case 'destroy-bridge':
        await ignoreGone(rest.destroyBridge(e.bridgeId))
        return
      case 'moh': {
        const warn = (err: unknown) => log.warn({ err: (err as Error).message }, e.what)
        if (e.on) await rest.startBridgeMoh(e.bridgeId, this.p.settings.mohClass).catch(warn)
        else await ignoreGone(rest.stopBridgeMoh(e.bridgeId)).catch(warn)
        return
      }
      case 'originate-seat': {
        const rejoin = e.entry === 'agent-rejoin'
        try {
          await rest.originate({
            channelId: e.channelId, endpoint: `${this.p.settings.seatTech}/${e.seat}`, app: this.p.settings.app,
            appArgs: `${rejoin ? STASIS_ENTRY.agentRejoin : STASIS_ENTRY.agentLeg},${call.callId}`,
            callerId: `"${e.callerNumber}" <${e.callerNumber}>`, timeoutSeconds: e.timeoutSeconds, originator: e.originator,
            // The panel answers a rejoin by itself, seeing the header.
            variables: rejoin ? { [CHANNEL_VAR_CALL_ID]: call.callId, [`PJSIP_HEADER(add,${REJOIN_SIP_HEADER})`]: call.callId } : { [CHANNEL_VAR_CALL_ID]: call.callId }
          })
          return
        } catch (err) {
          return { ...e.failed, error: (err as Error).message } as CallEvent
        }
      }
      case 'start-recording':
        try {
          await rest.recordBridge(e.bridgeId, e.name, 'wav')
          return { type: 'recording', ok: true }
        } catch (err) {
          return { type: 'recording', ok: false, error: (err as Error).message }
        }
      case 'stop-recording':
        await ignoreGone(rest.stopRecording(e.name))
        return
      case 'queue-add':
        await this.p.waiting.add(e.entry)
        return
      case 'queue-remove': {
        const removed = await this.p.waiting.remove(e.queueId, e.callId)
        if (!e.claimed) return
        return removed ? e.claimed : 'stop'
      }
      case 'write-call':
        await this.p.records[e.what](e.call)
        return
      case 'queue-log':
        await this.p.records.log(e.call, e.event, e.at, e.detail, e.agentId === undefined ? e.call.agentId : e.agentId)
        return
      case 'write-ended':
        await this.p.records.ended(e.call, e.at, e.outcome, e.endedBy, e.logEvent)
        return
      case 'agent':
        if (e.force) {
          await this.p.agents.apply(e.agentId, e.event).catch((err) => { log.warn({ err: (err as Error).message }, e.warn) })
          return
        }
        {
          const r = await this.p.agents.tryApply(e.agentId, e.event, 'system')
          if (!r.ok && e.warn) log.warn({ rejection: r.rejection }, e.warn)
        }
        return
      case 'notify':
        (this.p.notifier.emit as (event: string, ...args: unknown[]) => boolean)(e.event, ...e.args)
        return
      case 'metric':
        if (e.name === 'answerDelay') this.p.metrics.answerDelay.observe({ queue: e.queueId }, e.seconds)
        else this.p.metrics[e.name].inc({ queue: e.queueId })
        return
      case 'log':
        log[e.level](e.fields ?? {}, e.msg)
        return
      case 'dispatch':
        this.p.requestDispatch()
        return
      default: {
        const exhaustive: never = e
        return exhaustive
      }
    }
  }

  /**
   * Puts a caller in the queue's holding bridge. The bridge (deterministic id, music on hold) is
   * created the first time only: creating it per caller cost three ARI round trips on the path
   * to the agent. A 404 means the bridge is gone (the PBX restarted): create it again.
   */
  private async joinHold(queueId: string, channelId: string): Promise<void> {
    const { rest, holdBridges } = this.p
    const holdId = bridgeIds.queueHold(queueId)
    if (holdBridges.has(holdId)) {
      try {
        await rest.addToBridge(holdId, [channelId], { role: 'participant' })
        return
      } catch (err) {
        if (!(err instanceof AriNotFound)) throw err
        holdBridges.delete(holdId)
      }
    }
    await rest.createBridge(holdId, 'holding', holdId)
    await rest.startBridgeMoh(holdId, this.p.settings.mohClass).catch((err) => {
      this.p.log.warn({ err: (err as Error).message, bridgeId: holdId }, 'music on hold did not start')
    })
    holdBridges.add(holdId)
    await rest.addToBridge(holdId, [channelId], { role: 'participant' })
  }
}

/** An ARI command whose channel (or bridge) may be gone: ignored, the step stopped, or an event for the machine. */
async function gone(command: () => Promise<unknown>, ifGone: AriGone | CallEvent): Promise<Outcome> {
  try {
    await command()
    return
  } catch (err) {
    if (!(err instanceof AriNotFound)) throw err
    if (ifGone === 'ignore') return
    return ifGone
  }
}
