/** A ticket row as PostgreSQL holds it, and as a Ticket (times as epoch ms, jsonb times as ISO text). */
import type { EvaluationMethod, EvaluationResult, PendingRequest, SubReply, Ticket, TicketChannel, TicketStatus, Urgency } from './model.ts'

export interface TicketRow {
  id: string; number: string; status: TicketStatus; callerNumber: string; callerName: string | null; channel: TicketChannel
  lineNumber: string | null; categoryCode: string; content: string; address: string | null; urgency: Urgency; limitHours: number
  deadline: Date; resolvedOnCall: boolean; leadUnitId: string | null; coUnitIds: string[]; acceptedBy: string; createdAt: Date
  dispatchedAt: Date | null; signedForAt: Date | null; repliedAt: Date | null; reply: string | null; closedAt: Date | null; version: number
  redispatchCount: number; reopenCount: number; keySupervision: boolean; repeatOf: string | null; evaluationResult: EvaluationResult | null
  evaluationDigits: string | null; evaluatedAt: Date | null; evaluationMethod: EvaluationMethod | null
  evaluationProcess: EvaluationResult | null; evaluationSolved: boolean | null; evaluationRecordedBy: string | null; evaluationAttemptId: string | null
  evaluationCallId: string | null; contactAllowed: boolean; complaintUnitId: string | null
  pendingRequest: (Omit<PendingRequest, 'at'> & { at: string }) | null; subUnitId: string | null; subReply: (Omit<SubReply, 'at'> & { at: string }) | null
  coReplies: string[]; assignedUserId: string | null; backupUserId: string | null; mergedInto: string | null
  remindedBeforeAt: Date | null; remindedAfterAt: Date | null; escalated: boolean
}

export const ms = (d: Date | null): number | null => (d === null ? null : d.getTime())
export const date = (n: number | null): Date | null => (n === null ? null : new Date(n))

export function toTicket(r: TicketRow): Ticket {
  return {
    ...r, deadline: r.deadline.getTime(), createdAt: r.createdAt.getTime(), dispatchedAt: ms(r.dispatchedAt), signedForAt: ms(r.signedForAt),
    repliedAt: ms(r.repliedAt), closedAt: ms(r.closedAt), evaluatedAt: ms(r.evaluatedAt), remindedBeforeAt: ms(r.remindedBeforeAt), remindedAfterAt: ms(r.remindedAfterAt),
    pendingRequest: r.pendingRequest ? { ...r.pendingRequest, at: Date.parse(r.pendingRequest.at) } as PendingRequest : null,
    subReply: r.subReply ? { ...r.subReply, at: Date.parse(r.subReply.at) } : null
  }
}

/** jsonb keeps times as ISO text, readable in psql. */
export const jsonAt = <T extends { at: number }>(v: T | null) => (v === null ? null : { ...v, at: new Date(v.at).toISOString() })

/** What a partial read leaves out, so toTicket sees a whole row. */
export const EMPTY_ROW: Omit<TicketRow, 'id' | 'number' | 'status' | 'categoryCode' | 'content' | 'urgency' | 'deadline' | 'createdAt' | 'version'> = {
  callerNumber: '', callerName: null, channel: 'phone', lineNumber: null, address: null, limitHours: 0, resolvedOnCall: false, leadUnitId: null, coUnitIds: [],
  acceptedBy: '', dispatchedAt: null, signedForAt: null, repliedAt: null, reply: null, closedAt: null, redispatchCount: 0, reopenCount: 0, keySupervision: false,
  repeatOf: null, evaluationResult: null, evaluationDigits: null, evaluatedAt: null, evaluationMethod: null, evaluationProcess: null, evaluationSolved: null,
  evaluationRecordedBy: null, evaluationAttemptId: null, evaluationCallId: null, contactAllowed: false, complaintUnitId: null, pendingRequest: null, subUnitId: null,
  subReply: null, coReplies: [], assignedUserId: null, backupUserId: null, mergedInto: null, remindedBeforeAt: null, remindedAfterAt: null, escalated: false
}
