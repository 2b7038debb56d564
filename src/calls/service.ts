/**
 * The life of an inbound call, driven by ARI events: answer, greet, queue in the queue's
 * holding bridge with music, offer to the agent the ACD picked, bridge and record on answer,
 * tear down when either side hangs up. Every event for one call runs in that call's lane.
 *
 * Asterisk behaviour this relies on:
 * - An originated channel enters Stasis (StasisStart with our appArgs) only once answered;
 *   before that the app still hears its ChannelDestroyed (with the Q.850 cause) because the
 *   originate named our app.
 * - A channel leaves a holding bridge when it is added to another bridge only if removed
 *   first, so the caller is removed from the hold bridge explicitly.
 * - Destroying a bridge ends its recording and finalises the file.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { AgentLive } from '../agents/model.ts'
import type { AgentService } from '../agents/service.ts'
import type { Clock } from '../domain/clock.ts'
import { clockTimers, DueTimers, type TimerPort } from '../domain/timers.ts'
import { AriNotFound, ignoreGone } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { playbackIds } from '../pbx/ari/ids.ts'
import type { AriRouter, ChannelEvent } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import { routeArrival } from '../lines/rules.ts'
import type { QueueEntry } from '../queueing/model.ts'
import type { QueueDirectory, QueueWaitingStore } from '../queueing/store.ts'
import type { HotlineMetrics } from '../http/metrics.ts'
import { CHANNEL_VAR_CALL_ID, STASIS_ENTRY, type CallOutcome, type CallTimer, type EndedBy, type LiveCall } from './model.ts'
import type { CallLogWriter } from './durable-log.ts'
import { adoptCallback, adoptFollowUp } from './adoption.ts'
import { offerFailed, onAgentAnswered, ringSeat } from './offer.ts'
import { agentHangupInLane, finish, handOffInLane, onAgentLegGone, onCallerGone, releaseForCallbackInLane } from './teardown.ts'
import { pbxArrival, type PbxArrival } from './node-gaps.ts'
import { reconcile, releaseStrandedAgents } from './reconcile.ts'
import { onRejoinAnswered, onRejoinExpired, onRejoinLegGone, rejoin, rejoinBy } from './rejoin.ts'
import { armWaitingTimers, announcePosition, joinHoldBridge, onOverflowDue } from './waiting.ts'
import type { LiveCallStore } from './store.ts'

export interface CallFlowSettings {
  app: string
  greeting: string
  mohClass: string
  seatTech: string
  /** Longest a greeting may hold a caller before queueing anyway, ms. */
  greetingLimitMs: number
  timeZone: string
  /**
   * Agent rejoin: a seat this matches (the WebRTC seats) whose leg drops mid-call without the
   * agent hanging up leaves the caller on music for graceMs while the panel dials back in.
   * Absent or graceMs 0: the leg's end ends the call, as for desk phones.
   */
  rejoin?: { graceMs: number; seatRejoins: (seat: string) => boolean; maxRejoins?: number }
  /** A waiting caller hears the callback offer this long after entering the queue (src/callbacks/); 0: never. */
  callbackOfferAfterMs?: number
}

/** What routing needs to know about agents, without depending on the agents capability. */
export interface StaffingView {
  /** Signed-in agents (any state) who serve the queue. */
  signedInServing(queueId: string): Promise<number>
  /** Recent average talk time in the queue, seconds (for expected-wait announcements). */
  averageHandleSeconds(queueId: string): Promise<number>
}

export interface CallFlowDeps {
  rest: AriRest
  live: LiveCallStore
  /** The calls row and queue log (DurableCallLog: a failed write never stops the call). */
  records: CallLogWriter
  waiting: QueueWaitingStore
  directory: QueueDirectory
  agents: AgentService
  clock: Clock
  /** Where the call's due times are armed; the clock's real-time timers by default. */
  timers?: TimerPort
  router: AriRouter
  log: Logger
  metrics: HotlineMetrics
  staffing: StaffingView
  settings: CallFlowSettings
  /** Asks the ACD to look for offers (coalesced; never blocks the caller's lane). */
  requestDispatch: () => void
}

