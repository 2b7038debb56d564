/**
 * Tickets (工单): every request, whatever channel it came by, becomes one. Its life:
 * accepted (受理) → closed at once when resolved on call (即办), or dispatched (派单) to a lead
 * unit (主办) with co-units (协办) → signed for (签收) → replied (答复) → closed (办结) → followed
 * up and evaluated (回访·评价); an unsatisfied caller reopens it (退回重办). A unit may return a
 * ticket (退单) and the center re-dispatches it (改派); 3 re-dispatches put it under key
 * supervision (重点督办). Times are epoch milliseconds.
 */
import type { Role } from '../auth/plugin.ts'

/**
 * 'returned' is kept for tickets returned before returns became requests (a unit now asks, the
 * center rules); 'merged' (并单) is a duplicate handled as part of another ticket.
 */
export type TicketStatus = 'accepted' | 'dispatched' | 'signed-for' | 'replied' | 'returned' | 'closed' | 'reopened' | 'merged'
export const TICKET_STATUSES: readonly TicketStatus[] = ['accepted', 'dispatched', 'signed-for', 'replied', 'returned', 'closed', 'reopened', 'merged']

/** How the request reached the center; all channels make the same kind of ticket. */
export type TicketChannel = 'phone' | 'web' | 'app' | 'mini-program' | 'wechat' | 'mailbox' | 'sms'
export const TICKET_CHANNELS: readonly TicketChannel[] = ['phone', 'web', 'app', 'mini-program', 'wechat', 'mailbox', 'sms']

export type Urgency = 'normal' | 'urgent' | 'very-urgent'
export const URGENCIES: readonly Urgency[] = ['normal', 'urgent', 'very-urgent']

/** The caller's evaluation (评价): satisfied / basically satisfied / unsatisfied. */
export type EvaluationResult = 'satisfied' | 'basically-satisfied' | 'unsatisfied'
export const EVALUATION_RESULTS: readonly EvaluationResult[] = ['satisfied', 'basically-satisfied', 'unsatisfied']

/** phone-dtmf: the caller's own key press on the follow-up call, the figure hardest to game. */
export type EvaluationMethod = 'phone-dtmf' | 'sms' | 'agent-call' | 'web' | 'app'
export const EVALUATION_METHODS: readonly EvaluationMethod[] = ['phone-dtmf', 'sms', 'agent-call', 'web', 'app']

/** 督办 forms named in the documents. */
export type SuperviseMethod = 'platform' | 'phone' | 'on-site' | 'joint'
export const SUPERVISE_METHODS: readonly SuperviseMethod[] = ['platform', 'phone', 'on-site', 'joint']

export type UnitKind = 'department' | 'district' | 'street' | 'enterprise' | 'other'
export const UNIT_KINDS: readonly UnitKind[] = ['department', 'district', 'street', 'enterprise', 'other']

/** A handling unit (联动单位); parentId: the district or bureau above it (转办 goes down this line). */
export interface Unit { id: string; name: string; kind: UnitKind; active: boolean; parentId: string | null }

/**
 * A unit's request waiting for the center's ruling: a return (退单, 派单异议) or an extension
 * (延期申请). Only one at a time; the unit keeps the ticket meanwhile (首办负责).
 */
export type PendingRequest =
  | { kind: 'return'; unitId: string; reason: string; at: number }
  | { kind: 'extension'; unitId: string; reason: string; hours: number; at: number }

/** A sub-unit's reply (转办 → 审核) waiting for the lead unit's review before it leaves. */
export interface SubReply { unitId: string; content: string; at: number }

/** A ticket category and its handling time limit (办理时限). */
export interface TicketCategory { code: string; name: string; limitHours: number; active: boolean }

