/**
 * The call flow's edge: ARI events, timers and commands become events of the call machine
 * (machine.ts), stepped one at a time in the call's lane against the call's record in Redis;
 * effects.ts carries out what each step asks for. This file gathers the facts a step needs
 * (the line and route of an arrival, the directory, a waiting caller's position) and answers
 * the commands other capabilities give (offer, hand-off, agent hang-up, callback release,
 * rejoin, supervisor moves); reconcile.ts does the same after a restart, adoption.ts for
 * answered follow-ups and callbacks.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { AgentLive } from '../agents/model.ts'
import type { AgentService } from '../agents/service.ts'
import type { Clock } from '../domain/clock.ts'
import { clockTimers, DueTimers, type TimerPort } from '../domain/timers.ts'
import { ignoreGone } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import type { AriRouter, ChannelEvent } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import { routeArrival } from '../lines/rules.ts'
import type { QueueEntry } from '../queueing/model.ts'
import { positionInQueue } from '../queueing/rules.ts'
import type { QueueDirectory, QueueWaitingStore } from '../queueing/store.ts'
import type { HotlineMetrics } from '../http/metrics.ts'
import type { LineConfig } from '../domain/lines.ts'
import { STASIS_ENTRY, type CallTimer, type LiveCall } from './model.ts'
import type { CallLogWriter } from './durable-log.ts'
import { adoptCallback, adoptFollowUp } from './adoption.ts'
import { dueTimes, liveView, type Call } from './call-state.ts'
import { CallEffects, type RunResult } from './effects.ts'
import { arrive, step, type CallEvent, type CallPolicy, type Step } from './machine.ts'
import type { AnnounceFacts, CallFlowEvents } from './machine-types.ts'
import { pbxArrival } from './node-gaps.ts'
import { reconcile, releaseStrandedAgents } from './reconcile.ts'
import type { LiveCallStore } from './store.ts'

export type { CallFlowEvents } from './machine-types.ts'

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

/** What CallFlow.rejoin did; call control turns the refusals into API errors. */
export type RejoinResult =
  | { ok: true; callId: string; channelId: string; rejoinBy: number }
  | { ok: false; reason: 'no-call' | 'not-rejoinable' }

/** Events whose steps never read the directory (the offer and answer path): no lookup before them. */
const WITHOUT_DIRECTORY: ReadonlySet<CallEvent['type']> = new Set(['offer', 'seat-answered', 'recording', 'rejoin', 'rejoin-dial-failed', 'rejoin-answered', 'adopt-failed', 'released-for-callback'])

export class CallFlow extends EventEmitter<CallFlowEvents> {
  readonly timers: DueTimers<CallTimer>
  readonly channelToCall = new Map<string, string>()
  /** Holding bridges this process created or found (effects.ts joinHold). */
  readonly holdBridges = new Set<string>()
  readonly router: AriRouter
  readonly effects: CallEffects
  private directorySeen: CallPolicy['queues'] = new Map()

  constructor(readonly deps: CallFlowDeps) {
    super()
    this.router = deps.router
    this.timers = new DueTimers<CallTimer>(deps.timers ?? clockTimers(deps.clock), (callId, kind, at) => {
      void this.router.inCallLane(callId, () => this.onTimer(callId, kind, at))
        .catch((err) => this.deps.log.error({ err, callId, timer: kind }, 'call timer failed'))
    })
    this.effects = new CallEffects({
      rest: deps.rest, live: deps.live, records: deps.records, waiting: deps.waiting, agents: deps.agents, metrics: deps.metrics, timers: this.timers,
      channels: this.channelToCall, holdBridges: this.holdBridges, notifier: this, requestDispatch: deps.requestDispatch, log: deps.log, settings: deps.settings
    })
    const r = this.router
    r.resolveCallsWith((channelId) => this.callIdOf(channelId))
    r.onEntry(STASIS_ENTRY.agentLeg, (channel, [callId]) => callId ? r.inCallLane(callId, () => this.apply(callId, { type: 'seat-answered', channelId: channel.id }).then(() => {})) : this.hangupStray(channel.id))
    r.onEntry(STASIS_ENTRY.agentRejoin, (channel, [callId]) => callId ? r.inCallLane(callId, () => this.apply(callId, { type: 'rejoin-answered', channelId: channel.id }).then(() => {})) : this.hangupStray(channel.id))
    r.onEntry(STASIS_ENTRY.inbound, (channel, [dialled, arrivedMs]) => this.arrive(channel, dialled, arrivedMs))
    r.onUnknownEntry((channel, args, event) => {
      if (event.args.length === 0) return this.arrive(channel, undefined)
      this.deps.log.warn({ args: event.args, channel: channel.name }, 'unknown Stasis entry; hanging up')
      return this.hangupStray(channel.id)
    })
    r.onCallChannel((event, callId) => this.onCallChannelEvent(event, callId))
    r.onPlayback('greeting', (ref) => ref.kind === 'greeting' ? r.inCallLane(ref.callId, () => this.apply(ref.callId, { type: 'greeting-done' }).then(() => {})) : Promise.resolve())
  }