/** What the call flow tells the rest of the system (realtime panels, wallboard). */
export interface CallFlowEvents {
  offered: [LiveCall]
  answered: [LiveCall]
  ended: [LiveCall, CallOutcome, EndedBy]
  /** The waiting list of a queue changed (caller joined, left, was offered or came back). */
  'queue-changed': [string]
  /** A caller entered a queue's holding bridge (callbacks time their offer from here). */
  queued: [LiveCall]
  /** A WebRTC seat's leg dropped mid-call; the caller waits on music until `rejoinBy` (ms epoch). */
  'agent-leg-lost': [LiveCall, number]
  /** A call's seat lost its leg once more after HOTLINE_SEAT_REJOIN_MAX rejoins: the call ends (rejoins so far). */
  'rejoin-limit': [LiveCall, number]
  /** The seat is back in the call after a drop. */
  rejoined: [LiveCall]
  /**
   * A waiting caller's timers were (re)armed: on entering a queue, back from a failed offer,
   * after an overflow, and after a restart (reconcile). Timers that live outside the call flow
   * (the callback offer) hang on this so a restarted server arms them too.
   */
  'waiting-timers': [LiveCall]
  /** The callback offer is due for a waiting caller (src/callbacks/ plays it); in the call's lane. */
  'callback-offer-due': [LiveCall]
}

/** What CallFlow.rejoin did; call control turns the refusals into API errors. */
export type RejoinResult =
  | { ok: true; callId: string; channelId: string; rejoinBy: number }
  | { ok: false; reason: 'no-call' | 'not-rejoinable' }

export class CallFlow extends EventEmitter<CallFlowEvents> {
  readonly timers: DueTimers<CallTimer>
  readonly channelToCall = new Map<string, string>()
  /** Holding bridges this process created or found (see joinHoldBridge). */
  readonly holdBridges = new Set<string>()
  readonly router: AriRouter

  constructor(readonly deps: CallFlowDeps) {
    super()
    this.router = deps.router
    this.timers = new DueTimers<CallTimer>(deps.timers ?? clockTimers(deps.clock), (callId, kind, at) => {
      void this.router.inCallLane(callId, () => this.onTimer(callId, kind, at))
        .catch((err) => this.deps.log.error({ err, callId, timer: kind }, 'call timer failed'))
    })
    const r = this.router
    r.resolveCallsWith((channelId) => this.callIdOf(channelId))
    r.onEntry(STASIS_ENTRY.agentLeg, (channel, [callId]) => callId ? r.inCallLane(callId, () => onAgentAnswered(this, callId, channel)) : this.hangupStray(channel.id))
    r.onEntry(STASIS_ENTRY.agentRejoin, (channel, [callId]) => callId ? r.inCallLane(callId, () => onRejoinAnswered(this, callId, channel)) : this.hangupStray(channel.id))
    r.onEntry(STASIS_ENTRY.inbound, (channel, [dialled, arrivedMs]) => this.arrive(channel, dialled, arrivedMs))
    r.onUnknownEntry((channel, args, event) => {
      if (event.args.length === 0) return this.arrive(channel, undefined)
      this.deps.log.warn({ args: event.args, channel: channel.name }, 'unknown Stasis entry; hanging up')
      return this.hangupStray(channel.id)
    })
    r.onCallChannel((event, callId) => this.onCallChannelEvent(event, callId))
    r.onPlayback('greeting', (ref) => ref.kind === 'greeting' ? r.inCallLane(ref.callId, () => this.onGreetingDone(ref.callId)) : Promise.resolve())
  }

  private hangupStray(channelId: string): Promise<void> {
    return ignoreGone(this.deps.rest.hangup(channelId))
  }

