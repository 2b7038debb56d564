/**
 * The call as the call machine (machine.ts) sees it: one phase at a time, each with the data
 * that phase has, instead of one record whose fields are null in most phases. This is also
 * what Redis keeps while the call lasts, so a restarted server (or another node) rebuilds the
 * whole call, due times included, from the record alone.
 *
 *   arriving → greeting → waiting ⇄ offering → talking → (handed-off) → ended
 *                            ↑ overflow ↓        ↕ agent leg lost / rejoined
 *
 * Other capabilities read a call through its flat view (LiveCall, model.ts): `liveView` makes
 * it, `fromLiveView` reads it back (records written before the machine existed).
 */
import type { CallOutcome, CallPhase, CallTimer, EndedBy, LiveCall } from './model.ts'

/** Where the call came from: a citizen's inbound call, or an outbound channel the dialer placed and the citizen answered. */
export type CallOrigin =
  | { kind: 'inbound' }
  /** A callback (src/callbacks/): the call the citizen made first, which this call returns. */
  | { kind: 'callback'; callbackOf: string }
  /** An agent-assisted follow-up (回访, src/followup/): the ticket to evaluate and the attempt. */
  | { kind: 'follow-up'; ticketId: string; attemptId: string }

/** What every phase has. */
export interface CallBase {
  callId: string
  callerChannelId: string
  callerNumber: string
  dialledNumber: string
  lineNumber: string | null
  /** Null only for a call no line takes (it ends at once as failed). */
  queueId: string | null
  priority: number
  /** When the call reached the PBX, ms epoch. */
  arrivedAt: number
  origin: CallOrigin
  /** Offers made so far (each rings a new seat channel). */
  offerAttempts: number
  /** When the last offer was made (kept after a failed offer, for the record). */
  offeredAt: number | null
  /** When the caller heard the callback offer (pressing 1 books the callback); heard once per call. */
  callbackOfferedAt: number | null
}

/** Answered (or adopted), not yet greeted or queued: the first record of the call. */
export interface Arriving extends CallBase { phase: 'arriving' }

/** The greeting plays; its end (PlaybackFinished) or greetingDue queues the caller. */
export interface Greeting extends CallBase { phase: 'greeting'; greetingDue: number }

/** In the queue's holding bridge with music, in the queue's waiting list. */
export interface Waiting extends CallBase {
  phase: 'waiting'
  queuedAt: number
  overflow: { due: number; to: string } | null
  announceDue: number | null
  callbackOfferDue: number | null
  /** A record from before due times were kept: a restart times it afresh. */
  untimed?: boolean
}

/** The ACD reserved an agent; the seat rings. ringDue guards a lost ring timeout. */
export interface Offering extends CallBase {
  phase: 'offering'
  queuedAt: number
  agentId: string
  seat: string
  agentChannelId: string
  offeredAt: number
  ringDue: number | null
}

/** The agent's leg of a talking call: in the bridge, or lost (a WebRTC seat that may rejoin). */
export type AgentLeg =
  /** hangingUp: the agent hung up through the server, so the leg's end ends the call. */
  | { state: 'up'; channelId: string; hangingUp: boolean }
  /** The caller hears music until graceDue; rejoinChannelId rings the seat again meanwhile. */
  | { state: 'lost'; lostAt: number; graceDue: number; rejoinChannelId: string | null }

interface Connected extends CallBase {
  queuedAt: number | null
  agentId: string
  seat: string
  offeredAt: number
  answeredAt: number
  /** The caller–agent mixing bridge; its recording (null if it did not start). */
  bridgeId: string
  recordingName: string | null
  /** Lost legs this call waited out for a rejoin (bounded by HOTLINE_SEAT_REJOIN_MAX). */
  rejoinCount: number
}

export interface Talking extends Connected { phase: 'talking'; leg: AgentLeg }

/**
 * The agent transferred the call: the target's channel stands in the agent's place and the
 * agent is in wrap-up already. The call ends when the caller or the target hangs up.
 */
export interface HandedOff extends Connected { phase: 'handed-off'; targetChannelId: string }

export type ActiveCall = Arriving | Greeting | Waiting | Offering | Talking | HandedOff

