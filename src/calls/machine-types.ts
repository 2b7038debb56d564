/**
 * The vocabulary of the call machine (machine.ts): the events a call hears, the effects its
 * steps ask for, and the policy they read. Effects are data; effects.ts carries them out, in
 * order, through the ports (ARI, Redis, PostgreSQL, agents, timers, notifier).
 */
import type { AgentEvent } from '../agents/model.ts'
import type { ArrivalRoute, LineConfig } from '../domain/lines.ts'
import type { QueueConfig, QueueEntry } from '../queueing/model.ts'
import type { Call } from './call-state.ts'
import type { CallOutcome, CallTimer, EndedBy, LiveCall } from './model.ts'
import type { PbxArrival } from './node-gaps.ts'
import type { RejoinPolicy } from './rules.ts'
import type { QueueLogEvent } from './store.ts'

/** What the call flow tells the rest of the system (realtime panels, wallboard, callbacks). */
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
  /** A call's seat lost its leg once more after HOTLINE_SEAT_REJOIN_MAX rejoins: the call ends (rejoins so far). */
  'rejoin-limit': [LiveCall, number]
  /** The seat is back in the call after a drop. */
  rejoined: [LiveCall]
  /**
   * A waiting caller's timers were (re)armed: on entering a queue, back from a failed offer,
   * after an overflow, and after a restart (reconcile).
   */
  'waiting-timers': [LiveCall]
  /** The callback offer is due for a waiting caller (src/callbacks/ plays it); in the call's lane. */
  'callback-offer-due': [LiveCall]
}

/** What the position announcement says, gathered by the edge when the announcement is due. */
export interface AnnounceFacts { position: number | null; serving: number; averageHandleSeconds: number }

/** What a restart (or an ARI reconnect) found on the PBX for this call. */
export interface RestartFacts {
  /** The PBX's channels: id → Asterisk state ('Up', 'Ring', …). */
  channels: Readonly<Record<string, string>>
  pbxRestarted: boolean
  /** Whether the waiting list still holds the call's entry (Redis may have lost it). */
  hasQueueEntry: boolean
}

export type CallEvent =
  /** The greeting's PlaybackFinished. */
  | { type: 'greeting-done' }
  /** A due time of the call's record came (stale ones, not in the record any more, do nothing). */
  | { type: 'timer'; kind: CallTimer; at: number; announce?: AnnounceFacts }
  /** The ACD reserved this agent for the waiting caller: ring the seat. */
  | { type: 'offer'; agentId: string; seat: string; ringTimeoutSeconds: number }
  | { type: 'seat-dial-failed'; error?: string }
  /** The seat answered: its channel entered Stasis (agent-leg entry). */
  | { type: 'seat-answered'; channelId: string }
  /** Reply to start-recording. */
  | { type: 'recording'; ok: boolean; error?: string }
  /** StasisEnd or ChannelDestroyed of one of the call's channels (cause: Q.850, null when unknown). */
  | { type: 'channel-gone'; channelId: string; cause: number | null }
  /** The agent hangs up through the server (call control). */
  | { type: 'agent-hangup'; agentId: string }
  /** Transfer: the target's channel takes the agent's place. */
  | { type: 'hand-off'; agentId: string; targetChannelId: string }
  /** Move a waiting caller (overflow timer, or a supervisor with a reason). */
  | { type: 'overflow'; from: string; to: string; reason: string }
  /** The queue entry was claimed for the overflow (reply to queue-remove). */
  | { type: 'overflow-claimed'; from: string; to: string; reason: string }
  /** The edge took the caller's queue entry and stored the callback (src/callbacks/). */
  | { type: 'released-for-callback' }
  /** The agent's panel asks to be dialled back into its talking call. */
  | { type: 'rejoin'; agentId: string }
  | { type: 'rejoin-dial-failed'; error?: string }
  | { type: 'rejoin-answered'; channelId: string }
  | { type: 'restart'; facts: RestartFacts }
  /** An adopted outbound channel vanished while it was being set up. */
  | { type: 'adopt-failed' }

export type AriGone = 'stop' | 'ignore'

type Notify = { [K in keyof CallFlowEvents]: { type: 'notify'; event: K; args: CallFlowEvents[K] } }[keyof CallFlowEvents]

