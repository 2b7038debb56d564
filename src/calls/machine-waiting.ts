/**
 * The call machine before an agent: arrival (route, answer, greeting), the queue (holding
 * bridge, waiting list), the waiting timers (overflow, position announcement, callback offer)
 * and outbound channels adopted as calls. Pure: each function returns the next call and the
 * effects, in the order they must run.
 */
import { overflowPlan } from '../lines/rules.ts'
import { playbackIds } from '../pbx/ari/ids.ts'
import { expectedWaitSeconds } from '../lines/rules.ts'
import type { ActiveCall, Arriving, Call, CallBase, Waiting } from './call-state.ts'
import { liveView } from './call-state.ts'
import { log, type AdoptionFacts, type AnnounceFacts, type ArrivalFacts, type CallPolicy, type Effect, type Step } from './machine-types.ts'
import { positionAnnouncement, waitingTimers } from './rules.ts'
import type { CallOutcome, EndedBy } from './model.ts'
import type { QueueLogEvent } from './store.ts'

/** A citizen's call entered Stasis: record it, route it, answer, greet (or queue at once). */
export function arrive(f: ArrivalFacts, now: number, policy: CallPolicy): Step {
  const call: Arriving = {
    callId: f.callId, phase: 'arriving', callerChannelId: f.channelId, callerNumber: f.callerNumber || 'anonymous', dialledNumber: f.dialled,
    lineNumber: f.line?.number ?? null, queueId: f.route?.queueId ?? null, priority: f.line?.priority ?? 0, arrivedAt: f.arrival.arrivedAt,
    origin: { kind: 'inbound' }, offerAttempts: 0, offeredAt: null, callbackOfferedAt: null
  }
  const fx: Effect[] = [
    log('info', 'call arrived', { dialled: f.dialled, line: call.lineNumber, channelId: f.channelId }),
    { type: 'persist', call },
    { type: 'write-call', what: 'arrived', call: liveView(call) }
  ]
  const { line, route } = f
  if (line && route && route.reason !== 'line-queue') {
    // The line's own seats cannot take this caller now; the 12345 pool does (7×24 service).
    const detail = { from: line.queueId, to: route.queueId, reason: route.reason }
    fx.push({ type: 'queue-log', call: liveView(call), event: 'overflowed', at: now, detail }, log('info', 'routed to the overflow queue', detail))
  }
  if (!line) {
    fx.push(log('error', 'no line configured for this number and no main line; hanging up', { dialled: f.dialled }), { type: 'hangup', channelId: f.channelId, reason: 'congestion' })
    return then(fx, finish(call, 'failed', 'system', null, now))
  }
  // A caller gone meanwhile: their StasisEnd (queued behind this step) ends the call.
  fx.push({ type: 'answer', channelId: f.channelId, ifGone: 'stop' }, { type: 'tag-channel', channelId: f.channelId, ifGone: 'stop' })
  // A caller the PBX held while no node served the app heard the greeting there already.
  if (f.greeting && !f.arrival.heldByPbx) {
    // The greeting's end comes as PlaybackFinished; the due time covers a lost event.
    const greeting: Call = { ...call, phase: 'greeting', greetingDue: now + policy.greetingLimitMs }
    fx.push({ type: 'play', channelId: f.channelId, media: f.greeting, playbackId: playbackIds.greeting(f.callId), ifGone: 'stop' }, { type: 'persist', call: greeting })
    return { call: greeting, effects: fx }
  }
  return then(fx, enqueue(call, now, policy, f.arrival.heldByPbx ? f.arrival.arrivedAt : null))
}

/**
 * Into the queue's holding bridge with music, and routable. `queuedAt`: a caller the PBX held
 * keeps their place from their arrival at the PBX.
 */
export function enqueue(call: ActiveCall & CallBase, now: number, policy: CallPolicy, queuedAt: number | null = null): Step {
  const queueId = call.queueId!
  const waiting: Waiting = {
    ...baseOf(call), phase: 'waiting', queuedAt: queuedAt ?? ('queuedAt' in call && call.queuedAt !== null ? call.queuedAt : now),
    overflow: null, announceDue: null, callbackOfferDue: null
  }
  const fx: Effect[] = [
    { type: 'join-hold', queueId, channelId: call.callerChannelId, ifGone: 'stop' },
    { type: 'persist', call: waiting },
    { type: 'queue-add', entry: { callId: call.callId, queueId, priority: call.priority, enteredAt: waiting.queuedAt, skills: [] } },
    // The ACD may pick this caller at once; its offer waits for this lane, so the records below
    // are still written before the offer's.
    { type: 'dispatch' },
    { type: 'write-call', what: 'queued', call: liveView(waiting) },
    { type: 'metric', name: 'callsEntered', queueId },
    log('info', 'call queued'),
    { type: 'notify', event: 'queue-changed', args: [queueId] },
    { type: 'notify', event: 'queued', args: [liveView(waiting)] }
  ]
  return then(fx, armWaiting(waiting, now, policy))
}

