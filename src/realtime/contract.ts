/**
 * The realtime contract shared by the server and the browser panels (softphone/, wallboard).
 * Server → client events are past tense (`agent:state-changed`); client → server commands are
 * imperative and always acknowledged with `Ack<T>`.
 */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }

/**
 * Every namespace takes this command (src/auth/socket-sessions.ts): the page hands its socket
 * the access token it just got from POST /v1/auth/refresh, before the old one expires; the
 * socket lives on with the new token's expiry. Another user's token, or a revoked or expired
 * one, is refused.
 */
export interface SessionClientToServer {
  'auth:renew': (body: { token: string }, ack: (res: Ack<{ expiresAt: string }>) => void) => void
}

export interface AgentStateView {
  agentId: string
  state: string
  since: string
  seat: string | null
  reason: string | null
  callId: string | null
  wrapUpUntil: string | null
  pendingNotReady: string | null
  callsToday: number
}

/** What the agent's panel shows when a call rings at their seat (screen pop, 弹屏). */
export interface CallOfferView {
  callId: string
  callerNumber: string
  dialledNumber: string
  lineNumber: string | null
  lineName: string | null
  queueId: string | null
  waitSeconds: number
  offeredAt: string
  kind: 'inbound' | 'callback' | 'follow-up'
  /** For an agent-assisted follow-up: the ticket to evaluate with the citizen. */
  followUpTicketId?: string
  /** For a callback: the citizen's original call, which this call returns. */
  callbackOf?: string
  /** The caller's earlier tickets, newest first (empty when the lookup failed: the pop never waits on it). */
  earlierTickets: EarlierTicketView[]
  /** An open ticket, or a recent one in the same category: the agent should look before accepting a new one. */
  repeatCaller: boolean
}

export interface EarlierTicketView {
  id: string
  number: string
  status: string
  categoryCode: string
  createdAt: string
  deadline: string
  open: boolean
}

/** What the agent controls on the current call, kept by the server so a reloaded panel gets it back. */
export interface CallControlView {
  held: boolean
  muted: boolean
  /** A consultation (咨询转接) in progress: the caller waits on hold while the agent talks to the target. */
  consult: { number: string; name: string; state: 'ringing' | 'talking' } | null
}

/** The agent's current call, for a panel that (re)connects mid-call. */
export interface CurrentCallView {
  call: CallOfferView
  phase: 'offered' | 'talking'
  answeredAt: string | null
  recordingName: string | null
  control: CallControlView
  /**
   * False while the agent's seat is out of the call (a WebRTC leg dropped: reload, blip) and the
   * caller waits on music; the panel then asks `call:rejoin` before `rejoinBy`.
   */
  agentLegConnected: boolean
  rejoinBy: string | null
}

export interface TransferTargetView {
  number: string
  name: string
  kind: 'emergency' | 'unit'
}

export interface QueueView {
  queueId: string
  waiting: number
  longestWaitSeconds: number
}

/**
 * The audio of an agent's call as the panel's WebRTC statistics show it: ICE/DTLS still setting
 * up, RTP arriving, nothing arriving (a call that would look good but has no voice), or the seat's
 * leg being brought back (a drop, a rejoin).
 */
export type MediaState = 'connecting' | 'connected' | 'no-audio' | 'reconnecting'
export const MEDIA_STATES = ['connecting', 'connected', 'no-audio', 'reconnecting'] as const satisfies readonly MediaState[]

/** A panel's media state change, as supervisors receive it. */
export interface AgentMediaView { agentId: string; callId: string; state: MediaState; at: string }

export interface AgentServerToClient {
  'agent:state-changed': (state: AgentStateView) => void
  'call:offered': (offer: CallOfferView) => void
  'call:answered': (call: { callId: string; answeredAt: string; recordingName: string | null }) => void
  'call:ended': (call: { callId: string; endedBy: string; outcome: string }) => void
  /** Hold, mute or consultation changed (from this panel, another tab or the far end hanging up). */
  'call:control-changed': (change: { callId: string; control: CallControlView }) => void
  /** The seat's leg of the talking call dropped; the caller waits on music until rejoinBy. */
  'call:leg-lost': (call: { callId: string; rejoinBy: string }) => void
  /** The seat is back in the call (after call:rejoin). */
  'call:rejoined': (call: { callId: string }) => void
}

export interface AgentClientToServer extends SessionClientToServer {
  'agent:get-state': (ack: (res: Ack<AgentStateView>) => void) => void
  'agent:sign-in': (body: { seat: string }, ack: (res: Ack<AgentStateView>) => void) => void
  'agent:set-ready': (ack: (res: Ack<AgentStateView>) => void) => void
  'agent:set-not-ready': (body: { reason: string }, ack: (res: Ack<AgentStateView>) => void) => void
  'agent:extend-wrap-up': (body: { seconds: number }, ack: (res: Ack<AgentStateView>) => void) => void
  'agent:sign-out': (ack: (res: Ack<AgentStateView>) => void) => void
  /** The current call (offered or talking) with its screen pop, or null. */
  'call:get-current': (ack: (res: Ack<CurrentCallView | null>) => void) => void
  /** Call control on the agent's current call; `action` is one of CALL_ACTIONS. */
  'call:control': (body: CallControlCommand, ack: (res: Ack<CallControlView>) => void) => void
  /** Dial the agent's WebRTC seat back into its talking call (after a reload); the panel answers the INVITE marked X-Hotline-Rejoin. */
  'call:rejoin': (ack: (res: Ack<{ callId: string; rejoinBy: string }>) => void) => void
  /** The panel's media state of its call changed (no ack: a report, not a command). */
  'call:media': (report: { callId: string; state: MediaState }) => void
}

export const CALL_ACTIONS = ['hold', 'unhold', 'mute', 'unmute', 'dtmf', 'hangup', 'transfer', 'consult', 'consult-complete', 'consult-cancel'] as const
export type CallAction = (typeof CALL_ACTIONS)[number]
export interface CallControlCommand { action: CallAction; digits?: string; number?: string }

export interface SupervisorServerToClient {
  'agent:state-changed': (state: AgentStateView) => void
  /** An agent's panel reports its call's audio (wallboards get it too: a seat with no audio needs a supervisor). */
  'agent:media-changed': (media: AgentMediaView) => void
  /** A call's WebRTC seat lost its leg once more after HOTLINE_SEAT_REJOIN_MAX rejoins (no audio): the call ends, the agent goes not ready. */
  'call:rejoin-limit': (body: { agentId: string | null; callId: string; seat: string | null; rejoins: number; at: string }) => void
  'queue:changed': (queue: QueueView) => void
}

export interface SupervisorClientToServer extends SessionClientToServer {
  'agents:snapshot': (ack: (res: Ack<AgentStateView[]>) => void) => void
}