/** The call is over; `last` is what it was when it ended (the records and listeners read it). */
export interface Ended extends CallBase { phase: 'ended'; outcome: CallOutcome; endedBy: EndedBy; endedAt: number; last: ActiveCall }

export type Call = ActiveCall | Ended
export type MachinePhase = Call['phase']

/** The timers a call has now: each phase's due times (one timer service arms exactly these). */
export function dueTimes(call: Call): Partial<Record<CallTimer, number>> {
  switch (call.phase) {
    case 'greeting':
      return { greeting: call.greetingDue }
    case 'waiting': {
      const due: Partial<Record<CallTimer, number>> = {}
      if (call.overflow) due.overflow = call.overflow.due
      if (call.announceDue !== null) due.announce = call.announceDue
      if (call.callbackOfferDue !== null) due.callbackOffer = call.callbackOfferDue
      return due
    }
    case 'offering':
      return call.ringDue === null ? {} : { ringGuard: call.ringDue }
    case 'talking':
      return call.leg.state === 'lost' ? { rejoinGrace: call.leg.graceDue } : {}
    case 'arriving':
    case 'handed-off':
    case 'ended':
      return {}
    default: {
      const exhaustive: never = call
      return exhaustive
    }
  }
}

/** The channels whose events belong to this call (the router finds the call from them). */
export function channelsOf(call: Call): string[] {
  const c = call.phase === 'ended' ? call.last : call
  const ids = [c.callerChannelId]
  if (c.phase === 'offering') ids.push(c.agentChannelId)
  if (c.phase === 'handed-off') ids.push(c.targetChannelId)
  if (c.phase === 'talking') {
    if (c.leg.state === 'up') ids.push(c.leg.channelId)
    else if (c.leg.rejoinChannelId) ids.push(c.leg.rejoinChannelId)
  }
  return ids
}

const VIEW_PHASE: Record<MachinePhase, CallPhase> = {
  arriving: 'greeting', greeting: 'greeting', waiting: 'queued', offering: 'offered', talking: 'talking', 'handed-off': 'talking', ended: 'ended'
}

/** The flat view other capabilities read (screen pop, wallboard, supervision, call control, records). */
export function liveView(call: Call): LiveCall {
  if (call.phase === 'ended') return { ...liveView(call.last), phase: 'ended' }
  const view: LiveCall = {
    callId: call.callId, phase: VIEW_PHASE[call.phase], callerChannelId: call.callerChannelId, callerNumber: call.callerNumber,
    dialledNumber: call.dialledNumber, lineNumber: call.lineNumber, queueId: call.queueId, priority: call.priority, arrivedAt: call.arrivedAt,
    queuedAt: null, agentId: null, seat: null, agentChannelId: null, offeredAt: call.offeredAt, answeredAt: null,
    offerAttempts: call.offerAttempts, bridgeId: null, recordingName: null, callbackOfferedAt: call.callbackOfferedAt,
    due: dueTimes(call)
  }
  if (call.origin.kind === 'callback') view.callbackOf = call.origin.callbackOf
  if (call.origin.kind === 'follow-up') view.followUp = { ticketId: call.origin.ticketId, attemptId: call.origin.attemptId }
  switch (call.phase) {
    case 'arriving':
    case 'greeting':
      return view
    case 'waiting':
      return { ...view, queuedAt: call.queuedAt, overflowTo: call.overflow?.to ?? null }
    case 'offering':
      return { ...view, queuedAt: call.queuedAt, agentId: call.agentId, seat: call.seat, agentChannelId: call.agentChannelId, offeredAt: call.offeredAt }
    case 'talking':
    case 'handed-off': {
      const talk: LiveCall = {
        ...view, queuedAt: call.queuedAt, agentId: call.agentId, seat: call.seat, offeredAt: call.offeredAt, answeredAt: call.answeredAt,
        bridgeId: call.bridgeId, recordingName: call.recordingName, rejoinCount: call.rejoinCount
      }
      if (call.phase === 'handed-off') return { ...talk, agentChannelId: call.targetChannelId, handedOffTo: call.targetChannelId }
      if (call.leg.state === 'up') return { ...talk, agentChannelId: call.leg.channelId, agentHangingUp: call.leg.hangingUp }
      return { ...talk, agentLegLostAt: call.leg.lostAt, rejoinChannelId: call.leg.rejoinChannelId }
    }
    default: {
      const exhaustive: never = call
      return exhaustive
    }
  }
}

