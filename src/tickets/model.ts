/**
 * Tickets (工单): every request, whatever channel it came by, becomes one. Its life:
 * accepted (受理) → closed at once when resolved on call (即办), or dispatched (派单) to a lead
 * unit (主办) with co-units (协办) → signed for (签收) → replied (答复) → closed (办结) → followed
 * up and evaluated (回访·评价); an unsatisfied caller reopens it (退回重办). A unit may return a
 * ticket (退单) and the center re-dispatches it (改派); 3 re-dispatches put it under key
 * supervision (重点督办). Times are epoch milliseconds.
 */
import type { Role } from '../auth/plugin.ts'

export type TicketStatus = 'accepted' | 'dispatched' | 'signed-for' | 'replied' | 'returned' | 'closed' | 'reopened'
export const TICKET_STATUSES: readonly TicketStatus[] = ['accepted', 'dispatched', 'signed-for', 'replied', 'returned', 'closed', 'reopened']

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

/** A handling unit (联动单位). */
export interface Unit { id: string; name: string; kind: UnitKind; active: boolean }

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
  | { type: 'evaluate'; result: EvaluationResult; digits: string | null; method: EvaluationMethod }

export type TicketActionType = TicketAction['type']
export const TICKET_ACTIONS: readonly TicketActionType[] = ['dispatch', 'sign-for', 'reply', 'return', 'close', 'reopen', 'supervise', 'evaluate']

/** One audit entry, before it is stored. */
export interface TicketEventDraft {
  at: number
  actorId: string
  actorRole: Actor['role']
  action: TicketActionType | 'accept' | 'co-reply'
  fromStatus: TicketStatus | null
  toStatus: TicketStatus
  detail: Record<string, unknown>
}

/** Side effects of a transition, carried out by the store in the same transaction. */
export type TicketEffect =
  /** 100% follow-up: every close queues one follow-up call. */
  | { kind: 'schedule-follow-up'; dueAt: number }
  /** The caller has evaluated: the pending follow-up is done. */
  | { kind: 'complete-follow-up' }
  /** Reopened without an evaluation: a follow-up still waiting to be dialled is moot. */
  | { kind: 'cancel-follow-up' }

export type RejectionCode = 'ILLEGAL_TRANSITION' | 'FORBIDDEN' | 'INVALID'
export interface TicketRejection { code: RejectionCode; message: string }

export type TransitionResult =
  | { ok: true; ticket: Ticket; events: TicketEventDraft[]; effects: TicketEffect[] }
  | { ok: false; rejection: TicketRejection }

/** What accepting a ticket needs; the service resolves the category and the number first. */
export type TicketDraft = Pick<Ticket, 'callerNumber' | 'callerName' | 'channel' | 'lineNumber' | 'categoryCode' | 'content' | 'address' | 'urgency'>

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

export const OPEN_STATUSES: readonly TicketStatus[] = TICKET_STATUSES.filter((s) => s !== 'closed')