/** Overflow, announcement and callback offer for a waiting caller, re-armed whenever they (re)join a queue. */
export function armWaiting(call: Waiting, now: number, policy: CallPolicy): Step {
  const queue = call.queueId ? policy.queues.get(call.queueId) : undefined
  if (!queue) return { call, effects: [] }
  const line = call.lineNumber ? policy.lines.get(call.lineNumber) ?? null : null
  const timers = waitingTimers({ queuedAt: call.queuedAt, arrivedAt: call.arrivedAt, callbackOf: call.origin.kind === 'callback' ? call.origin.callbackOf : null, callbackOfferedAt: call.callbackOfferedAt }, now, {
    overflow: overflowPlan(line, queue, now - call.queuedAt), announceEverySeconds: queue.announceEverySeconds, callbackOfferAfterMs: policy.callbackOfferAfterMs
  })
  const { untimed: _untimed, ...rest } = call
  const next: Waiting = {
    ...rest,
    overflow: timers.overflowTo && typeof timers.due.overflow === 'number' ? { due: timers.due.overflow, to: timers.overflowTo } : null,
    announceDue: timers.due.announce ?? null, callbackOfferDue: timers.due.callbackOffer ?? null
  }
  return { call: next, effects: [{ type: 'persist', call: next }, { type: 'notify', event: 'waiting-timers', args: [liveView(next)] }] }
}

/** A waiting caller's timer came: overflow, announcement or callback offer. */
export function waitingTimer(call: Waiting, kind: 'overflow' | 'announce' | 'callbackOffer', now: number, policy: CallPolicy, announce?: AnnounceFacts): Step {
  switch (kind) {
    case 'overflow': {
      const to = call.overflow?.to
      const next: Waiting = { ...call, overflow: null }
      const fx: Effect[] = [{ type: 'persist', call: next }]
      if (!to || !call.queueId) return { call: next, effects: fx }
      return then(fx, overflow(next, call.queueId, to, 'max-wait'))
    }
    case 'announce': {
      const next: Waiting = { ...call, announceDue: null }
      const fx: Effect[] = [{ type: 'persist', call: next }]
      if (announce && announce.position !== null) {
        // "您前面还有 N 位来电在等待，预计等待时间约 M 分钟", then back to the music.
        const media = positionAnnouncement(announce.position, expectedWaitSeconds(announce.position, announce.serving, announce.averageHandleSeconds)).join(',')
        fx.push({ type: 'play', channelId: call.callerChannelId, media, playbackId: playbackIds.announcement(call.callId, now), ifGone: 'ignore' })
      }
      return then(fx, armWaiting(next, now, policy))
    }
    case 'callbackOffer': {
      const next: Waiting = { ...call, callbackOfferDue: null, callbackOfferedAt: now }
      return { call: next, effects: [{ type: 'persist', call: next }, { type: 'notify', event: 'callback-offer-due', args: [liveView(next)] }] }
    }
  }
}

/** Move a waiting caller to another queue, if this node claims the queue entry (nobody is offering it right now). */
export function overflow(call: Waiting, from: string, to: string, reason: string): Step {
  if (call.queueId !== from) return { call, effects: [], refused: 'not-waiting' }
  return { call, effects: [{ type: 'queue-remove', queueId: from, callId: call.callId, claimed: { type: 'overflow-claimed', from, to, reason } }] }
}