export interface Ticket {
  id: string
  /** Human ticket number, e.g. 12345-20261126-000123. */
  number: string
  status: TicketStatus
  callerNumber: string
  callerName: string | null
  channel: TicketChannel
  lineNumber: string | null
  categoryCode: string
  content: string
  address: string | null
  urgency: Urgency
  /** The handling limit in force; a reopened ticket gets it afresh from the reopening. */
  limitHours: number
  deadline: number
  resolvedOnCall: boolean
  leadUnitId: string | null
  coUnitIds: string[]
  acceptedBy: string
  createdAt: number
  dispatchedAt: number | null
  signedForAt: number | null
  repliedAt: number | null
  reply: string | null
  closedAt: number | null
  /** Optimistic concurrency: every change adds one; a change names the version it was made on. */
  version: number
  redispatchCount: number
  reopenCount: number
  keySupervision: boolean
  repeatOf: string | null
  evaluationResult: EvaluationResult | null
  evaluationDigits: string | null
  evaluatedAt: number | null
  evaluationMethod: EvaluationMethod | null
  /** 服务过程满意度: the second satisfaction the seeds ask for (evaluationResult is the result's). */
  evaluationProcess: EvaluationResult | null
  /** 是否解决: the citizen's own word; false reopens the ticket. */
  evaluationSolved: boolean | null
  /** Who recorded the evaluation: the dialer (the citizen's keys) or the agent on the follow-up call. */
  evaluationRecordedBy: string | null
  /** The follow-up attempt (dialer) or call (agent) the evaluation was taken on. */
  evaluationAttemptId: string | null
  evaluationCallId: string | null
  /** Units may see the caller's number only when the caller allowed contact (GB/T 33358). */
  contactAllowed: boolean
  /** The unit a complaint (投诉) is about, if the request is one: counted for escalation. */
  complaintUnitId: string | null
  pendingRequest: PendingRequest | null
  /** 转办: the unit beneath the lead unit now handling it, and its reply awaiting review. */
  subUnitId: string | null
  subReply: SubReply | null
  /** Co-units that have replied to the lead unit in this round (协办意见). */
  coReplies: string[]
  /** A/B roles (A、B角): the unit user handling it and the backup who sees it too. */
  assignedUserId: string | null
  backupUserId: string | null
  /** 并单: this ticket is a duplicate handled as part of that one. */
  mergedInto: string | null
  /** 催办 sent in this round: before the deadline, and after it. */
  remindedBeforeAt: number | null
  remindedAfterAt: number | null
  /** Raised for escalated supervision (10+ citizens on one matter, 10+ complaints against a unit). */
  escalated: boolean
}

/** Who acts: a logged-in user (units carry their unit), or the system (the follow-up dialer). */
export interface Actor { id: string; role: Role | 'system'; unitId: string | null }

export type TicketAction =
  | { type: 'dispatch'; leadUnitId: string; coUnitIds: string[]; note?: string }
  | { type: 'sign-for' }
  | { type: 'reply'; content: string }
  | { type: 'return'; reason: string }
  /** resolvedOnCall is set only by the accepting code path, never by a later request. */
  | { type: 'close'; note?: string; resolvedOnCall?: boolean }
  | { type: 'reopen'; reason: string }
  | { type: 'supervise'; note: string; method?: SuperviseMethod }
  /**
   * The follow-up's answers. The dialer's (phone-dtmf) name the attempt they were keyed on; an
   * agent's name the follow-up call the agent is on (the service finds and checks both).
   */
  | {
    type: 'evaluate'; result: EvaluationResult; digits: string | null; method: EvaluationMethod
    process?: EvaluationResult; solved?: boolean; attemptId?: string | null; callId?: string | null
  }
  /** 办理过程: a note on the handling, visible to the center. */
  | { type: 'progress'; note: string }
  /** The center's ruling on a return request: re-dispatch elsewhere, or send back with a ruling. */
  | { type: 'rule-return'; decision: 'redispatch'; leadUnitId: string; coUnitIds: string[]; ruling: string }
  | { type: 'rule-return'; decision: 'reject'; ruling: string }
  | { type: 'request-extension'; reason: string; hours: number }
  | { type: 'rule-extension'; approve: boolean; ruling: string }
  /** 转办 to a unit beneath the lead; the service resolves the target's parent. */
  | { type: 'transfer'; subUnitId: string; subUnitParentId: string | null; note?: string }
  /** The lead's review (审核) of the sub-unit's reply: it leaves as the reply, or goes back. */
  | { type: 'review-sub-reply'; approve: boolean; note?: string }
  /** The service checks both users belong to the lead unit. */
  | { type: 'assign'; userId: string; backupUserId: string | null }
  /** 并单 into another open ticket about the same matter (the service checks it is one). */
  | { type: 'merge'; intoTicketId: string; intoNumber: string; note?: string }
  | { type: 'remind'; when: 'before-deadline' | 'after-deadline'; note?: string }
  | { type: 'escalate'; reason: string; escalationId?: number }

