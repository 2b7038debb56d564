/**
 * Callbacks (回拨) for callers who could not wait.
 *
 * - Offer: after a configurable wait a queued caller hears that pressing 1 hangs up and books
 *   a callback. Pressing it takes the caller's queue entry and puts a callback entry (kind
 *   'callback') in its place, same priority and same arrival time: the place is kept.
 * - Abandon: a caller who hangs up after the grace period gets a callback task; it joins the
 *   queue (at the back) when due. One pending callback per number (a unique index).
 * - Turn: when the ACD picks a callback entry it has already reserved a ready agent; the
 *   attempt is written, then the citizen is dialled. On answer the call flow adopts the
 *   channel and rings the reserved agent (screen pop: "callback", with the original call). No
 *   answer releases the agent and the task follows the back-off rules (rules.ts).
 * - A new call from the same number that reaches an agent cancels the pending callback.
 */
import type { Logger } from 'pino'
import type { AgentLive } from '../agents/model.ts'
import type { AgentService } from '../agents/service.ts'
import type { LiveCall } from '../calls/model.ts'
import type { CallFlow } from '../calls/service.ts'
import type { LiveCallStore } from '../calls/store.ts'
import type { Clock } from '../domain/clock.ts'
import type { AttemptOutcome } from '../dialer/model.ts'
import { afterAttempt, attemptStanding, dialEndpoint, unansweredOutcome } from '../dialer/rules.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { playbackIds, STASIS_ENTRY } from '../pbx/ari/ids.ts'
import type { AriRouter, ChannelEvent } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { QueueEntry } from '../queueing/model.ts'
import type { QueueWaitingStore } from '../queueing/store.ts'
import type { CallbackStore, CallbackTask } from './store.ts'
import type { NumberPlan } from '../number-plan/rules.ts'

export const CALLBACK_ENTRY = STASIS_ENTRY.callback
const CALLBACK_KEY = '1'

export interface CallbackSettings {
  app: string
  timeZone: string
  /** ms a caller waits before the offer; 0: never offered. */
  offerAfterMs: number
  /** A caller who hung up after waiting this long gets a callback; 0: none. */
  abandonAfterMs: number
  maxAttempts: number
  retryMinutes: number[]
  ringSeconds: number
  trunkId: string
  callerId: string
  /** Kinds of numbers that may be called back (HOTLINE_NUMBER_PLAN); a caller id outside it fails the attempt. */
  numberPlan: NumberPlan
  /** ms between passes that queue due callbacks; 0: tests call tick(). */
  tickMs: number
}

interface Dialling { attemptId: string; taskId: number; agentId: string; seat: string | null; entryCallId: string; ringTimeoutSeconds: number }