  /**
   * What the machine reads besides the call. The directory (cached, refreshed every few seconds)
   * is looked up for the call's line; on the offer and answer path the last seen copy is used.
   */
  async policy(lineNumber: string | null, fresh = true, known?: LineConfig | null): Promise<CallPolicy> {
    const s = this.deps.settings
    const lines = new Map<string, LineConfig>()
    if (fresh) {
      this.directorySeen = await this.deps.directory.allQueues()
      const line = known ?? (lineNumber ? await this.deps.directory.line(lineNumber) : undefined)
      if (line) lines.set(line.number, line)
    }
    return { greetingLimitMs: s.greetingLimitMs, rejoin: s.rejoin, callbackOfferAfterMs: s.callbackOfferAfterMs ?? 0, queues: this.directorySeen, lines }
  }

  /** Steps the call's record with `event` and carries the step out; in the call's lane. Null: no such call. */
  async apply(callId: string, event: CallEvent): Promise<RunResult | null> {
    const call = await this.deps.live.getCall(callId)
    if (!call) return null
    return this.drive(call, event)
  }

  /** Steps a call already read, and runs the effects (replies stepped the same way). */
  async drive(call: Call, event: CallEvent): Promise<RunResult> {
    return this.run(step(call, event, this.deps.clock.now(), await this.policyFor(call, event)))
  }

  run(first: Step): Promise<RunResult> {
    return this.effects.run(first, async (c, ev) => step(c, ev, this.deps.clock.now(), await this.policyFor(c, ev)))
  }

  private policyFor(call: Call, event: CallEvent): Promise<CallPolicy> {
    return this.policy(call.lineNumber, !WITHOUT_DIRECTORY.has(event.type))
  }

  private hangupStray(channelId: string): Promise<void> {
    return ignoreGone(this.deps.rest.hangup(channelId))
  }

  private arrive(channel: AriChannel, dialled: string | undefined, arrivedMs?: string): Promise<void> {
    const callId = randomUUID()
    this.channelToCall.set(channel.id, callId)
    const arrival = pbxArrival(arrivedMs, this.deps.clock.now())
    return this.router.inCallLane(callId, async () => {
      const number = dialled ?? channel.dialplan?.exten ?? ''
      const now = this.deps.clock.now()
      const line = (await this.deps.directory.lineFor(number)) ?? null
      const route = line ? routeArrival(line, now, this.deps.settings.timeZone, await this.deps.staffing.signedInServing(line.queueId)) : null
      const policy = await this.policy(line?.number ?? null, true, line)
      await this.run(arrive({
        callId, channelId: channel.id, callerNumber: channel.caller.number, dialled: number, arrival, line, route,
        greeting: line ? line.greeting ?? this.deps.settings.greeting : null
      }, now, policy))
    })
  }

  /** Work on a call that must not interleave with its ARI events (e.g. re-ordering its queue entry). */
  runInCallLane<T>(callId: string, work: () => Promise<T>): Promise<T> {
    return this.router.inCallLane(callId, work)
  }

  /** A supervisor moves a waiting caller to another queue: the overflow path, logged as an overflow with the reason. */
  moveQueued(callId: string, fromQueueId: string, toQueueId: string, reason: string): Promise<'moved' | 'not-waiting'> {
    return this.router.inCallLane(callId, async () => {
      const r = await this.apply(callId, { type: 'overflow', from: fromQueueId, to: toQueueId, reason })
      return r && !r.refused && !r.stopped ? 'moved' : 'not-waiting'
    })
  }

  /** Stasis end and destruction of a call's channels, in the call's lane. */
  private async onCallChannelEvent(event: ChannelEvent, callId: string): Promise<void> {
    if (event.type === 'ChannelDtmfReceived') return
    const r = await this.apply(callId, { type: 'channel-gone', channelId: event.channel.id, cause: event.type === 'ChannelDestroyed' ? event.cause : null })
    if (!r || r.refused === 'ended') this.channelToCall.delete(event.channel.id)
  }

  /** A due time of the call's record came. Stale timers (the phase moved on) do nothing. */
  private async onTimer(callId: string, kind: CallTimer, at: number): Promise<void> {
    const call = await this.deps.live.getCall(callId)
    if (!call) return
    const announce = kind === 'announce' && call.phase === 'waiting' && call.queueId && dueTimes(call).announce === at ? await this.announceFacts(call.queueId, callId) : undefined
    await this.drive(call, { type: 'timer', kind, at, announce })
  }

  private async announceFacts(queueId: string, callId: string): Promise<AnnounceFacts> {
    const position = positionInQueue(await this.deps.waiting.waiting([queueId]), callId)
    if (position === null) return { position, serving: 0, averageHandleSeconds: 0 }
    return { position, serving: await this.deps.staffing.signedInServing(queueId), averageHandleSeconds: await this.deps.staffing.averageHandleSeconds(queueId) }
  }

  private async callIdOf(channelId: string): Promise<string | null> {
    return this.channelToCall.get(channelId) ?? (await this.deps.live.callIdForChannel(channelId))
  }