export type Effect =
  /** Save the record and arm exactly its due times (dueTimes of the call). */
  | { type: 'persist'; call: Call }
  /** Arm the record's due times without saving (a restart re-arms what was pending). */
  | { type: 'arm-timers'; call: Call }
  /** The call is over: its record, channel index and timers go. */
  | { type: 'remove'; call: Call }
  | { type: 'forget-channel'; channelId: string }
  | { type: 'track-channel'; channelId: string }
  | { type: 'answer'; channelId: string; ifGone: AriGone }
  /** Stamp the call id on the channel (HOTLINE_CALL_ID): gone → `ifGone`. */
  | { type: 'tag-channel'; channelId: string; ifGone: AriGone | CallEvent }
  | { type: 'play'; channelId: string; media: string; playbackId: string; ifGone: AriGone }
  | { type: 'hangup'; channelId: string; reason?: 'congestion' | 'no_answer' | 'busy' }
  /** Into the queue's holding bridge (made, with music, the first time): gone → `ifGone`. */
  | { type: 'join-hold'; queueId: string; channelId: string; ifGone: AriGone | CallEvent }
  | { type: 'leave-hold'; queueId: string; channelId: string }
  | { type: 'create-bridge'; bridgeId: string; ifGone: AriGone }
  | { type: 'add-to-bridge'; bridgeId: string; channelIds: string[]; ifGone: AriGone }
  | { type: 'destroy-bridge'; bridgeId: string }
  | { type: 'moh'; bridgeId: string; on: boolean; what: string }
  /** Ring a seat into our Stasis app (agent-leg or agent-rejoin entry); any failure → `failed`. */
  | {
    type: 'originate-seat'; channelId: string; seat: string; entry: 'agent-leg' | 'agent-rejoin'; callerNumber: string
    timeoutSeconds: number; originator: string; failed: CallEvent
  }
  /** Record the bridge; replies with a `recording` event. */
  | { type: 'start-recording'; bridgeId: string; name: string }
  | { type: 'stop-recording'; name: string }
  | { type: 'queue-add'; entry: QueueEntry }
  /** Take the call's queue entry; with `claimed`, only the one who took it goes on (else the step is refused). */
  | { type: 'queue-remove'; queueId: string; callId: string; claimed?: CallEvent }
  | { type: 'write-call'; what: 'arrived' | 'queued' | 'offered' | 'answered'; call: LiveCall }
  | { type: 'queue-log'; call: LiveCall; event: QueueLogEvent; at: number; detail: Record<string, unknown> | null; agentId?: string | null }
  | { type: 'write-ended'; call: LiveCall; at: number; outcome: CallOutcome; endedBy: EndedBy; logEvent: QueueLogEvent | null }
  /** Tell the agent's state machine (warn when it does not follow); force: apply, not tryApply. */
  | { type: 'agent'; agentId: string; event: AgentEvent; warn: string; force?: boolean }
  | Notify
  | { type: 'metric'; name: 'callsEntered' | 'callsAnswered' | 'callsAbandoned'; queueId: string }
  | { type: 'metric'; name: 'answerDelay'; queueId: string; seconds: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  /** Ask the ACD to look for offers (coalesced; never blocks the caller's lane). */
  | { type: 'dispatch' }

export type QueueFacts = Pick<QueueConfig, 'id' | 'wrapUpSeconds' | 'maxWaitSeconds' | 'overflowQueueId' | 'announceEverySeconds'>

/** What the machine reads besides the call: settings and the directory as the edge last saw it. */
export interface CallPolicy {
  /** Longest a greeting may hold a caller before queueing anyway, ms. */
  greetingLimitMs: number
  rejoin?: RejoinPolicy
  /** A waiting caller hears the callback offer this long after entering the queue; 0: never. */
  callbackOfferAfterMs: number
  queues: ReadonlyMap<string, QueueFacts>
  lines: ReadonlyMap<string, LineConfig>
}

export interface Step {
  /** The call once every effect has run (the effects carry the snapshots to save on the way). */
  call: Call
  effects: Effect[]
  /** Set when the event does not apply to the call as it is (stale, wrong phase, not this agent). */
  refused?: string
  /** What a restart made of the call (reconcile counts them). */
  tag?: 'lost' | 'kept'
}

/** Facts about a new inbound call, gathered by the edge (line, route) before the first step. */
export interface ArrivalFacts {
  callId: string
  channelId: string
  callerNumber: string
  dialled: string
  arrival: PbxArrival
  line: LineConfig | null
  route: ArrivalRoute | null
  /** The greeting to play (the line's, else the default); null or '' for none. */
  greeting: string | null
}

/** An answered outbound channel (follow-up or callback) that becomes a call. */
export interface AdoptionFacts {
  callId: string
  channelId: string
  callerNumber: string
  lineNumber: string | null
  queueId: string
  origin: { kind: 'callback'; callbackOf: string } | { kind: 'follow-up'; ticketId: string; attemptId: string }
  /** A callback rings the agent reserved for it; a follow-up waits in the queue. */
  ring?: { agentId: string; seat: string; ringTimeoutSeconds: number }
}

export const unchanged = (call: Call, refused: string): Step => ({ call, effects: [], refused })
export const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): Effect => ({ type: 'log', level, msg, fields })