  private arrive(channel: AriChannel, dialled: string | undefined, arrivedMs?: string): Promise<void> {
    const callId = randomUUID()
    this.channelToCall.set(channel.id, callId)
    const arrival = pbxArrival(arrivedMs, this.deps.clock.now())
    return this.router.inCallLane(callId, () => this.onInbound(callId, channel, dialled ?? channel.dialplan?.exten ?? '', arrival))
  }

  logFor(call: Pick<LiveCall, 'callId'> & Partial<LiveCall>): Logger {
    return this.deps.log.child({ callId: call.callId, agentId: call.agentId ?? undefined, queueId: call.queueId ?? undefined })
  }

  /** Saves the live call and arms exactly its due times (the record is the truth for timers). */
  async save(call: LiveCall): Promise<void> {
    await this.deps.live.save(call)
    this.timers.sync(call.callId, call.due)
  }

  setDue(call: LiveCall, due: Partial<Record<CallTimer, number | null>>): void {
    const next = { ...(call.due ?? {}), ...due }
    for (const k of Object.keys(next) as CallTimer[]) if (next[k] === null || next[k] === undefined) delete next[k]
    call.due = next as LiveCall['due']
  }

  /** Work on a call that must not interleave with its ARI events (e.g. re-ordering its queue entry). */
  runInCallLane<T>(callId: string, work: () => Promise<T>): Promise<T> {
    return this.router.inCallLane(callId, work)
  }

  /** A supervisor moves a waiting caller to another queue: the overflow path, logged as an overflow with the reason. */
  moveQueued(callId: string, fromQueueId: string, toQueueId: string, reason: string): Promise<'moved' | 'not-waiting'> {
    return this.router.inCallLane(callId, async () => ((await onOverflowDue(this, callId, fromQueueId, toQueueId, reason)) ? 'moved' : 'not-waiting'))
  }

  /** Stasis end and destruction of a call's channels, in the call's lane. */
  private async onCallChannelEvent(event: ChannelEvent, callId: string): Promise<void> {
    if (event.type === 'ChannelDtmfReceived') return
    await this.onChannelGone(callId, event.channel.id, event.type === 'ChannelDestroyed' ? event.cause : null)
  }