  /**
   * Rings the agent's seat for a caller the ACD has claimed from the queue. Returns false when
   * the call can no longer be offered (the ACD then releases the agent).
   */
  offer(entry: QueueEntry, agent: AgentLive, ringTimeoutSeconds: number): Promise<boolean> {
    return this.router.inCallLane(entry.callId, async () => {
      const call = await this.deps.live.getCall(entry.callId)
      if (!call || call.phase !== 'waiting' || !agent.seat) return false
      const r = await this.drive(call, { type: 'offer', agentId: agent.agentId, seat: agent.seat, ringTimeoutSeconds })
      return !r.refused
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
    releaseForCallback: async (callId: string, keep: (call: LiveCall, entry: QueueEntry) => Promise<boolean>): Promise<boolean> => {
      const call = await this.deps.live.getCall(callId)
      if (!call || call.phase !== 'waiting' || !call.queueId) return false
      const entry = await this.deps.waiting.get(callId)
      if (!entry || !(await this.deps.waiting.remove(call.queueId, callId))) return false
      if (!(await keep(liveView(call), entry))) {
        await this.deps.waiting.add(entry)
        return false
      }
      await this.drive(call, { type: 'released-for-callback' })
      return true
    },
    agentHangup: async (agentId: string, callId: string): Promise<boolean> => {
      const r = await this.apply(callId, { type: 'agent-hangup', agentId })
      return !!r && !r.refused
    },
    handOff: async (callId: string, agentId: string, farChannelId: string): Promise<LiveCall | null> => {
      const call = await this.deps.live.getCall(callId)
      if (!call) return null
      const formerLeg = call.phase === 'talking' && call.leg.state === 'up' ? call.leg.channelId : null
      const r = await this.drive(call, { type: 'hand-off', agentId, targetChannelId: farChannelId })
      return r.refused ? null : { ...liveView(r.call), agentChannelId: formerLeg }
    }
  }

  /**
   * The agent hangs up through the server (call control): marked first, in the call's lane, so
   * the leg's end is read as the agent's hang-up and never waits for a rejoin. Without a leg
   * (waiting for a rejoin) the call ends here. Returns false when it is not this agent's talking call.
   */
  agentHangup(agentId: string, callId: string): Promise<boolean> {
    return this.router.inCallLane(callId, () => this.inLane.agentHangup(agentId, callId))
  }

  /**
   * Transfer: `farChannelId` (a transfer target, see control.ts) takes the agent's place in the
   * call, so the usual teardown (either side hangs up → the other is hung up, the recording
   * stopped, the bridge destroyed) keeps working; the agent's own leg no longer belongs to the
   * call and the agent goes to wrap-up now. Returns the call with the agent's former channel in
   * agentChannelId (for the caller to hang up), or null when it is not this agent's talking call.
   */
  handOff(callId: string, agentId: string, farChannelId: string): Promise<LiveCall | null> {
    return this.router.inCallLane(callId, () => this.inLane.handOff(callId, agentId, farChannelId))
  }

  /**
   * The agent's (reloaded) panel asks to be put back in its talking call: the seat is dialled
   * again (the panel answers by itself) and joins the mixing bridge on answer.
   */
  rejoin(agentId: string, callId: string): Promise<RejoinResult> {
    return this.router.inCallLane(callId, async (): Promise<RejoinResult> => {
      const r = await this.apply(callId, { type: 'rejoin', agentId })
      if (!r || r.refused === 'no-call' || r.refused === 'ended') return { ok: false, reason: 'no-call' }
      const call = r.call
      if (r.refused || r.stopped || call.phase !== 'talking' || call.leg.state !== 'lost' || !call.leg.rejoinChannelId || !this.deps.settings.rejoin) return { ok: false, reason: 'not-rejoinable' }
      return { ok: true, callId, channelId: call.leg.rejoinChannelId, rejoinBy: call.leg.lostAt + this.deps.settings.rejoin.graceMs }
    })
  }

  /** When a call waiting for its seat to rejoin ends (ms epoch); null when the seat is in the call. */
  rejoinBy(call: LiveCall): number | null {
    return call.agentLegLostAt && this.deps.settings.rejoin ? call.agentLegLostAt + this.deps.settings.rejoin.graceMs : null
  }

  adoptFollowUp(...args: Parameters<typeof adoptFollowUp> extends [CallFlow, ...infer R] ? R : never): Promise<boolean> { return adoptFollowUp(this, ...args) }
  adoptCallback(...args: Parameters<typeof adoptCallback> extends [CallFlow, ...infer R] ? R : never): Promise<boolean> { return adoptCallback(this, ...args) }
  reconcile(): Promise<{ kept: number; lost: number }> { return reconcile(this) }
  releaseStrandedAgents(isReserved: (callId: string) => boolean, graceMs?: number): Promise<number> { return releaseStrandedAgents(this, isReserved, graceMs) }

  /** Resolves when every call lane has drained. */
  async idle(): Promise<void> {
    await this.router.idle()
    this.timers.clearAll()
  }
}
