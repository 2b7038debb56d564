/**
 * The realtime contract shared by the server and the browser panels (softphone/, wallboard).
 * Server → client events are past tense (`agent:state-changed`); client → server commands are
 * imperative and always acknowledged with `Ack<T>`.
 */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }

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
  kind: 'inbound' | 'callback'
}

export interface QueueView {
  queueId: string
  waiting: number
  longestWaitSeconds: number
}

export interface AgentServerToClient {
  'agent:state-changed': (state: AgentStateView) => void
  'call:offered': (offer: CallOfferView) => void
  'call:answered': (call: { callId: string; answeredAt: string; recordingName: string | null }) => void
  'call:ended': (call: { callId: string; endedBy: string; outcome: string }) => void
}

export interface AgentClientToServer {
  'agent:get-state': (ack: (res: Ack<AgentStateView>) => void) => void
  'agent:sign-in': (body: { seat: string }, ack: (res: Ack<AgentStateView>) => void) => void
  'agent:set-ready': (ack: (res: Ack<AgentStateView>) => void) => void
  'agent:set-not-ready': (body: { reason: string }, ack: (res: Ack<AgentStateView>) => void) => void
  'agent:extend-wrap-up': (body: { seconds: number }, ack: (res: Ack<AgentStateView>) => void) => void
  'agent:sign-out': (ack: (res: Ack<AgentStateView>) => void) => void
}

export interface SupervisorServerToClient {
  'agent:state-changed': (state: AgentStateView) => void
  'queue:changed': (queue: QueueView) => void
}

export interface SupervisorClientToServer {
  'agents:snapshot': (ack: (res: Ack<AgentStateView[]>) => void) => void
}
