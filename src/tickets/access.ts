/**
 * Who may do what to a ticket, pure: the roles each action admits, and for unit users their
 * part in the ticket (lead unit, co-unit, the unit beneath it), A/B roles and what they may read.
 */
import type { Actor, Ticket, TicketAction, TicketActionType, TicketRejection } from './model.ts'

/** Which roles may take each action at all; units are further limited to their own tickets. */
const ALLOWED_ROLES: Readonly<Record<TicketActionType, readonly Actor['role'][]>> = {
  dispatch: ['agent', 'supervisor', 'admin'],
  'sign-for': ['unit', 'supervisor', 'admin'],
  reply: ['unit', 'supervisor', 'admin'],
  return: ['unit'],
  close: ['agent', 'supervisor', 'admin'],
  reopen: ['supervisor', 'admin'],
  supervise: ['supervisor', 'admin'],
  // Follow-up is made by agents calling back, or by the dialer with the caller's key press.
  evaluate: ['agent', 'supervisor', 'admin', 'system'],
  progress: ['unit', 'supervisor', 'admin'],
  'rule-return': ['supervisor', 'admin'],
  'request-extension': ['unit'],
  'rule-extension': ['supervisor', 'admin'],
  transfer: ['unit'],
  'review-sub-reply': ['unit'],
  assign: ['unit'],
  merge: ['agent', 'supervisor', 'admin'],
  remind: ['supervisor', 'admin', 'system'],
  escalate: ['supervisor', 'admin', 'system']
}
export const ACCEPTING_ROLES: readonly Actor['role'][] = ['agent', 'supervisor', 'admin']

/** The roles that may take `action` at all (the HTTP layer's first check). */
export function rolesFor(action: TicketActionType): readonly Actor['role'][] {
  return ALLOWED_ROLES[action]
}

/** The steps a unit's user may take, by the unit's part in the ticket. */
const LEAD_STEPS: readonly TicketActionType[] = ['sign-for', 'reply', 'return', 'progress', 'request-extension', 'transfer', 'review-sub-reply', 'assign']
const CO_STEPS: readonly TicketActionType[] = ['reply', 'progress']

/** Whether `actor` may take `action` on `ticket` at all (state aside). */
export function checkRole(ticket: Pick<Ticket, 'number' | 'leadUnitId' | 'coUnitIds' | 'subUnitId' | 'assignedUserId' | 'backupUserId'>, action: TicketAction, actor: Actor): TicketRejection | null {
  if (!ALLOWED_ROLES[action.type].includes(actor.role)) {
    return { code: 'FORBIDDEN', message: `role '${actor.role}' may not ${action.type} tickets` }
  }
  if (actor.role !== 'unit') return null
  if (actor.unitId === null) return { code: 'FORBIDDEN', message: `unit user '${actor.id}' belongs to no unit` }
  if (actor.unitId === ticket.leadUnitId && LEAD_STEPS.includes(action.type)) {
    // A/B roles: once assigned, the assignee and the backup act; anyone of the unit may re-assign.
    const assigned = ticket.assignedUserId
    if (assigned && action.type !== 'assign' && actor.id !== assigned && actor.id !== ticket.backupUserId) {
      return { code: 'FORBIDDEN', message: `ticket ${ticket.number} is assigned to '${assigned}'${ticket.backupUserId ? ` (backup '${ticket.backupUserId}')` : ''}` }
    }
    return null
  }
  if ((ticket.coUnitIds.includes(actor.unitId) || actor.unitId === ticket.subUnitId) && CO_STEPS.includes(action.type)) return null
  return { code: 'FORBIDDEN', message: `unit '${actor.unitId}' is not the lead unit of ticket ${ticket.number}` }
}

/** Whether a unit user may read the ticket: its unit leads it, co-handles it, or had it passed down (转办). */
export function unitMayRead(ticket: Pick<Ticket, 'leadUnitId' | 'coUnitIds' | 'subUnitId'>, unitId: string): boolean {
  return ticket.leadUnitId === unitId || ticket.coUnitIds.includes(unitId) || ticket.subUnitId === unitId
}
