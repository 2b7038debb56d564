/**
 * Agents (坐席人员) and their live state. An agent signs in (签入) to a seat (座席, a PJSIP
 * endpoint), is ready (示闲) or not ready with a reason (示忙), is offered calls, talks, and
 * does wrap-up (话后整理) after each call.
 */

/** Reasons an agent may choose for not ready; a center configures its own list. */
export const DEFAULT_NOT_READY_REASONS = ['break', 'meal', 'training', 'meeting', 'restroom', 'other'] as const

/** Reasons the system itself sets; agents cannot pick them. */
export const SYSTEM_REASONS = {
  signedIn: 'signed-in',
  missedCall: 'missed-call',
  forced: 'forced-by-supervisor',
  pbxLost: 'pbx-lost',
  /** The seat's leg kept dropping (no RTP) until the call's rejoin limit. */
  noAudio: 'no-audio'
} as const

export type AgentStateName = 'signed-out' | 'ready' | 'not-ready' | 'offered' | 'talking' | 'on-hold' | 'wrap-up'

export const AGENT_STATES: readonly AgentStateName[] = ['signed-out', 'ready', 'not-ready', 'offered', 'talking', 'on-hold', 'wrap-up']

/** The live record of one agent, kept in Redis and shared by every server node. */
export interface AgentLive {
  agentId: string
  state: AgentStateName
  /** When the current state began (epoch ms). */
  since: number
  /** Seat (endpoint id) while signed in. */
  seat: string | null
  /** Why not ready, when state is not-ready. */
  reason: string | null
  /** The call being offered, talked, held or wrapped up. */
  callId: string | null
  /** End of wrap-up (epoch ms) while in wrap-up. */
  wrapUpUntil: number | null
  /** A not-ready the agent asked for during a call; applied when the call ends. */
  pendingNotReady: string | null
  /** Since when the agent has had no call (longest-idle routing), epoch ms. */
  idleSince: number
  /** Calls answered on the current day (fewest-calls routing). */
  callsToday: number
  /** Day (YYYY-MM-DD in the center's zone) `callsToday` counts. */
  callsDay: string
  /** Optimistic-concurrency counter, bumped on every change. */
  version: number
}

export type AgentEvent =
  | { type: 'sign-in'; seat: string }
  | { type: 'sign-out' }
  | { type: 'set-ready' }
  | { type: 'set-not-ready'; reason: string }
  | { type: 'offer'; callId: string }
  | { type: 'offer-answered'; callId: string }
  /** Rang past its timeout or was rejected at the seat: the agent is put in not ready. */
  | { type: 'offer-missed'; callId: string }
  /** Withdrawn for a reason that is not the agent's fault (the caller hung up). */
  | { type: 'offer-withdrawn'; callId: string }
  | { type: 'hold'; callId: string }
  | { type: 'unhold'; callId: string }
  | { type: 'call-ended'; callId: string; wrapUpSeconds: number }
  | { type: 'extend-wrap-up'; seconds: number }
  | { type: 'wrap-up-expired' }
  /** A supervisor forces a state; allowed from any idle state. */
  | { type: 'force-not-ready'; reason: string }
  | { type: 'force-sign-out' }

export type AgentEventType = AgentEvent['type']

export function signedOutAgent(agentId: string, now: number, day: string): AgentLive {
  return {
    agentId, state: 'signed-out', since: now, seat: null, reason: null, callId: null,
    wrapUpUntil: null, pendingNotReady: null, idleSince: now, callsToday: 0, callsDay: day, version: 0
  }
}
