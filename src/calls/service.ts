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
import { HANGUP_CAUSE, type AriChannel } from '../pbx/ari/events.ts'
import { channelIds, playbackIds } from '../pbx/ari/ids.ts'
import type { AriRouter, ChannelEvent } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import { expectedWaitSeconds, overflowPlan, routeArrival } from '../lines/rules.ts'
import type { QueueEntry } from '../queueing/model.ts'
import { positionInQueue } from '../queueing/rules.ts'
import type { QueueDirectory, QueueWaitingStore } from '../queueing/store.ts'
import type { HotlineMetrics } from '../http/metrics.ts'
import { bridgeIds, CHANNEL_VAR_CALL_ID, recordingNameFor, REJOIN_SIP_HEADER, STASIS_ENTRY, type CallOutcome, type CallTimer, type EndedBy, type LiveCall } from './model.ts'
import type { CallLogWriter } from './durable-log.ts'
import type { LiveCallStore, QueueLogEvent } from './store.ts'

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
  rejoin?: { graceMs: number; seatRejoins: (seat: string) => boolean }
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
  private readonly timers: DueTimers<CallTimer>
  private readonly channelToCall = new Map<string, string>()
  /** Holding bridges this process created or found (see joinHoldBridge). */
  private readonly holdBridges = new Set<string>()
  private readonly router: AriRouter

  constructor(private readonly deps: CallFlowDeps) {
    super()
    this.router = deps.router
    this.timers = new DueTimers<CallTimer>(deps.timers ?? clockTimers(deps.clock), (callId, kind, at) => {
      void this.router.inCallLane(callId, () => this.onTimer(callId, kind, at))
        .catch((err) => this.deps.log.error({ err, callId, timer: kind }, 'call timer failed'))
    })
    const r = this.router
    r.resolveCallsWith((channelId) => this.callIdOf(channelId))
    r.onEntry(STASIS_ENTRY.agentLeg, (channel, [callId]) => callId ? r.inCallLane(callId, () => this.onAgentAnswered(callId, channel)) : this.hangupStray(channel.id))
    r.onEntry(STASIS_ENTRY.agentRejoin, (channel, [callId]) => callId ? r.inCallLane(callId, () => this.onRejoinAnswered(callId, channel)) : this.hangupStray(channel.id))
    r.onEntry(STASIS_ENTRY.inbound, (channel, [dialled]) => this.arrive(channel, dialled))
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

  private arrive(channel: AriChannel, dialled: string | undefined): Promise<void> {
    const callId = randomUUID()
    this.channelToCall.set(channel.id, callId)
    return this.router.inCallLane(callId, () => this.onInbound(callId, channel, dialled ?? channel.dialplan?.exten ?? ''))
  }

  private logFor(call: Pick<LiveCall, 'callId'> & Partial<LiveCall>): Logger {
    return this.deps.log.child({ callId: call.callId, agentId: call.agentId ?? undefined, queueId: call.queueId ?? undefined })
  }

  /** Saves the live call and arms exactly its due times (the record is the truth for timers). */
  private async save(call: LiveCall): Promise<void> {
    await this.deps.live.save(call)
    this.timers.sync(call.callId, call.due)
  }

  private setDue(call: LiveCall, due: Partial<Record<CallTimer, number | null>>): void {
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
    return this.router.inCallLane(callId, async () => ((await this.onOverflowDue(callId, fromQueueId, toQueueId, reason)) ? 'moved' : 'not-waiting'))
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
        if (call.overflowTo && call.queueId) await this.onOverflowDue(callId, call.queueId, call.overflowTo)
        return
      case 'announce':
        await this.save(call)
        return this.announcePosition(callId)
      case 'ringGuard':
        await this.save(call)
        if (call.phase === 'offered' && call.agentChannelId) {
          await ignoreGone(this.deps.rest.hangup(call.agentChannelId, 'no_answer'))
          await this.offerFailed(call, 'ring-no-answer', { reason: 'guard-timeout' })
        }
        return
      case 'rejoinGrace':
        await this.save(call)
        return this.onRejoinExpired(callId)
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
    if (channelId === call.callerChannelId) await this.onCallerGone(call)
    else if (channelId === call.agentChannelId) await this.onAgentLegGone(call, cause)
    else if (channelId === call.rejoinChannelId) await this.onRejoinLegGone(call, cause)
  }

  private async onInbound(callId: string, channel: AriChannel, dialled: string): Promise<void> {
    const now = this.deps.clock.now()
    const line = await this.deps.directory.lineFor(dialled)
    const route = line ? routeArrival(line, now, this.deps.settings.timeZone, await this.deps.staffing.signedInServing(line.queueId)) : null
    const call: LiveCall = {
      callId, phase: 'greeting', callerChannelId: channel.id, callerNumber: channel.caller.number || 'anonymous',
      dialledNumber: dialled, lineNumber: line?.number ?? null, queueId: route?.queueId ?? null, priority: line?.priority ?? 0,
      arrivedAt: now, queuedAt: null, agentId: null, seat: null, agentChannelId: null, offeredAt: null, answeredAt: null,
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
      return this.finish(call, 'failed', 'system', null)
    }
    try {
      await this.deps.rest.answer(channel.id)
      await this.deps.rest.setVariable(channel.id, CHANNEL_VAR_CALL_ID, callId)
      const greeting = line.greeting ?? this.deps.settings.greeting
      if (greeting) {
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
    await this.enqueue(call)
  }

  private async onGreetingDone(callId: string): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'greeting') return
    await this.enqueue(call)
  }

  /** Puts the caller in the queue's holding bridge with music and makes them routable. */
  private async enqueue(call: LiveCall): Promise<void> {
    const queueId = call.queueId!
    try {
      await this.joinHoldBridge(queueId, call.callerChannelId)
    } catch (err) {
      if (err instanceof AriNotFound) return
      throw err
    }
    call.phase = 'queued'
    call.queuedAt = this.deps.clock.now()
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
    await this.armWaitingTimers(call)
  }

  /**
   * Puts a caller in the queue's holding bridge. The bridge (deterministic id, music on hold) is
   * created the first time only: creating it per caller cost three ARI round trips on the path
   * to the agent. A 404 means the bridge is gone (the PBX restarted): create it again.
   */
  private async joinHoldBridge(queueId: string, channelId: string): Promise<void> {
    const holdId = bridgeIds.queueHold(queueId)
    if (this.holdBridges.has(holdId)) {
      try {
        await this.deps.rest.addToBridge(holdId, [channelId], { role: 'participant' })
        return
      } catch (err) {
        if (!(err instanceof AriNotFound)) throw err
        this.holdBridges.delete(holdId)
      }
    }
    await this.deps.rest.createBridge(holdId, 'holding', holdId)
    await this.deps.rest.startBridgeMoh(holdId, this.deps.settings.mohClass).catch((err) => {
      this.deps.log.warn({ err: (err as Error).message, bridgeId: holdId }, 'music on hold did not start')
    })
    this.holdBridges.add(holdId)
    await this.deps.rest.addToBridge(holdId, [channelId], { role: 'participant' })
  }

  /** Overflow and position announcements for a waiting caller, re-armed whenever they (re)join a queue. */
  private async armWaitingTimers(call: LiveCall): Promise<void> {
    const queue = call.queueId ? await this.deps.directory.queue(call.queueId) : undefined
    if (!queue) return
    const line = call.lineNumber ? (await this.deps.directory.line(call.lineNumber)) ?? null : null
    const waited = this.deps.clock.now() - (call.queuedAt ?? call.arrivedAt)
    const plan = overflowPlan(line, queue, waited)
    const now = this.deps.clock.now()
    const every = queue.announceEverySeconds
    const offerAfter = this.deps.settings.callbackOfferAfterMs ?? 0
    // The callback offer is timed from the caller's first entry and heard once.
    const callbackDue = offerAfter > 0 && !call.callbackOf && !call.callbackOfferedAt ? (call.queuedAt ?? call.arrivedAt) + offerAfter : null
    call.overflowTo = plan ? plan.targetQueueId : null
    this.setDue(call, { overflow: plan ? now + plan.afterMs : null, announce: every ? now + every * 1000 : null, callbackOffer: callbackDue === null ? null : Math.max(now, callbackDue) })
    await this.save(call)
    this.emit('waiting-timers', { ...call })
  }

  /** The caller waited too long for this queue: move them, keeping their place in time. */
  private async onOverflowDue(callId: string, fromQueueId: string, toQueueId: string, reason = 'max-wait'): Promise<boolean> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'queued' || call.queueId !== fromQueueId) return false
    if (!(await this.deps.waiting.remove(fromQueueId, callId))) return false // being offered right now
    const now = this.deps.clock.now()
    await this.deps.records.log(call, 'overflowed', now, { from: fromQueueId, to: toQueueId, reason })
    try {
      await ignoreGone(this.deps.rest.removeFromBridge(bridgeIds.queueHold(fromQueueId), [call.callerChannelId]))
      await this.joinHoldBridge(toQueueId, call.callerChannelId)
    } catch (err) {
      if (!(err instanceof AriNotFound)) throw err
    }
    call.queueId = toQueueId
    await this.save(call)
    await this.deps.waiting.add({ callId, queueId: toQueueId, priority: call.priority, enteredAt: call.queuedAt ?? call.arrivedAt, skills: [] })
    this.logFor(call).info({ from: fromQueueId, to: toQueueId }, 'caller overflowed to another queue')
    this.emit('queue-changed', fromQueueId)
    this.emit('queue-changed', toQueueId)
    await this.armWaitingTimers(call)
    this.deps.requestDispatch()
    return true
  }

  /** "您前面还有 N 位来电在等待，预计等待时间约 M 分钟", then back to the music. */
  private async announcePosition(callId: string): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'queued' || !call.queueId) return
    const waiting = await this.deps.waiting.waiting([call.queueId])
    const position = positionInQueue(waiting, callId)
    if (position !== null) {
      const ahead = Math.min(20, position - 1)
      const serving = await this.deps.staffing.signedInServing(call.queueId)
      const minutes = Math.min(20, Math.max(1, Math.ceil(expectedWaitSeconds(position, serving, await this.deps.staffing.averageHandleSeconds(call.queueId)) / 60)))
      const media = ['position-prefix', `num-${ahead}`, 'position-suffix', 'wait-prefix', `num-${minutes}`, 'minutes'].map((p) => `sound:hotline/${p}`).join(',')
      await ignoreGone(this.deps.rest.play(call.callerChannelId, media, playbackIds.announcement(callId, this.deps.clock.now())))
    }
    await this.armWaitingTimers(call)
  }

  /**
   * Rings the agent's seat for a caller the ACD has claimed from the queue. Returns false when
   * the call can no longer be offered (the ACD then releases the agent).
   */
  offer(entry: QueueEntry, agent: AgentLive, ringTimeoutSeconds: number): Promise<boolean> {
    return this.router.inCallLane(entry.callId, async () => {
      const call = await this.deps.live.get(entry.callId)
      if (!call || call.phase !== 'queued' || !agent.seat) return false
      return this.ringSeat(call, agent, ringTimeoutSeconds)
    })
  }

  /** Rings the (already reserved) agent's seat for a queued call; in the call's lane. */
  private async ringSeat(call: LiveCall, agent: Pick<AgentLive, 'agentId' | 'seat'>, ringTimeoutSeconds: number): Promise<boolean> {
    {
      if (!agent.seat) return false
      call.offerAttempts += 1
      const agentChannelId = channelIds.agentLeg(call.callId, call.offerAttempts)
      call.phase = 'offered'
      call.agentId = agent.agentId
      call.seat = agent.seat
      call.agentChannelId = agentChannelId
      call.offeredAt = this.deps.clock.now()
      // Waiting timers stop while the seat rings; a failed offer arms them again.
      this.setDue(call, { overflow: null, announce: null, callbackOffer: null })
      await this.save(call)
      const log = this.logFor(call)
      log.info({ seat: agent.seat, waitMs: call.offeredAt - (call.queuedAt ?? call.offeredAt) }, 'call offered')
      // The screen pop goes out before the seat rings, so the panel shows who is calling.
      this.emit('offered', { ...call })
      this.emit('queue-changed', call.queueId!)
      try {
        await this.deps.rest.originate({
          channelId: agentChannelId,
          endpoint: `${this.deps.settings.seatTech}/${agent.seat}`,
          app: this.deps.settings.app,
          appArgs: `${STASIS_ENTRY.agentLeg},${call.callId}`,
          callerId: `"${call.callerNumber}" <${call.callerNumber}>`,
          timeoutSeconds: ringTimeoutSeconds,
          originator: call.callerChannelId,
          variables: { [CHANNEL_VAR_CALL_ID]: call.callId }
        })
      } catch (err) {
        log.warn({ err: (err as Error).message, seat: agent.seat }, 'could not ring the seat')
        await this.deps.records.offered(call)
        await this.offerFailed(call, 'offer-rejected', { reason: 'originate-failed' })
        return true
      }
      // Written after the seat rings: the record is not on the path to the agent's phone. The
      // answer is handled in this call's lane, so it cannot overtake this write.
      await this.deps.records.offered(call)
      // Asterisk ends the ring at the timeout itself; the guard covers a lost event.
      this.setDue(call, { ringGuard: call.offeredAt + (ringTimeoutSeconds + 5) * 1000 })
      await this.save(call)
      return true
    }
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
    releaseForCallback: (callId: string, keep: (call: LiveCall, entry: QueueEntry) => Promise<boolean>) => this.releaseForCallbackInLane(callId, keep),
    agentHangup: (agentId: string, callId: string) => this.agentHangupInLane(agentId, callId),
    handOff: (callId: string, agentId: string, farChannelId: string) => this.handOffInLane(callId, agentId, farChannelId)
  }

  private releaseForCallbackInLane(callId: string, keep: (call: LiveCall, entry: QueueEntry) => Promise<boolean>): Promise<boolean> {
    return (async () => {
      const call = await this.deps.live.get(callId)
      if (!call || call.phase !== 'queued' || !call.queueId) return false
      const entry = await this.deps.waiting.get(callId)
      if (!entry || !(await this.deps.waiting.remove(call.queueId, callId))) return false
      if (!(await keep(call, entry))) {
        await this.deps.waiting.add(entry)
        return false
      }
      await ignoreGone(this.deps.rest.removeFromBridge(bridgeIds.queueHold(call.queueId), [call.callerChannelId]))
      this.logFor(call).info({ waitMs: this.deps.clock.now() - (call.queuedAt ?? call.arrivedAt) }, 'caller left the queue for a callback')
      await this.finish(call, 'callback', 'caller', null)
      this.emit('queue-changed', call.queueId)
      return true
    })()
  }

  /**
   * An agent-assisted follow-up answered by the citizen (src/followup/): the channel becomes a
   * call waiting in the follow-up queue like any caller, with the ticket for the screen pop.
   */
  adoptFollowUp(channel: AriChannel, p: { callId: string; callerNumber: string; lineNumber: string | null; queueId: string; ticketId: string; attemptId: string }): Promise<boolean> {
    return this.adoptOutbound(channel, p, { followUp: { ticketId: p.ticketId, attemptId: p.attemptId } }, async (call) => {
      await this.deps.waiting.add({ callId: p.callId, queueId: p.queueId, priority: 0, enteredAt: call.queuedAt!, skills: [] })
      this.deps.requestDispatch()
      await this.deps.records.queued(call)
      this.emit('queue-changed', p.queueId)
      return true
    })
  }

  /**
   * A callback answered by the citizen: the channel becomes a call of its own (id `callId`,
   * returning `callbackOf`) that waits in the queue's holding bridge and rings the agent the
   * ACD reserved for it; from there on it is an ordinary call (recording, ring-no-answer back
   * to the head of the queue, wrap-up).
   */
  adoptCallback(channel: AriChannel, p: { callId: string; callbackOf: string; callerNumber: string; lineNumber: string | null; queueId: string; agent: Pick<AgentLive, 'agentId' | 'seat'>; ringTimeoutSeconds: number }): Promise<boolean> {
    return this.adoptOutbound(channel, p, { callbackOf: p.callbackOf }, async (call) => {
      await this.deps.records.queued(call)
      this.logFor(call).info({ callbackOf: p.callbackOf, seat: p.agent.seat }, 'callback answered; ringing the reserved agent')
      return this.ringSeat(call, p.agent, p.ringTimeoutSeconds)
    })
  }

  /**
   * Shared start of an answered outbound channel (follow-up or callback): it becomes a live call
   * in the queue's holding bridge; `then` decides how it reaches an agent. False when the citizen
   * hung up before the call could be set up (the call is then closed as abandoned).
   */
  private adoptOutbound(
    channel: AriChannel,
    p: { callId: string; callerNumber: string; lineNumber: string | null; queueId: string },
    extra: Pick<LiveCall, 'followUp' | 'callbackOf'>,
    then: (call: LiveCall) => Promise<boolean>
  ): Promise<boolean> {
    this.channelToCall.set(channel.id, p.callId)
    return this.router.inCallLane(p.callId, async () => {
      const now = this.deps.clock.now()
      const call: LiveCall = {
        callId: p.callId, phase: 'queued', callerChannelId: channel.id, callerNumber: p.callerNumber, dialledNumber: p.callerNumber,
        lineNumber: p.lineNumber, queueId: p.queueId, priority: 0, arrivedAt: now, queuedAt: now, agentId: null, seat: null,
        agentChannelId: null, offeredAt: null, answeredAt: null, offerAttempts: 0, bridgeId: null, recordingName: null, ...extra
      }
      await this.save(call)
      await this.deps.records.arrived(call)
      try {
        await this.deps.rest.setVariable(channel.id, CHANNEL_VAR_CALL_ID, p.callId)
        await this.joinHoldBridge(p.queueId, channel.id)
      } catch (err) {
        if (err instanceof AriNotFound) { await this.finish(call, 'abandoned', 'caller', null); return false }
        throw err
      }
      return then(call)
    })
  }

  private async onAgentAnswered(callId: string, agentChannel: AriChannel): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'offered' || call.agentChannelId !== agentChannel.id) {
      // The caller left (or the offer moved on) while the seat was ringing.
      this.deps.log.info({ callId, channelId: agentChannel.id }, 'agent answered a call that is no longer offered; hanging up the seat')
      await ignoreGone(this.deps.rest.hangup(agentChannel.id))
      return
    }
    const log = this.logFor(call)
    const bridgeId = bridgeIds.call(callId)
    const recordingName = recordingNameFor(callId)
    try {
      await this.deps.rest.createBridge(bridgeId, 'mixing', bridgeId)
      await ignoreGone(this.deps.rest.removeFromBridge(bridgeIds.queueHold(call.queueId!), [call.callerChannelId]))
      await this.deps.rest.addToBridge(bridgeId, [call.callerChannelId, agentChannel.id])
    } catch (err) {
      if (!(err instanceof AriNotFound)) throw err
      // One side vanished mid-bridge; its StasisEnd (queued behind this lane) ends the call.
      log.info('a leg hung up while bridging')
      return
    }
    this.setDue(call, { overflow: null, announce: null, ringGuard: null, callbackOffer: null })
    call.phase = 'talking'
    call.answeredAt = this.deps.clock.now()
    call.bridgeId = bridgeId
    try {
      await this.deps.rest.recordBridge(bridgeId, recordingName, 'wav')
      call.recordingName = recordingName
    } catch (err) {
      // A call without a recording is still a call: connect it and say so loudly.
      log.error({ err: (err as Error).message }, 'recording did not start')
    }
    await this.save(call)
    await this.deps.records.answered(call)
    const agent = await this.deps.agents.tryApply(call.agentId!, { type: 'offer-answered', callId }, 'system')
    if (!agent.ok) log.warn({ rejection: agent.rejection }, 'agent state did not follow the answer')
    this.deps.metrics.callsAnswered.inc({ queue: call.queueId ?? '' })
    this.deps.metrics.answerDelay.observe({ queue: call.queueId ?? '' }, (call.answeredAt - (call.queuedAt ?? call.answeredAt)) / 1000)
    log.info({ waitMs: call.answeredAt - (call.queuedAt ?? call.answeredAt), recordingName: call.recordingName }, 'call answered')
    this.emit('answered', { ...call })
  }

  private async onCallerGone(call: LiveCall): Promise<void> {
    const log = this.logFor(call)
    switch (call.phase) {
      case 'greeting':
        log.info('caller hung up during the greeting')
        return this.finish(call, 'abandoned', 'caller', null)
      case 'queued':
        await this.deps.waiting.remove(call.queueId!, call.callId)
        this.deps.metrics.callsAbandoned.inc({ queue: call.queueId ?? '' })
        log.info({ waitMs: this.deps.clock.now() - (call.queuedAt ?? call.arrivedAt) }, 'caller abandoned while waiting')
        return this.finish(call, 'abandoned', 'caller', 'abandoned')
      case 'offered': {
        const agentChannelId = call.agentChannelId
        if (agentChannelId) await ignoreGone(this.deps.rest.hangup(agentChannelId))
        const released = await this.deps.agents.tryApply(call.agentId!, { type: 'offer-withdrawn', callId: call.callId }, 'system')
        if (!released.ok) log.warn({ rejection: released.rejection }, 'agent was not in the offered state')
        this.deps.metrics.callsAbandoned.inc({ queue: call.queueId ?? '' })
        log.info('caller abandoned while the seat was ringing')
        return this.finish(call, 'abandoned', 'caller', 'abandoned')
      }
      case 'talking':
        return this.endConversation(call, 'caller')
      case 'ended':
        return
    }
  }

  private async onAgentLegGone(call: LiveCall, cause: number | null): Promise<void> {
    if (call.phase === 'offered') {
      const rejected = cause === HANGUP_CAUSE.userBusy || cause === HANGUP_CAUSE.callRejected
      return this.offerFailed(call, rejected ? 'offer-rejected' : 'ring-no-answer', { cause })
    }
    if (call.phase === 'talking') {
      if (await this.keepForRejoin(call, cause)) return
      return this.endConversation(call, 'agent')
    }
  }

  /**
   * The agent's leg of a talking call ended. For a WebRTC seat that did not hang up through the
   * server (a page reload, a network blip) the caller stays: music on the call's mixing bridge
   * (the recording carries on and shows the gap), the agent stays talking, and a grace timer
   * ends the call if the panel does not rejoin. Desk phones hang up by BYE: not for them.
   */
  private async keepForRejoin(call: LiveCall, cause: number | null, reason = 'leg-ended'): Promise<boolean> {
    const rejoin = this.deps.settings.rejoin
    if (!rejoin || rejoin.graceMs <= 0 || call.handedOffTo || call.agentHangingUp || !call.seat || !rejoin.seatRejoins(call.seat)) return false
    const log = this.logFor(call)
    const lostChannel = call.agentChannelId
    if (lostChannel) { this.channelToCall.delete(lostChannel); await this.deps.live.forgetChannel(lostChannel) }
    const now = this.deps.clock.now()
    call.agentChannelId = null
    call.agentLegLostAt = now
    // The panel has the grace time to dial back in; then the call ends by the agent side.
    this.setDue(call, { rejoinGrace: now + rejoin.graceMs })
    await this.save(call)
    if (call.bridgeId) {
      await this.deps.rest.startBridgeMoh(call.bridgeId, this.deps.settings.mohClass).catch((err) => {
        log.warn({ err: (err as Error).message }, 'music on hold for the rejoin wait did not start')
      })
    }
    await this.deps.records.log(call, 'agent-leg-lost', now, { seat: call.seat, cause, reason, graceS: rejoin.graceMs / 1000 })
    log.info({ seat: call.seat, cause, reason, graceMs: rejoin.graceMs }, 'agent leg dropped mid-call; caller on music while the seat may rejoin')
    this.emit('agent-leg-lost', { ...call }, now + rejoin.graceMs)
    return true
  }

  /** When a call waiting for its seat to rejoin ends (ms epoch); null when the seat is in the call. */
  rejoinBy(call: LiveCall): number | null {
    return call.agentLegLostAt && this.deps.settings.rejoin ? call.agentLegLostAt + this.deps.settings.rejoin.graceMs : null
  }

  private async onRejoinExpired(callId: string): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'talking' || !call.agentLegLostAt) return
    const awayMs = this.deps.clock.now() - call.agentLegLostAt
    await this.deps.records.log(call, 'rejoin-expired', this.deps.clock.now(), { seat: call.seat, awayMs })
    this.logFor(call).info({ awayMs }, 'the seat did not rejoin in time; ending the call')
    return this.endConversation(call, 'agent')
  }

  /**
   * The agent's (reloaded) panel asks to be put back in its talking call: the seat is dialled
   * again (the panel answers by itself, seeing REJOIN_SIP_HEADER) and joins the mixing bridge on
   * answer. A leg the server still thinks is up (the browser went away without a BYE) is
   * replaced: the panel asks only when it has no media of its own.
   */
  rejoin(agentId: string, callId: string): Promise<RejoinResult> {
    return this.router.inCallLane(callId, async (): Promise<RejoinResult> => {
      const call = await this.deps.live.get(callId)
      if (!call || call.phase !== 'talking' || call.agentId !== agentId || call.handedOffTo) return { ok: false, reason: 'no-call' }
      const rejoin = this.deps.settings.rejoin
      if (!rejoin || rejoin.graceMs <= 0 || !call.seat || !rejoin.seatRejoins(call.seat)) return { ok: false, reason: 'not-rejoinable' }
      if (!call.agentLegLostAt) {
        const stale = call.agentChannelId
        if (!(await this.keepForRejoin(call, null, 'replaced-by-rejoin'))) return { ok: false, reason: 'not-rejoinable' }
        if (stale) await ignoreGone(this.deps.rest.hangup(stale))
      }
      const rejoinBy = call.agentLegLostAt! + rejoin.graceMs
      if (call.rejoinChannelId) return { ok: true, callId, channelId: call.rejoinChannelId, rejoinBy }
      const channelId = channelIds.rejoin(callId, this.deps.clock.now())
      call.rejoinChannelId = channelId
      await this.save(call)
      const ringS = Math.max(5, Math.ceil((rejoinBy - this.deps.clock.now()) / 1000))
      try {
        await this.deps.rest.originate({
          channelId, endpoint: `${this.deps.settings.seatTech}/${call.seat}`, app: this.deps.settings.app,
          appArgs: `${STASIS_ENTRY.agentRejoin},${callId}`, callerId: `"${call.callerNumber}" <${call.callerNumber}>`, timeoutSeconds: ringS,
          originator: call.callerChannelId,
          variables: { [CHANNEL_VAR_CALL_ID]: callId, [`PJSIP_HEADER(add,${REJOIN_SIP_HEADER})`]: callId }
        })
      } catch (err) {
        this.logFor(call).warn({ err: (err as Error).message }, 'could not dial the seat to rejoin')
        call.rejoinChannelId = null
        await this.save(call)
        return { ok: false, reason: 'not-rejoinable' }
      }
      this.logFor(call).info({ channelId, seat: call.seat }, 'dialling the seat to rejoin the call')
      return { ok: true, callId, channelId, rejoinBy }
    })
  }

  private async onRejoinAnswered(callId: string, channel: AriChannel): Promise<void> {
    const call = await this.deps.live.get(callId)
    if (!call || call.phase !== 'talking' || call.rejoinChannelId !== channel.id || !call.bridgeId) {
      this.deps.log.info({ callId, channelId: channel.id }, 'a rejoin leg answered for a call that no longer waits for it; hanging up the seat')
      await ignoreGone(this.deps.rest.hangup(channel.id))
      return
    }
    const log = this.logFor(call)
    try {
      await this.deps.rest.addToBridge(call.bridgeId, [channel.id])
    } catch (err) {
      if (!(err instanceof AriNotFound)) throw err
      log.info('the rejoin leg or the bridge vanished while joining')
      return
    }
    await ignoreGone(this.deps.rest.stopBridgeMoh(call.bridgeId)).catch((err) => log.warn({ err: (err as Error).message }, 'music did not stop'))
    this.setDue(call, { rejoinGrace: null })
    const awayMs = this.deps.clock.now() - (call.agentLegLostAt ?? this.deps.clock.now())
    call.agentChannelId = channel.id
    call.rejoinChannelId = null
    call.agentLegLostAt = null
    await this.save(call)
    await this.deps.records.log(call, 'agent-rejoined', this.deps.clock.now(), { seat: call.seat, awayMs })
    log.info({ awayMs, channelId: channel.id }, 'agent rejoined the call')
    this.emit('rejoined', { ...call })
  }

  /** The rejoin leg ended before joining (not answered, refused): the grace timer still runs. */
  private async onRejoinLegGone(call: LiveCall, cause: number | null): Promise<void> {
    if (call.rejoinChannelId) { this.channelToCall.delete(call.rejoinChannelId); await this.deps.live.forgetChannel(call.rejoinChannelId) }
    call.rejoinChannelId = null
    await this.save(call)
    this.logFor(call).info({ cause }, 'the rejoin leg ended before joining; waiting for another try or the grace time')
  }

  /**
   * The agent hangs up through the server (call control): marked first, in the call's lane, so
   * the leg's end is read as the agent's hang-up and never waits for a rejoin. Without a leg
   * (waiting for a rejoin) the call ends here. Returns false when it is not this agent's talking call.
   */
  agentHangup(agentId: string, callId: string): Promise<boolean> {
    return this.router.inCallLane(callId, () => this.agentHangupInLane(agentId, callId))
  }

  private agentHangupInLane(agentId: string, callId: string): Promise<boolean> {
    return (async () => {
      const call = await this.deps.live.get(callId)
      if (!call || call.phase !== 'talking' || call.agentId !== agentId || call.handedOffTo) return false
      if (!call.agentChannelId) {
        await this.endConversation(call, 'agent')
        return true
      }
      call.agentHangingUp = true
      await this.save(call)
      await ignoreGone(this.deps.rest.hangup(call.agentChannelId))
      return true
    })()
  }

  /**
   * Ring-no-answer or rejection: the agent goes to not ready (missed call) and the caller goes
   * back to the queue with their original place (priority and arrival time are kept).
   */
  private async offerFailed(call: LiveCall, event: Extract<QueueLogEvent, 'ring-no-answer' | 'offer-rejected'>, detail: Record<string, unknown>): Promise<void> {
    const agentId = call.agentId!
    const log = this.logFor(call)
    if (call.agentChannelId) { this.channelToCall.delete(call.agentChannelId); await this.deps.live.forgetChannel(call.agentChannelId) }
    await this.deps.records.log(call, event, this.deps.clock.now(), { ...detail, seat: call.seat }, agentId)
    const missed = await this.deps.agents.tryApply(agentId, { type: 'offer-missed', callId: call.callId }, 'system')
    if (!missed.ok) log.warn({ rejection: missed.rejection }, 'agent was not in the offered state')
    log.info({ event, ...detail }, 'offer failed; caller back to the head of the queue')
    call.phase = 'queued'
    call.agentId = null
    call.seat = null
    call.agentChannelId = null
    this.setDue(call, { ringGuard: null })
    await this.save(call)
    await this.deps.waiting.add({ callId: call.callId, queueId: call.queueId!, priority: call.priority, enteredAt: call.queuedAt ?? call.arrivedAt, skills: [] })
    this.emit('queue-changed', call.queueId!)
    await this.armWaitingTimers(call)
    this.deps.requestDispatch()
  }

  private async endConversation(call: LiveCall, endedBy: EndedBy): Promise<void> {
    const log = this.logFor(call)
    const other = endedBy === 'caller' ? call.agentChannelId : call.callerChannelId
    if (other) await ignoreGone(this.deps.rest.hangup(other))
    if (call.rejoinChannelId) {
      // A seat still ringing to rejoin a call that ends now.
      await ignoreGone(this.deps.rest.hangup(call.rejoinChannelId))
      this.channelToCall.delete(call.rejoinChannelId)
      await this.deps.live.forgetChannel(call.rejoinChannelId)
    }
    if (call.recordingName) await ignoreGone(this.deps.rest.stopRecording(call.recordingName))
    if (call.bridgeId) await ignoreGone(this.deps.rest.destroyBridge(call.bridgeId))
    const queue = call.queueId ? await this.deps.directory.queue(call.queueId) : undefined
    const wrapUpSeconds = queue?.wrapUpSeconds ?? 0
    if (!call.handedOffTo) { // after a transfer the agent went to wrap-up at the hand-off
      const ended = await this.deps.agents.tryApply(call.agentId!, { type: 'call-ended', callId: call.callId, wrapUpSeconds }, 'system')
      if (!ended.ok) log.warn({ rejection: ended.rejection }, 'agent state did not follow the hangup')
    }
    log.info({ endedBy, talkMs: this.deps.clock.now() - (call.answeredAt ?? this.deps.clock.now()) }, 'call ended')
    await this.finish(call, 'answered', endedBy, 'completed')
  }

  /**
   * Transfer: `farChannelId` (a transfer target, see control.ts) takes the agent's place in the
   * call, so the usual teardown (either side hangs up → the other is hung up, the recording
   * stopped, the bridge destroyed) keeps working; the agent's own leg no longer belongs to the
   * call and the agent goes to wrap-up now. Returns the call with the agent's former channel in
   * agentChannelId (for the caller to hang up), or null when it is not this agent's talking call.
   */
  handOff(callId: string, agentId: string, farChannelId: string): Promise<LiveCall | null> {
    return this.router.inCallLane(callId, () => this.handOffInLane(callId, agentId, farChannelId))
  }

  private handOffInLane(callId: string, agentId: string, farChannelId: string): Promise<LiveCall | null> {
    return (async () => {
      const call = await this.deps.live.get(callId)
      if (!call || call.phase !== 'talking' || call.agentId !== agentId || call.handedOffTo) return null
      const agentChannelId = call.agentChannelId
      if (agentChannelId) { this.channelToCall.delete(agentChannelId); await this.deps.live.forgetChannel(agentChannelId) }
      call.agentChannelId = farChannelId
      call.handedOffTo = farChannelId
      await this.save(call)
      const queue = call.queueId ? await this.deps.directory.queue(call.queueId) : undefined
      const ended = await this.deps.agents.tryApply(agentId, { type: 'call-ended', callId, wrapUpSeconds: queue?.wrapUpSeconds ?? 0 }, 'system')
      if (!ended.ok) this.logFor(call).warn({ rejection: ended.rejection }, 'agent state did not follow the transfer')
      this.logFor(call).info({ farChannelId }, 'call handed off (transfer)')
      return { ...call, agentChannelId }
    })()
  }

  private async finish(call: LiveCall, outcome: CallOutcome, endedBy: EndedBy, logEvent: QueueLogEvent | null): Promise<void> {
    this.timers.clear(call.callId)
    call.phase = 'ended'
    await this.deps.records.ended(call, this.deps.clock.now(), outcome, endedBy, logEvent)
    await this.deps.live.remove(call)
    this.emit('ended', { ...call }, outcome, endedBy)
    if (call.queueId && (outcome === 'abandoned' || outcome === 'pbx-lost')) this.emit('queue-changed', call.queueId)
    this.channelToCall.delete(call.callerChannelId)
    if (call.agentChannelId) this.channelToCall.delete(call.agentChannelId)
  }


  /**
   * After a (re)connect: Asterisk is the truth for channels, Redis for our calls. Calls whose
   * caller channel is gone were lost with the PBX and are logged as such; offers whose seat
   * channel is gone go back to the queue; waiting callers get their queue entry back.
   */
  async reconcile(): Promise<{ kept: number; lost: number }> {
    const channels = new Map((await this.deps.rest.listChannels()).map((c) => [c.id, c]))
    const present = new Set(channels.keys())
    let kept = 0
    let lost = 0
    const snapshots = await this.deps.live.list()
    // Waiting callers lost with the PBX leave the queues first: an agent that one of the lost
    // talking calls frees must not be offered a caller who is gone too (and miss it).
    for (const c of snapshots) {
      if (c.phase === 'queued' && c.queueId && !present.has(c.callerChannelId)) await this.deps.waiting.remove(c.queueId, c.callId)
    }
    for (const snapshot of snapshots) {
      await this.router.inCallLane(snapshot.callId, async () => {
        const call = await this.deps.live.get(snapshot.callId)
        if (!call || call.phase === 'ended') return
        this.channelToCall.set(call.callerChannelId, call.callId)
        if (call.agentChannelId) this.channelToCall.set(call.agentChannelId, call.callId)
        const log = this.logFor(call)
        if (!present.has(call.callerChannelId)) {
          lost += 1
          log.warn({ phase: call.phase }, 'caller channel no longer exists on the PBX; call lost')
          if (call.phase === 'queued' && call.queueId) await this.deps.waiting.remove(call.queueId, call.callId)
          if (call.agentChannelId && present.has(call.agentChannelId)) await ignoreGone(this.deps.rest.hangup(call.agentChannelId))
          if (call.agentId && (call.phase === 'talking' || call.phase === 'offered')) {
            const event = call.phase === 'talking'
              ? { type: 'call-ended' as const, callId: call.callId, wrapUpSeconds: 0 }
              : { type: 'offer-withdrawn' as const, callId: call.callId }
            await this.deps.agents.tryApply(call.agentId, event, 'system')
          }
          return this.finish(call, call.phase === 'talking' ? 'answered' : 'pbx-lost', 'system', 'pbx-lost')
        }
        kept += 1
        // The record holds the call's due times: arm exactly what was pending before the restart.
        this.timers.sync(call.callId, call.due)
        if (call.phase === 'offered' && (!call.agentChannelId || !present.has(call.agentChannelId))) {
          return this.offerFailed(call, 'ring-no-answer', { reason: 'seat channel gone after restart' })
        }
        if (call.phase === 'offered' && call.agentChannelId) {
          // The seat may have answered while no server was listening: finish the connection.
          const seatChannel = channels.get(call.agentChannelId)
          if (seatChannel?.state === 'Up') return this.onAgentAnswered(call.callId, seatChannel)
        }
        if (call.phase === 'talking' && call.agentLegLostAt && this.deps.settings.rejoin) {
          // Waiting for a rejoin when the server went away: the wait goes on for what is left of it.
          if (call.rejoinChannelId && !present.has(call.rejoinChannelId)) await this.onRejoinLegGone(call, null)
          return
        }
        if (call.phase === 'talking' && (!call.agentChannelId || !present.has(call.agentChannelId))) {
          if (await this.keepForRejoin(call, null, 'gone-after-restart')) return
          return this.endConversation(call, 'agent')
        }
        if (call.phase === 'queued' && call.queueId) {
          if (!(await this.deps.waiting.get(call.callId))) {
            await this.deps.waiting.add({ callId: call.callId, queueId: call.queueId, priority: call.priority, enteredAt: call.queuedAt ?? call.arrivedAt, skills: [] })
          }
          // A record without due times (written before they were kept) is timed afresh.
          if (!call.due) await this.armWaitingTimers(call)
        }
        if (call.phase === 'greeting') return this.enqueue(call)
      })
    }
    this.deps.requestDispatch()
    return { kept, lost }
  }

  /**
   * Agents left in a call state (offered, talking, on hold) for a call that no longer exists, by
   * a lost event or a crash between two writes, are freed: nobody could leave those states
   * otherwise (sign-out and ready are refused during a call). `isReserved` tells reservations
   * that have no live call yet (a callback being dialled). Returns how many were freed.
   */
  async releaseStrandedAgents(isReserved: (callId: string) => boolean, graceMs = 10_000): Promise<number> {
    const now = this.deps.clock.now()
    let freed = 0
    for (const agent of await this.deps.agents.listSignedIn()) {
      const callId = agent.callId
      if (!callId || (agent.state !== 'offered' && agent.state !== 'talking' && agent.state !== 'on-hold')) continue
      if (now - agent.since < graceMs || isReserved(callId)) continue
      const stillThere = await this.router.inCallLane(callId, async () => (await this.deps.live.get(callId)) !== null)
      if (stillThere) continue
      const event = agent.state === 'offered' ? { type: 'offer-withdrawn' as const, callId } : { type: 'call-ended' as const, callId, wrapUpSeconds: 0 }
      const r = await this.deps.agents.tryApply(agent.agentId, event, 'system')
      if (r.ok && r.changed) {
        freed += 1
        this.deps.log.warn({ agentId: agent.agentId, callId, state: agent.state }, 'agent was held by a call that no longer exists; freed')
      }
    }
    return freed
  }

  /** Resolves when every call lane has drained. */
  async idle(): Promise<void> {
    await this.router.idle()
    this.timers.clearAll()
  }
}
