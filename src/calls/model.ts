/**
 * A citizen's call through the hotline, as other capabilities see it. Phases are the
 * application's own, on top of Asterisk's channel states: greeting → queued → offered → talking
 * → ended. The call flow itself works on the finer phase union of call-state.ts (with each
 * phase's own data); this flat view is made from it (liveView).
 */
export type CallPhase = 'greeting' | 'queued' | 'offered' | 'talking' | 'ended'

/** callback: the caller left the line asking to be called back, keeping their place (src/callbacks/). */
export type CallOutcome = 'answered' | 'abandoned' | 'overflowed' | 'failed' | 'pbx-lost' | 'callback'

export type EndedBy = 'caller' | 'agent' | 'system'

/**
 * The flat view of a live call (call-state.ts liveView): fields that a phase does not have are
 * null. Redis keeps the phase union itself; records of older servers in this flat form read back.
 */
export interface LiveCall {
  callId: string
  phase: CallPhase
  callerChannelId: string
  callerNumber: string
  dialledNumber: string
  lineNumber: string | null
  queueId: string | null
  priority: number
  arrivedAt: number
  queuedAt: number | null
  /** Current offer, while phase is offered or talking. */
  agentId: string | null
  seat: string | null
  agentChannelId: string | null
  offeredAt: number | null
  answeredAt: number | null
  offerAttempts: number
  /** Mixing bridge holding caller and agent while talking. */
  bridgeId: string | null
  recordingName: string | null
  /**
   * Set when the agent transferred the call (blind or after consulting): the channel that now
   * stands in the agent's place. The agent is already in wrap-up; the call ends when either
   * the caller or this channel hangs up.
   */
  handedOffTo?: string | null
  /** Set on a callback: the call the citizen made first, which this call returns (src/callbacks/). */
  callbackOf?: string | null
  /** Set on an agent-assisted follow-up (回访) the dialer placed: the ticket to evaluate, and the attempt. */
  followUp?: { ticketId: string; attemptId: string } | null
  /**
   * Agent rejoin (WebRTC seats): when the agent's leg dropped without the agent hanging up
   * (a page reload, a network blip), ms epoch; the caller hears music meanwhile and
   * agentChannelId is null. Cleared when the seat is back in the call.
   */
  agentLegLostAt?: number | null
  /** Lost legs this call kept for a rejoin (bounded by HOTLINE_SEAT_REJOIN_MAX). */
  rejoinCount?: number
  /** The seat's rejoin leg while it rings (originated by CallFlow.rejoin). */
  rejoinChannelId?: string | null
  /** The agent hung up through the server (call control): the leg's end ends the call, no rejoin. */
  agentHangingUp?: boolean
  /**
   * The call's timers as due times (ms epoch on the project's clock), armed by one timer
   * service from this record: a restarted server re-arms exactly what was pending.
   */
  due?: Partial<Record<CallTimer, number>>
  /** Where the overflow timer moves the caller (with due.overflow). */
  overflowTo?: string | null
  /** When the caller heard the callback offer (pressing 1 books the callback); heard once per call. */
  callbackOfferedAt?: number | null
}

/**
 * Every timer a call has: the greeting's limit, the waiting caller's overflow, position
 * announcement and callback offer, the ring guard of an offer, and the rejoin grace of a
 * talking call whose WebRTC seat dropped. (The agent's wrap-up is the agent's own timer.)
 */
export type CallTimer = 'greeting' | 'overflow' | 'announce' | 'callbackOffer' | 'ringGuard' | 'rejoinGrace'

export { bridgeIds, STASIS_ENTRY } from '../pbx/ari/ids.ts'
import { recordingNames } from '../pbx/ari/ids.ts'
export const recordingNameFor = recordingNames.call

export const CHANNEL_VAR_CALL_ID = 'HOTLINE_CALL_ID'

/** SIP header on a rejoin INVITE (value: the call id), so the panel answers it by itself. */
export const REJOIN_SIP_HEADER = 'X-Hotline-Rejoin'

/**
 * Seat lists as HOTLINE_WEB_SEATS writes them ("8001-8020,8050"): a predicate for membership.
 * Ranges compare numerically when both ends are numbers; other ids must be listed one by one.
 */
export function seatMatcher(list: string): (seat: string) => boolean {
  const exact = new Set<string>()
  const ranges: [number, number][] = []
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)$/.exec(part)
    if (m) ranges.push([Number(m[1]), Number(m[2])])
    else exact.add(part)
  }
  return (seat) => exact.has(seat) || (/^\d+$/.test(seat) && ranges.some(([a, b]) => Number(seat) >= a && Number(seat) <= b))
}
