/**
 * A citizen's call through the hotline. Phases are the application's own, on top of Asterisk's
 * channel states: greeting → queued → offered → talking → ended.
 */
export type CallPhase = 'greeting' | 'queued' | 'offered' | 'talking' | 'ended'

/** callback: the caller left the line asking to be called back, keeping their place (src/callbacks/). */
export type CallOutcome = 'answered' | 'abandoned' | 'overflowed' | 'failed' | 'pbx-lost' | 'callback'

export type EndedBy = 'caller' | 'agent' | 'system'

/** The live part of a call, in Redis while the call lasts (a restart rebuilds from it). */
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
  /** The seat's rejoin leg while it rings (originated by CallFlow.rejoin). */
  rejoinChannelId?: string | null
  /** The agent hung up through the server (call control): the leg's end ends the call, no rejoin. */
  agentHangingUp?: boolean
}

export const bridgeIds = {
  /** One holding bridge per queue, with a fixed id so a restarted server finds it again. */
  queueHold: (queueId: string) => `queue-${queueId}-hold`,
  /** The caller–agent bridge of one call. */
  call: (callId: string) => `call-${callId}-mix`
} as const

export const recordingNameFor = (callId: string): string => `call-${callId}`

/** Arguments our dialplan and originations put on Stasis(hotline, <entry>, …). */
export const STASIS_ENTRY = {
  inbound: 'inbound',
  agentLeg: 'agent-leg',
  /** The agent's seat dialled again after its leg dropped mid-call: agent-rejoin,<call id>. */
  agentRejoin: 'agent-rejoin',
  /** A transfer target (110, a unit) dialled by call control (src/calls/control.ts). */
  consult: 'consult',
  /** A supervisor's legs (snoop, seat): supervisor,<snoop|leg>,<session id>; see src/supervision/. */
  supervisor: 'supervisor',
  /** A follow-up call the dialer placed, answered: followup,<attempt id>; see src/followup/. */
  followUp: 'followup',
  /** A callback the dialer placed, answered: callback,<attempt id>; see src/callbacks/. */
  callback: 'callback'
} as const

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