/**
 * A flat record read back as a phase (records kept in Redis before the machine: a server
 * upgraded mid-call rebuilds its calls from them). `graceMs` dates a lost leg's grace when the
 * record has no due time for it.
 */
export function fromLiveView(v: LiveCall, graceMs = 0): Call {
  const origin: CallOrigin = v.callbackOf ? { kind: 'callback', callbackOf: v.callbackOf }
    : v.followUp ? { kind: 'follow-up', ticketId: v.followUp.ticketId, attemptId: v.followUp.attemptId } : { kind: 'inbound' }
  const base: CallBase = {
    callId: v.callId, callerChannelId: v.callerChannelId, callerNumber: v.callerNumber, dialledNumber: v.dialledNumber, lineNumber: v.lineNumber,
    queueId: v.queueId, priority: v.priority, arrivedAt: v.arrivedAt, origin, offerAttempts: v.offerAttempts, offeredAt: v.offeredAt,
    callbackOfferedAt: v.callbackOfferedAt ?? null
  }
  const due = v.due ?? {}
  const connected = (): Connected => ({
    ...base, queuedAt: v.queuedAt, agentId: v.agentId ?? '', seat: v.seat ?? '', offeredAt: v.offeredAt ?? v.answeredAt ?? v.arrivedAt,
    answeredAt: v.answeredAt ?? v.arrivedAt, bridgeId: v.bridgeId ?? '', recordingName: v.recordingName, rejoinCount: v.rejoinCount ?? 0
  })
  switch (v.phase) {
    case 'greeting':
      return due.greeting !== undefined ? { ...base, phase: 'greeting', greetingDue: due.greeting } : { ...base, phase: 'arriving' }
    case 'queued': {
      const w: Waiting = {
        ...base, phase: 'waiting', queuedAt: v.queuedAt ?? v.arrivedAt,
        overflow: due.overflow !== undefined && v.overflowTo ? { due: due.overflow, to: v.overflowTo } : null,
        announceDue: due.announce ?? null, callbackOfferDue: due.callbackOffer ?? null
      }
      return v.due ? w : { ...w, untimed: true }
    }
    case 'offered':
      return {
        ...base, phase: 'offering', queuedAt: v.queuedAt ?? v.arrivedAt, agentId: v.agentId ?? '', seat: v.seat ?? '', agentChannelId: v.agentChannelId ?? '',
        offeredAt: v.offeredAt ?? v.arrivedAt, ringDue: due.ringGuard ?? null
      }
    case 'talking': {
      if (v.handedOffTo) return { ...connected(), phase: 'handed-off', targetChannelId: v.handedOffTo }
      const leg: AgentLeg = v.agentLegLostAt
        ? { state: 'lost', lostAt: v.agentLegLostAt, graceDue: due.rejoinGrace ?? v.agentLegLostAt + graceMs, rejoinChannelId: v.rejoinChannelId ?? null }
        : { state: 'up', channelId: v.agentChannelId ?? '', hangingUp: !!v.agentHangingUp }
      return { ...connected(), phase: 'talking', leg }
    }
    case 'ended':
      return { ...base, phase: 'ended', outcome: 'failed', endedBy: 'system', endedAt: v.arrivedAt, last: { ...base, phase: 'arriving' } }
    default: {
      const exhaustive: never = v.phase
      return exhaustive
    }
  }
}

/** The stored form is the phase union, marked so a flat record (older servers) is told apart. */
export const RECORD_VERSION = 2

export function parseRecord(raw: string, graceMs = 0): Call {
  const data = JSON.parse(raw) as (Call & { v?: number }) | LiveCall
  if ((data as { v?: number }).v === RECORD_VERSION) {
    const { v: _v, ...call } = data as Call & { v: number }
    return call as Call
  }
  return fromLiveView(data as LiveCall, graceMs)
}

export function serializeRecord(call: Call): string {
  return JSON.stringify({ v: RECORD_VERSION, ...call })
}