export class CallbackService {
  /** Channels hearing the confirmation before we hang up. */
  private readonly confirming = new Map<string, NodeJS.Timeout>()
  private readonly dialling = new Map<string, Dialling>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly deps: {
    store: CallbackStore; calls: CallFlow; liveCalls: LiveCallStore; waiting: QueueWaitingStore; agents: AgentService
    rest: AriRest; clock: Clock; log: Logger; settings: CallbackSettings; requestDispatch: () => void; router: AriRouter
  }) {}

  attach(): void {
    const { calls, router } = this.deps
    router.onEntry(CALLBACK_ENTRY, (channel, args) => router.inChannelLane(channel.id, () => this.onAnswered(channel, args)))
    // The offer's due time is in the call's record (CallFlowSettings.callbackOfferAfterMs), so a
    // restarted server re-arms it timed from the caller's original entry, and so does a caller's
    // return after a failed offer; the call flow says when it is due, in the call's lane.
    calls.on('callback-offer-due', (call) => { void this.offer(call).catch((err) => this.deps.log.warn({ err: (err as Error).message, callId: call.callId }, 'callback offer failed')) })
    calls.on('ended', (call, outcome) => {
      if (outcome === 'abandoned') void this.onAbandoned(call).catch((err) => this.deps.log.warn({ err, callId: call.callId }, 'automatic callback not created'))
    })
    calls.on('answered', (call) => {
      if (!call.callbackOf) void this.onReachedAgent(call).catch((err) => this.deps.log.warn({ err, callId: call.callId }, 'pending callback not cancelled'))
    })
    // Key presses of waiting callers, in their call's lane (shared with the call flow).
    router.onCallChannel((event, callId) => this.onCallChannelEvent(event, callId))
    router.onOwnedChannel('callback', (event) => event.type === 'ChannelDestroyed' ? router.inChannelLane(event.channel.id, () => this.onUnanswered(event.channel.id, event.cause)) : Promise.resolve())
    router.onPlayback('callback-confirm', (ref) => ref.kind === 'callback-confirm' ? this.hangupConfirmed(ref.channelId) : Promise.resolve())
  }

  start(): void {
    if (this.deps.settings.tickMs <= 0 || this.timer) return
    this.timer = setInterval(() => { void this.tick().catch((err) => this.deps.log.error({ err }, 'callback tick failed')) }, this.deps.settings.tickMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    for (const t of this.confirming.values()) clearTimeout(t)
  }

  private async offer(call: LiveCall): Promise<void> {
    if (call.phase !== 'queued' || !call.queueId) return
    await this.deps.rest.play(call.callerChannelId, 'sound:hotline/callback-offer', playbackIds.callbackOffer(call.callId)).catch(() => undefined)
    await this.deps.store.log({ originalCallId: call.callId, queueId: call.queueId, lineNumber: call.lineNumber }, 'callback-offered', this.deps.clock.now(), {})
  }

  private async onCallChannelEvent(event: ChannelEvent, callId: string): Promise<void> {
    if (event.type !== 'ChannelDtmfReceived' || event.digit !== CALLBACK_KEY) return
    const call = await this.deps.liveCalls.get(callId)
    // Only a caller who heard the offer books by pressing 1.
    if (!call || !call.callbackOfferedAt || event.channel.id !== call.callerChannelId) return
    await this.onKey(event.channel.id, callId)
  }

  /** In the call's lane. */
  private async onKey(channelId: string, callId: string): Promise<void> {
    const { clock, store, calls, waiting } = this.deps
    let booked: CallbackTask | null = null
    const released = await calls.inLane.releaseForCallback(callId, async (call, entry) => {
      const now = clock.now()
      booked = await store.create({
        callerNumber: call.callerNumber, lineNumber: call.lineNumber, queueId: entry.queueId, originalCallId: call.callId, reason: 'requested',
        placeAt: entry.enteredAt, dueAt: now, queued: true, now
      })
      if (!booked) return false
      // The kept place: same queue, priority and arrival time as the caller's own entry.
      await waiting.add({ callId: booked.entryCallId!, queueId: entry.queueId, priority: entry.priority, enteredAt: entry.enteredAt, skills: entry.skills, kind: 'callback' })
      await store.log(booked, 'callback-requested', now, { taskId: booked.id, waitedMs: now - entry.enteredAt })
      return true
    })
    if (!released || !booked) return
    this.deps.log.info({ callId, taskId: (booked as CallbackTask).id }, 'callback booked; the caller keeps their place')
    await this.deps.rest.play(channelId, 'sound:hotline/callback-confirm', `cb-confirm-${channelId}`).catch(() => undefined)
    const guard = setTimeout(() => { void this.hangupConfirmed(channelId) }, 12_000)
    guard.unref()
    this.confirming.set(channelId, guard)
    this.deps.requestDispatch()
  }

  private async hangupConfirmed(channelId: string): Promise<void> {
    const guard = this.confirming.get(channelId)
    if (!guard) return
    clearTimeout(guard)
    this.confirming.delete(channelId)
    await this.deps.rest.hangup(channelId).catch(() => undefined)
  }

  private async onAbandoned(call: LiveCall): Promise<void> {
    const { settings, clock, store } = this.deps
    if (settings.abandonAfterMs <= 0 || call.callbackOf || !call.queueId || !call.queuedAt) return
    if (!/^\+?[0-9]{3,32}$/.test(call.callerNumber)) return // anonymous: nobody to call back
    const now = clock.now()
    if (now - call.queuedAt < settings.abandonAfterMs) return
    const task = await store.create({ callerNumber: call.callerNumber, lineNumber: call.lineNumber, queueId: call.queueId, originalCallId: call.callId, reason: 'abandoned', placeAt: null, dueAt: now, queued: false, now })
    if (task) {
      await store.log(task, 'callback-scheduled', now, { taskId: task.id, waitedMs: now - call.queuedAt })
      this.deps.log.info({ callId: call.callId, taskId: task.id }, 'abandoned caller will be called back')
    }
  }

  private async onReachedAgent(call: LiveCall): Promise<void> {
    for (const task of await this.deps.store.cancelPending(call.callerNumber, this.deps.clock.now())) {
      if (task.entryCallId) await this.deps.waiting.remove(task.queueId, task.entryCallId)
      await this.deps.store.log(task, 'callback-cancelled', this.deps.clock.now(), { taskId: task.id, byCall: call.callId })
      this.deps.log.info({ taskId: task.id, callId: call.callId }, 'pending callback cancelled: the caller reached an agent')
    }
  }

  /** Due callbacks (automatic ones, retries) join the queue at the back. Returns how many. */
  async tick(): Promise<number> {
    const now = this.deps.clock.now()
    const due = await this.deps.store.claimDue(now, 50)
    for (const task of due) {
      await this.deps.waiting.add({ callId: task.entryCallId!, queueId: task.queueId, priority: 0, enteredAt: now, skills: [], kind: 'callback' })
    }
    if (due.length > 0) this.deps.requestDispatch()
    return due.length
  }

  /**
   * The ACD's turn for a callback entry: the agent is reserved. Record the attempt, then dial.
   * True keeps the agent reserved until the citizen answers or not.
   */
  async dialFor(entry: QueueEntry, agent: AgentLive, ringTimeoutSeconds: number): Promise<boolean> {
    const { store, rest, clock, settings, log } = this.deps
    const task = await store.byEntry(entry.callId)
    if (!task || task.status !== 'queued') return false
    const trunk = (await store.trunks()).find((t) => t.id === settings.trunkId)
    if (!trunk) { log.error({ trunk: settings.trunkId }, 'callback trunk not configured'); return false }
    const started = await store.startAttempt(task, { trunkId: trunk.id, agentId: agent.agentId, seat: agent.seat, now: clock.now() })
    if (!started) return false
    this.dialling.set(started.channelId, { attemptId: started.attemptId, taskId: task.id, agentId: agent.agentId, seat: agent.seat, entryCallId: entry.callId, ringTimeoutSeconds })
    try {
      await rest.originate({
        channelId: started.channelId, endpoint: dialEndpoint(trunk.dialTemplate, trunk.id, task.callerNumber, settings.numberPlan), app: settings.app,
        appArgs: `${CALLBACK_ENTRY},${started.attemptId}`, callerId: settings.callerId, timeoutSeconds: settings.ringSeconds,
        variables: { 'PJSIP_HEADER(add,X-Hotline-Attempt)': started.channelId }
      })
    } catch (err) {
      log.warn({ err: (err as Error).message, taskId: task.id }, 'callback originate failed')
      this.dialling.delete(started.channelId)
      await this.finish(task, started.attemptId, 'failed', null)
      return false
    }
    const now = clock.now()
    await store.markDialled(started.attemptId, now)
    await store.log(task, 'callback-dialled', now, { taskId: task.id, attempt: started.attemptNo, agentId: agent.agentId }, agent.agentId)
    log.info({ taskId: task.id, attempt: started.attemptNo, agentId: agent.agentId }, 'calling back; agent reserved')
    return true
  }

  /** In the channel's lane. */
  private onAnswered(channel: AriChannel, args: string[]): Promise<void> {
    return (async () => {
      const { store, calls, clock, log, rest } = this.deps
      const d = this.dialling.get(channel.id)
      const task = d ? await store.get(d.taskId) : null
      if (!d || !task || !args[0] || !(await store.markAnswered(args[0], clock.now()))) {
        log.warn({ channelId: channel.id }, 'answered callback has no open attempt; hanging up')
        await rest.hangup(channel.id).catch(() => undefined)
        return
      }
      this.dialling.delete(channel.id)
      const now = clock.now()
      const connected = await calls.adoptCallback(channel, {
        callId: d.entryCallId, callbackOf: task.originalCallId, callerNumber: task.callerNumber, lineNumber: task.lineNumber, queueId: task.queueId,
        agent: { agentId: d.agentId, seat: d.seat }, ringTimeoutSeconds: d.ringTimeoutSeconds
      })
      await store.markCallbackCall(d.entryCallId, task.originalCallId)
      if (!connected) {
        await this.releaseAgent(d)
        await this.finish(task, d.attemptId, 'hung-up', null)
        return
      }
      const original = await store.originalArrival(task.originalCallId)
      await store.finishAttempt({ attemptId: d.attemptId, taskId: task.id, outcome: 'connected', cause: null, at: now, connectedCallId: d.entryCallId }, { kind: 'done' })
      await store.log(task, 'callback-connected', now, { taskId: task.id, callId: d.entryCallId, sinceOriginalMs: original === null ? null : now - original }, d.agentId)
    })()
  }

  /** No answer (cause), or a channel that vanished without its end (null: the outcome is unknown). */
  private async onUnanswered(channelId: string, cause: number | null): Promise<void> {
    const d = this.dialling.get(channelId)
    if (!d) return
    this.dialling.delete(channelId)
    const task = await this.deps.store.get(d.taskId)
    await this.releaseAgent(d)
    if (task) await this.finish(task, d.attemptId, cause === null ? 'lost' : unansweredOutcome(cause), cause)
  }

  /** The reserved agent goes back to ready, and the ACD looks again. */
  private async releaseAgent(d: Dialling): Promise<void> {
    await this.deps.agents.tryApply(d.agentId, { type: 'offer-withdrawn', callId: d.entryCallId }, 'system')
    this.deps.requestDispatch()
  }

  private async finish(task: CallbackTask, attemptId: string, outcome: AttemptOutcome, cause: number | null): Promise<void> {
    const { settings, clock, store, log } = this.deps
    const now = clock.now()
    const decision = afterAttempt({
      outcome, tries: task.tries, now, timeZone: settings.timeZone, ignoreWindows: true,
      policy: { maxAttempts: settings.maxAttempts, retryMinutes: settings.retryMinutes, windows: [] }
    })
    if (!(await store.finishAttempt({ attemptId, taskId: task.id, outcome, cause, at: now }, decision))) return
    await store.log(task, decision.kind === 'unreachable' ? 'callback-unreachable' : 'callback-failed', now, { taskId: task.id, outcome, cause, next: decision.kind })
    log.info({ taskId: task.id, outcome, cause, decision: decision.kind }, 'callback attempt failed')
  }

  /**
   * After a restart, after every ARI reconnect and on a timer: attempts left open by another
   * process are lost (the reserved agent is freed and the task is due again); attempts this
   * process dialled whose channel is gone lost their end in an event gap and are closed the
   * same way; queued places whose Redis entry is gone are put back. Returns how many closed.
   */
  async recover(): Promise<{ lost: number; vanished: number }> {
    const { store, rest, waiting, router, clock, log } = this.deps
    // When the list was asked for: a callback dialled while it was on its way is not in it yet.
    const listedAt = clock.now()
    const channels = new Set((await rest.listChannels()).map((c) => c.id))
    let lost = 0
    let vanished = 0
    for (const a of await store.openAttempts()) {
      if (a.kind !== 'callback') continue
      const standing = attemptStanding(a, channels, this.dialling.has(a.channelId), listedAt)
      if (standing === 'current') continue
      if (standing === 'vanished') {
        await router.inChannelLane(a.channelId, async () => {
          if (!this.dialling.has(a.channelId)) return // its end was handled meanwhile
          vanished += 1
          log.warn({ taskId: a.taskId, attempt: a.attemptNo, channelId: a.channelId }, 'callback channel vanished without an event; releasing the agent and closing the attempt')
          await this.onUnanswered(a.channelId, null)
        })
        continue
      }
      const task = await store.get(a.taskId)
      if (!task) continue
      lost += 1
      if (channels.has(a.channelId)) await rest.hangup(a.channelId).catch(() => undefined)
      if (a.agentId && task.entryCallId) await this.releaseAgent({ attemptId: a.id, taskId: a.taskId, agentId: a.agentId, seat: null, entryCallId: task.entryCallId, ringTimeoutSeconds: 0 })
      await this.finish(task, a.id, 'lost', null)
    }
    for (const task of await store.queuedTasks()) {
      if (task.entryCallId && !(await waiting.get(task.entryCallId))) {
        await waiting.add({ callId: task.entryCallId, queueId: task.queueId, priority: 0, enteredAt: task.placeAt ?? task.dueAt, skills: [], kind: 'callback' })
      }
    }
    return { lost, vanished }
  }

  /** Whether the agent's reservation for `entryCallId` is a callback being dialled (not stranded). */
  isDialling(entryCallId: string): boolean {
    for (const d of this.dialling.values()) if (d.entryCallId === entryCallId) return true
    return false
  }

  /** Used by the composition root's ACD sink. */
  static isCallbackEntry(entry: QueueEntry): boolean {
    return entry.kind === 'callback'
  }
}