export type TicketActionType = TicketAction['type']
export const TICKET_ACTIONS: readonly TicketActionType[] = [
  'dispatch', 'sign-for', 'reply', 'return', 'close', 'reopen', 'supervise', 'evaluate', 'progress', 'rule-return', 'request-extension',
  'rule-extension', 'transfer', 'review-sub-reply', 'assign', 'merge', 'remind', 'escalate'
]

/** One audit entry, before it is stored. */
export interface TicketEventDraft {
  at: number
  actorId: string
  actorRole: Actor['role']
  action: TicketActionType | 'accept' | 'co-reply' | 'sub-reply'
  fromStatus: TicketStatus | null
  toStatus: TicketStatus
  detail: Record<string, unknown>
}

/** Side effects of a transition, carried out by the store in the same transaction. */
export type TicketEffect =
  /**
   * 100% follow-up: every close queues one follow-up call; requests merged into the ticket
   * (并单) are closed with it, each with the one reply and a follow-up call of its own.
   */
  | { kind: 'schedule-follow-up'; dueAt: number }
  /** The caller has evaluated: the pending follow-up is done. */
  | { kind: 'complete-follow-up' }
  /** Reopened without an evaluation: a follow-up still waiting to be dialled is moot. */
  | { kind: 'cancel-follow-up' }
  /** Tell these units' workspaces (pushed after the change is stored). */
  | { kind: 'notify'; unitIds: string[]; reason: NotifyReason }

export type NotifyReason = 'dispatched' | 'returned' | 'ruled' | 'reminded' | 'escalated' | 'transferred' | 'reviewed' | 'changed' | 'withdrawn'

export type RejectionCode = 'ILLEGAL_TRANSITION' | 'FORBIDDEN' | 'INVALID'
export interface TicketRejection { code: RejectionCode; message: string }

export type TransitionResult =
  | { ok: true; ticket: Ticket; events: TicketEventDraft[]; effects: TicketEffect[] }
  | { ok: false; rejection: TicketRejection }

/** What accepting a ticket needs; the service resolves the category and the number first. */
export type TicketDraft = Pick<Ticket, 'callerNumber' | 'callerName' | 'channel' | 'lineNumber' | 'categoryCode' | 'content' | 'address' | 'urgency'>
  & Partial<Pick<Ticket, 'contactAllowed' | 'complaintUnitId'>>

/** A ticket as the screen pop and repeat detection see it. */
export interface TicketSummary {
  id: string
  number: string
  status: TicketStatus
  callerNumber: string
  categoryCode: string
  createdAt: number
  deadline: number
}

/** A merged duplicate is open until the ticket it was merged into closes it. */
export const OPEN_STATUSES: readonly TicketStatus[] = TICKET_STATUSES.filter((s) => s !== 'closed')

/** While a unit holds the ticket and has not answered: where a unit's handling steps apply. */
export const HANDLING_STATUSES: readonly TicketStatus[] = ['dispatched', 'signed-for']