/** The entry is ours: the caller moves, keeping their place in time. */
export function overflowClaimed(call: Waiting, from: string, to: string, reason: string, now: number, policy: CallPolicy): Step {
  const moved: Waiting = { ...call, queueId: to }
  const fx: Effect[] = [
    { type: 'queue-log', call: liveView(call), event: 'overflowed', at: now, detail: { from, to, reason } },
    { type: 'leave-hold', queueId: from, channelId: call.callerChannelId },
    { type: 'join-hold', queueId: to, channelId: call.callerChannelId, ifGone: 'ignore' },
    { type: 'persist', call: moved },
    { type: 'queue-add', entry: { callId: call.callId, queueId: to, priority: call.priority, enteredAt: call.queuedAt, skills: [] } },
    log('info', 'caller overflowed to another queue', { from, to }),
    { type: 'notify', event: 'queue-changed', args: [from] },
    { type: 'notify', event: 'queue-changed', args: [to] }
  ]
  const armed = armWaiting(moved, now, policy)
  return { call: armed.call, effects: [...fx, ...armed.effects, { type: 'dispatch' }] }
}

/** The caller left the queue for a callback (the edge took the entry and stored the callback). */
export function releasedForCallback(call: Waiting, now: number): Step {
  const fx: Effect[] = [
    { type: 'leave-hold', queueId: call.queueId!, channelId: call.callerChannelId },
    log('info', 'caller left the queue for a callback', { waitMs: now - call.queuedAt })
  ]
  const done = then(fx, finish(call, 'callback', 'caller', null, now))
  return { ...done, effects: [...done.effects, { type: 'notify', event: 'queue-changed', args: [call.queueId!] }] }
}

/**
 * An answered outbound channel (follow-up or callback) becomes a call in the queue's holding
 * bridge; a follow-up waits like any caller, a callback then rings its reserved agent (`ring`,
 * done by the caller of this function with the offer step).
 */
export function adopt(f: AdoptionFacts, now: number): Step {
  const call: Waiting = {
    callId: f.callId, phase: 'waiting', callerChannelId: f.channelId, callerNumber: f.callerNumber, dialledNumber: f.callerNumber,
    lineNumber: f.lineNumber, queueId: f.queueId, priority: 0, arrivedAt: now, origin: f.origin, offerAttempts: 0, offeredAt: null,
    callbackOfferedAt: null, queuedAt: now, overflow: null, announceDue: null, callbackOfferDue: null
  }
  const fx: Effect[] = [
    { type: 'persist', call },
    { type: 'write-call', what: 'arrived', call: liveView(call) },
    { type: 'tag-channel', channelId: f.channelId, ifGone: { type: 'adopt-failed' } },
    { type: 'join-hold', queueId: f.queueId, channelId: f.channelId, ifGone: { type: 'adopt-failed' } }
  ]
  if (f.origin.kind === 'follow-up') {
    fx.push(
      { type: 'queue-add', entry: { callId: f.callId, queueId: f.queueId, priority: 0, enteredAt: now, skills: [] } },
      { type: 'dispatch' },
      { type: 'write-call', what: 'queued', call: liveView(call) },
      { type: 'notify', event: 'queue-changed', args: [f.queueId] }
    )
  } else {
    fx.push({ type: 'write-call', what: 'queued', call: liveView(call) }, log('info', 'callback answered; ringing the reserved agent', { callbackOf: f.origin.callbackOf, seat: f.ring?.seat }))
  }
  return { call, effects: fx }
}

/** The call is over: its end written, its record gone, its listeners told. */
export function finish(call: ActiveCall, outcome: CallOutcome, endedBy: EndedBy, logEvent: QueueLogEvent | null, now: number): Step {
  const ended: Call = { ...baseOf(call), phase: 'ended', outcome, endedBy, endedAt: now, last: call }
  const view = liveView(ended)
  const fx: Effect[] = [
    { type: 'write-ended', call: view, at: now, outcome, endedBy, logEvent },
    { type: 'remove', call: ended },
    { type: 'notify', event: 'ended', args: [view, outcome, endedBy] }
  ]
  if (call.queueId && (outcome === 'abandoned' || outcome === 'pbx-lost')) fx.push({ type: 'notify', event: 'queue-changed', args: [call.queueId] })
  return { call: ended, effects: fx }
}

/** The fields every phase has, without the phase's own. */
export function baseOf(call: CallBase): CallBase {
  return {
    callId: call.callId, callerChannelId: call.callerChannelId, callerNumber: call.callerNumber, dialledNumber: call.dialledNumber,
    lineNumber: call.lineNumber, queueId: call.queueId, priority: call.priority, arrivedAt: call.arrivedAt, origin: call.origin,
    offerAttempts: call.offerAttempts, offeredAt: call.offeredAt, callbackOfferedAt: call.callbackOfferedAt
  }
}

/** `first` effects, then the step `next`. */
export function then(first: Effect[], next: Step): Step {
  return { ...next, effects: [...first, ...next.effects] }
}