  /** A due time of the call's record came. Stale timers (the phase moved on) do nothing. */
  private async onTimer(callId: string, kind: CallTimer, at: number): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase === 'ended' || call.due?.[kind] !== at) return
    this.setDue(call, { [kind]: null })
    switch (kind) {
      case 'greeting':
        await this.save(call)
        return this.onGreetingDone(callId)
      case 'overflow':
        await this.save(call)
        if (call.overflowTo && call.queueId) await onOverflowDue(this, callId, call.queueId, call.overflowTo)
        return
      case 'announce':
        await this.save(call)
        return announcePosition(this, callId)
      case 'ringGuard':
        await this.save(call)
        if (call.phase === 'offered' && call.agentChannelId) {
          await ignoreGone(this.deps.rest.hangup(call.agentChannelId, 'no_answer'))
          await offerFailed(this, call, 'ring-no-answer', { reason: 'guard-timeout' })
        }
        return
      case 'rejoinGrace':
        await this.save(call)
        return onRejoinExpired(this, callId)
      case 'callbackOffer':
        if (call.phase !== 'queued') { await this.save(call); return }
        call.callbackOfferedAt = this.deps.clock.now()
        await this.save(call)
        this.emit('callback-offer-due', { ...call })
        return
    }
  }

  private async callIdOf(channelId: string): Promise<string | null> {
    return this.channelToCall.get(channelId) ?? (await this.deps.live.callIdForChannel(channelId))
  }

  private async onChannelGone(callId: string, channelId: string, cause: number | null): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase === 'ended') { this.channelToCall.delete(channelId); return }
    if (channelId === call.callerChannelId) await onCallerGone(this, call)
    else if (channelId === call.agentChannelId) await onAgentLegGone(this, call, cause)
    else if (channelId === call.rejoinChannelId) await onRejoinLegGone(this, call, cause)
  }

  private async onInbound(callId: string, channel: AriChannel, dialled: string, arrival: PbxArrival): Promise<void> {
    const now = this.deps.clock.now()
    const line = await this.deps.directory.lineFor(dialled)
    const route = line ? routeArrival(line, now, this.deps.settings.timeZone, await this.deps.staffing.signedInServing(line.queueId)) : null
    const call: LiveCall = {
      callId, phase: 'greeting', callerChannelId: channel.id, callerNumber: channel.caller.number || 'anonymous',
      dialledNumber: dialled, lineNumber: line?.number ?? null, queueId: route?.queueId ?? null, priority: line?.priority ?? 0,
      arrivedAt: arrival.arrivedAt, queuedAt: null, agentId: null, seat: null, agentChannelId: null, offeredAt: null, answeredAt: null,
      offerAttempts: 0, bridgeId: null, recordingName: null
    }
    const log = this.logFor(call)
    log.info({ dialled, line: call.lineNumber, channelId: channel.id }, 'call arrived')
    await this.save(call)
    await this.deps.records.arrived(call)
    if (line && route && route.reason !== 'line-queue') {
      // The line's own seats cannot take this caller now; the 12345 pool does (7×24 service).
      await this.deps.records.log(call, 'overflowed', now, { from: line.queueId, to: route.queueId, reason: route.reason })
      log.info({ from: line.queueId, to: route.queueId, reason: route.reason }, 'routed to the overflow queue')
    }
    if (!line) {
      log.error({ dialled }, 'no line configured for this number and no main line; hanging up')
      await ignoreGone(this.deps.rest.hangup(channel.id, 'congestion'))
      return finish(this, call, 'failed', 'system', null)
    }
    try {
      await this.deps.rest.answer(channel.id)
      await this.deps.rest.setVariable(channel.id, CHANNEL_VAR_CALL_ID, callId)
      const greeting = line.greeting ?? this.deps.settings.greeting
      // A caller the PBX held while no node served the app heard the greeting there already.
      if (greeting && !arrival.heldByPbx) {
        await this.deps.rest.play(channel.id, greeting, playbackIds.greeting(callId))
        // The greeting's end comes as PlaybackFinished; the due time covers a lost event.
        this.setDue(call, { greeting: now + this.deps.settings.greetingLimitMs })
        await this.save(call)
        return
      }
    } catch (err) {
      if (err instanceof AriNotFound) return // hung up already: StasisEnd will end the call
      throw err
    }
    if (arrival.heldByPbx) call.queuedAt = arrival.arrivedAt
    await this.enqueue(call)
  }

  async onGreetingDone(callId: string): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'greeting') return
    await this.enqueue(call)
  }

  /** Puts the caller in the queue's holding bridge with music and makes them routable. */
  async enqueue(call: LiveCall): Promise<void> {
    const queueId = call.queueId!
    try {
      await joinHoldBridge(this, queueId, call.callerChannelId)
    } catch (err) {
      if (err instanceof AriNotFound) return
      throw err
    }
    call.phase = 'queued'
    // Set already for a caller the PBX held: their place counts from their arrival at the PBX.
    call.queuedAt ??= this.deps.clock.now()
    this.setDue(call, { greeting: null })
    await this.save(call)
    await this.deps.waiting.add({ callId: call.callId, queueId, priority: call.priority, enteredAt: call.queuedAt, skills: [] })
    // The ACD may pick this caller at once; its offer waits for this lane, so the records below
    // are still written before the offer's.
    this.deps.requestDispatch()
    await this.deps.records.queued(call)
    this.deps.metrics.callsEntered.inc({ queue: queueId })
    this.logFor(call).info('call queued')
    this.emit('queue-changed', queueId)
    this.emit('queued', { ...call })
    await armWaitingTimers(this, call)
  }





  /**
   * Rings the agent's seat for a caller the ACD has claimed from the queue. Returns false when
   * the call can no longer be offered (the ACD then releases the agent).
   */
  offer(entry: QueueEntry, agent: AgentLive, ringTimeoutSeconds: number): Promise<boolean> {
    return this.router.inCallLane(entry.callId, async () => {
      const call = await this.deps.live.get(entry.callId)
      if (!call || call.phase !== 'queued' || !agent.seat) return false
      return ringSeat(this, call, agent, ringTimeoutSeconds)
    })
  }


  /**
   * A waiting caller asked to be called back (src/callbacks/): their queue entry is taken (so
   * no agent is offered the call meanwhile), `keep` stores the callback with the entry's place,
   * and the call ends with outcome 'callback'. The caller's channel is left to the caller (the
   * callback side confirms and hangs up). False when the call is no longer waiting.
   */
  releaseForCallback(callId: string, keep: (call: LiveCall, entry: QueueEntry) => Promise<boolean>): Promise<boolean> {
    return this.router.inCallLane(callId, () => this.inLane.releaseForCallback(callId, keep))
  }

  /** The same commands for code that already runs in the call's lane (call control, callbacks). */
  readonly inLane = {
    releaseForCallback: (callId: string, keep: (call: LiveCall, entry: QueueEntry) => Promise<boolean>) => releaseForCallbackInLane(this, callId, keep),
    agentHangup: (agentId: string, callId: string) => agentHangupInLane(this, agentId, callId),
    handOff: (callId: string, agentId: string, farChannelId: string) => handOffInLane(this, callId, agentId, farChannelId)
  }














  /**
   * The agent hangs up through the server (call control): marked first, in the call's lane, so
   * the leg's end is read as the agent's hang-up and never waits for a rejoin. Without a leg
   * (waiting for a rejoin) the call ends here. Returns false when it is not this agent's talking call.
   */
  agentHangup(agentId: string, callId: string): Promise<boolean> {
    return this.router.inCallLane(callId, () => agentHangupInLane(this, agentId, callId))
  }




  /**
   * Transfer: `farChannelId` (a transfer target, see control.ts) takes the agent's place in the
   * call, so the usual teardown (either side hangs up → the other is hung up, the recording
   * stopped, the bridge destroyed) keeps working; the agent's own leg no longer belongs to the
   * call and the agent goes to wrap-up now. Returns the call with the agent's former channel in
   * agentChannelId (for the caller to hang up), or null when it is not this agent's talking call.
   */
  handOff(callId: string, agentId: string, farChannelId: string): Promise<LiveCall | null> {
    return this.router.inCallLane(callId, () => handOffInLane(this, callId, agentId, farChannelId))
  }






  // The call's other parts live beside this file and take the flow as their first argument:
  // waiting.ts (holding bridges, overflow, announcements), rejoin.ts, adoption.ts, reconcile.ts.
  // Members without `private` above are internal to src/calls/ for them, not an API.

  adoptFollowUp(...args: Parameters<typeof adoptFollowUp> extends [CallFlow, ...infer R] ? R : never): Promise<boolean> { return adoptFollowUp(this, ...args) }
  adoptCallback(...args: Parameters<typeof adoptCallback> extends [CallFlow, ...infer R] ? R : never): Promise<boolean> { return adoptCallback(this, ...args) }
  rejoin(agentId: string, callId: string): Promise<RejoinResult> { return rejoin(this, agentId, callId) }
  /** When a call waiting for its seat to rejoin ends (ms epoch); null when the seat is in the call. */
  rejoinBy(call: LiveCall): number | null { return rejoinBy(this, call) }
  reconcile(): Promise<{ kept: number; lost: number }> { return reconcile(this) }
  releaseStrandedAgents(isReserved: (callId: string) => boolean, graceMs?: number): Promise<number> { return releaseStrandedAgents(this, isReserved, graceMs) }

  /** Resolves when every call lane has drained. */
  async idle(): Promise<void> {
    await this.router.idle()
    this.timers.clearAll()
  }
}
