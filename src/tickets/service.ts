/**
 * Ticket use cases: resolve what the rules need (category, units, the call, the caller's
 * earlier tickets), let the rules decide, and have the store write the outcome in one go.
 * The panel, the call side and the follow-up dialer all come through here.
 */
import { createHash, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import type { Clock } from '../domain/clock.ts'
import { TicketErrors, withDetails } from './errors.ts'
import type { Actor, NotifyReason, Ticket, TicketAction, TicketCategory, TicketDraft, TicketEffect, TicketSummary, Unit, UnitKind } from './model.ts'
import {
  DEFAULT_ESCALATION, REPEAT_WINDOW_DAYS, acceptTicket, centerDay, escalationsFor, reminderDue, repeatFlag, transitionTicket, unitMayRead,
  type EscalationPolicy, type InboxSection
} from './rules.ts'
import type { AttachmentMeta, EscalationRow, LinkedCall, StoredTicketEvent, TicketSearch, TicketStore } from './store.ts'

const DAY_MS = 86_400_000

export interface AcceptRequest extends TicketDraft {
  /** The call the ticket is accepted on: linked, with its recording. */
  callId?: string
  /** 即办: answered on the call, closed at once (and queued for follow-up). */
  resolvedOnCall?: boolean
  note?: string
  contactAllowed?: boolean
  complaintUnitId?: string | null
}

/** What the units' workspace hears: a ticket changed in a way these units must see. */
export interface TicketNotice { ticket: Ticket; unitIds: string[]; reason: NotifyReason }

/** Attachment limits: photos and documents only, each at most maxBytes. */
export interface AttachmentPolicy { maxBytes: number; types: readonly string[] }
export const DEFAULT_ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'text/plain',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/msword'] as const

/** The service's settings from the configuration (one place, so every setting is read). */
export function ticketSettings(config: Pick<Config, 'HOTLINE_TIMEZONE' | 'HOTLINE_ATTACHMENT_MAX_BYTES' | 'HOTLINE_ATTACHMENT_TYPES' | 'HOTLINE_REMIND_BEFORE_H' | 'HOTLINE_DUE_SOON_H'
  | 'HOTLINE_ESCALATION_WINDOW_DAYS' | 'HOTLINE_ESCALATION_CITIZENS' | 'HOTLINE_ESCALATION_COMPLAINTS' | 'HOTLINE_REPEAT_WINDOW_DAYS'>, store: TicketStore, clock: Clock, log: Logger): TicketServiceDeps {
  return {
    store, clock, log, timeZone: config.HOTLINE_TIMEZONE, repeatWindowDays: config.HOTLINE_REPEAT_WINDOW_DAYS,
    attachments: { maxBytes: config.HOTLINE_ATTACHMENT_MAX_BYTES, types: config.HOTLINE_ATTACHMENT_TYPES.split(',') },
    remindBeforeMs: config.HOTLINE_REMIND_BEFORE_H * 3_600_000, dueSoonMs: config.HOTLINE_DUE_SOON_H * 3_600_000,
    escalation: { windowDays: config.HOTLINE_ESCALATION_WINDOW_DAYS, citizens: config.HOTLINE_ESCALATION_CITIZENS, complaints: config.HOTLINE_ESCALATION_COMPLAINTS }
  }
}

const SYSTEM: Actor = { id: 'ticket-watch', role: 'system', unitId: null }

export interface TicketServiceDeps {
  store: TicketStore; clock: Clock; timeZone: string; log: Logger; repeatWindowDays?: number
  escalation?: EscalationPolicy; attachments?: AttachmentPolicy
  /** 催办 before the deadline: this long before it. */
  remindBeforeMs?: number
  /** Due soon (临期) in the units' inbox: this long before the deadline. */
  dueSoonMs?: number
}

export class TicketService extends EventEmitter<{ notice: [TicketNotice] }> {
  constructor(private readonly deps: TicketServiceDeps) { super() }

  private get attachmentPolicy(): AttachmentPolicy {
    return this.deps.attachments ?? { maxBytes: 5 * 1024 * 1024, types: DEFAULT_ATTACHMENT_TYPES }
  }

  async accept(req: AcceptRequest, actor: Actor): Promise<Ticket> {
    const { store, clock } = this.deps
    const category = await store.category(req.categoryCode)
    if (!category) throw withDetails(new TicketErrors.invalid(`body.categoryCode: no ticket category '${req.categoryCode}'`), { categoryCode: req.categoryCode })
    let link: { callId: string; recordingName: string | null } | undefined
    let lineNumber = req.lineNumber
    if (req.callId) {
      const call = await store.callFacts(req.callId)
      if (!call) throw withDetails(new TicketErrors.invalid(`body.callId: no call with id '${req.callId}'`), { callId: req.callId })
      // The caller's number is the call's, not what the form says: the follow-up rings the person who called.
      if (call.callerNumber !== req.callerNumber) {
        throw withDetails(new TicketErrors.invalid('body.callerNumber: differs from the number of the call the ticket is accepted on'), { callId: req.callId })
      }
      link = { callId: req.callId, recordingName: call.recordingName }
      lineNumber ??= call.lineNumber
    }
    if (req.complaintUnitId) {
      const missing = await store.missingUnits([req.complaintUnitId])
      if (missing.length > 0) throw withDetails(new TicketErrors.invalid(`body.complaintUnitId: no active unit '${req.complaintUnitId}'`), { units: missing })
    }
    const now = clock.now()
    const windowDays = this.deps.repeatWindowDays ?? REPEAT_WINDOW_DAYS
    const earlier = await store.repeatCandidates(req.callerNumber, now - windowDays * DAY_MS)
    const repeat = repeatFlag(earlier, { callerNumber: req.callerNumber, categoryCode: req.categoryCode, now }, windowDays)
    const draft: TicketDraft = {
      callerNumber: req.callerNumber, callerName: req.callerName, channel: req.channel, lineNumber, categoryCode: req.categoryCode,
      content: req.content, address: req.address, urgency: req.urgency, contactAllowed: req.contactAllowed ?? false, complaintUnitId: req.complaintUnitId ?? null
    }
    const ticket = await store.create(centerDay(now, this.deps.timeZone), (number) => {
      const accepted = acceptTicket(draft, { id: randomUUID(), number, category, actor, now, repeat })
      if (!accepted.ok || !req.resolvedOnCall) return accepted
      const closed = transitionTicket(accepted.ticket, { type: 'close', resolvedOnCall: true, ...(req.note ? { note: req.note } : {}) }, actor, now)
      if (!closed.ok) return closed
      return { ok: true, ticket: closed.ticket, events: [...accepted.events, ...closed.events], effects: [...accepted.effects, ...closed.effects] }
    }, link)
    this.deps.log.info({ ticketId: ticket.id, number: ticket.number, actorId: actor.id, resolvedOnCall: ticket.resolvedOnCall, repeat: repeat.repeat }, 'ticket accepted')
    try {
      await this.checkEscalation(ticket)
    } catch (err) {
      // The request is accepted either way; a missed escalation is found at the next request.
      this.deps.log.error({ err, ticketId: ticket.id }, 'escalation check failed')
    }
    return (await store.get(ticket.id)) ?? ticket
  }

  /**
   * 升级督办: after each request, whether its matter now has enough citizens, or its unit
   * enough complaints, within the window. One open escalation per matter; every open ticket
   * it covers is marked and its units told.
   */
  private async checkEscalation(ticket: Ticket): Promise<void> {
    const policy = this.deps.escalation ?? DEFAULT_ESCALATION
    if (!ticket.address && !ticket.complaintUnitId) return
    const since = ticket.createdAt - policy.windowDays * DAY_MS
    const recent = await this.deps.store.escalationCandidates(ticket, since)
    for (const finding of escalationsFor(recent, ticket, policy)) {
      const count = finding.kind === 'matter' ? finding.citizens : finding.complaints
      const escalation = await this.deps.store.upsertEscalation({ kind: finding.kind, key: finding.key, unitId: finding.kind === 'unit-complaints' ? finding.unitId : null, count, windowDays: policy.windowDays, ticketIds: finding.ticketIds })
      const reason = finding.kind === 'matter' ? `${count} citizens raised this matter within ${policy.windowDays} days` : `${count} complaints against unit '${finding.unitId}' within ${policy.windowDays} days`
      for (const id of finding.ticketIds) {
        const t = await this.deps.store.get(id)
        if (!t || t.escalated || t.status === 'closed') continue
        await this.act(t.id, t.version, { type: 'escalate', reason, escalationId: escalation.id }, SYSTEM).catch((err) => {
          this.deps.log.warn({ err: (err as Error).message, ticketId: id }, 'marking a ticket escalated failed')
        })
      }
      this.deps.log.info({ kind: finding.kind, key: finding.key, count, escalationId: escalation.id }, 'escalated supervision raised')
    }
  }

  /** One life-cycle step on the ticket as the client last saw it (`expectedVersion`). */
  async act(idOrNumber: string, expectedVersion: number, action: TicketAction, actor: Actor): Promise<Ticket> {
    const now = this.deps.clock.now()
    const resolved = await this.resolve(idOrNumber, action, actor)
    let effects: TicketEffect[] = []
    const ticket = await this.deps.store.transition(idOrNumber, expectedVersion, (current) => {
      const result = transitionTicket(current, resolved, actor, now)
      if (result.ok) effects = result.effects
      return result
    })
    this.deps.log.info({ ticketId: ticket.id, number: ticket.number, action: action.type, status: ticket.status, actorId: actor.id }, 'ticket changed')
    for (const e of effects) if (e.kind === 'notify') this.emit('notice', { ticket, unitIds: e.unitIds, reason: e.reason })
    return ticket
  }

  /** Fills in what the rules need from the database: units exist, the unit beneath, the users, the call. */
  private async resolve(idOrNumber: string, action: TicketAction, actor: Actor): Promise<TicketAction> {
    const { store } = this.deps
    const checkUnits = async (lead: string, co: string[]) => {
      const missing = await store.missingUnits([lead, ...co])
      if (missing.length > 0) {
        const field = missing.includes(lead) ? 'body.leadUnitId' : 'body.coUnitIds'
        throw withDetails(new TicketErrors.invalid(`${field}: no active unit '${missing.join("', '")}'`), { units: missing })
      }
    }
    switch (action.type) {
      case 'dispatch':
        await checkUnits(action.leadUnitId, action.coUnitIds)
        return action
      case 'rule-return':
        if (action.decision === 'redispatch') await checkUnits(action.leadUnitId, action.coUnitIds)
        return action
      case 'transfer': {
        const unit = (await store.units()).find((u) => u.id === action.subUnitId && u.active)
        if (!unit) throw withDetails(new TicketErrors.invalid(`body.subUnitId: no active unit '${action.subUnitId}'`), { units: [action.subUnitId] })
        return { ...action, subUnitParentId: unit.parentId }
      }
      case 'assign': {
        const ticket = await store.get(idOrNumber)
        if (!ticket) throw new TicketErrors.notFound(idOrNumber)
        for (const [field, id] of [['body.userId', action.userId], ['body.backupUserId', action.backupUserId]] as const) {
          if (id !== null && (await store.unitOfUser(id)) !== ticket.leadUnitId) {
            throw withDetails(new TicketErrors.invalid(`${field}: '${id}' is not a user of the lead unit`), { userId: id })
          }
        }
        return action
      }
      case 'merge': {
        const into = await store.get(action.intoTicketId)
        if (!into) throw withDetails(new TicketErrors.invalid(`body.intoTicket: no ticket '${action.intoTicketId}'`), { intoTicket: action.intoTicketId })
        if (into.status === 'closed' || into.status === 'merged') throw withDetails(new TicketErrors.invalid(`body.intoTicket: ticket ${into.number} is ${into.status}; merge into an open ticket`), { intoTicket: into.id })
        return { ...action, intoTicketId: into.id, intoNumber: into.number }
      }
      case 'evaluate': {
        const ticket = await store.get(idOrNumber)
        if (!ticket) throw new TicketErrors.notFound(idOrNumber)
        if (actor.role === 'system' && action.method === 'phone-dtmf') {
          // The dialer's answer is tied to the attempt it was keyed on (and that attempt's recording).
          return { ...action, attemptId: action.attemptId ?? (await store.answeredFollowUpAttempt(ticket.id)) }
        }
        if (actor.role !== 'system') {
          const call = await store.agentFollowUpCall(ticket.id, actor.id, action.callId ?? null)
          if (action.callId && !call) throw withDetails(new TicketErrors.invalid(`body.callId: '${action.callId}' is not your follow-up call about ticket ${ticket.number}`), { callId: action.callId })
          return { ...action, callId: call?.callId ?? null, attemptId: call?.attemptId ?? null }
        }
        return action
      }
      default:
        return action
    }
  }

  /** 催办: reminds the units of every ticket due soon or overdue that has not been reminded in this round. */
  async sendDueReminders(): Promise<number> {
    const now = this.deps.clock.now()
    const beforeMs = this.deps.remindBeforeMs ?? 4 * 3_600_000
    let sent = 0
    for (const t of await this.deps.store.remindable(now + beforeMs)) {
      const when = reminderDue(t, now, beforeMs)
      if (!when) continue
      try {
        await this.act(t.id, t.version, { type: 'remind', when }, SYSTEM)
        sent += 1
      } catch (err) {
        // Changed meanwhile: the next sweep looks again.
        this.deps.log.debug({ err: (err as Error).message, ticketId: t.id }, 'reminder skipped')
      }
    }
    return sent
  }

  /**
   * A unit's inbox: how many tickets it handles now in each section (all of them, counted by the
   * database), and the earliest-due `perSection` of each from `offset` on, or of `section` only.
   */
  async inbox(actor: Actor, page: { perSection?: number; offset?: number; section?: InboxSection } = {}): Promise<{ sections: Partial<Record<InboxSection, number>>; tickets: { ticket: Ticket; section: InboxSection }[] }> {
    if (actor.role !== 'unit' || actor.unitId === null) throw new TicketErrors.forbidden('the inbox is for unit users')
    const now = this.deps.clock.now()
    const dueSoonMs = this.deps.dueSoonMs ?? 24 * 3_600_000
    const { counts, rows } = await this.deps.store.inboxPage(actor.unitId, now, dueSoonMs, { limit: page.perSection ?? 200, offset: page.offset ?? 0, section: page.section })
    return { sections: counts as Partial<Record<InboxSection, number>>, tickets: rows as { ticket: Ticket; section: InboxSection }[] }
  }

  /** The supervisors' review desk (派单异议审核, 延期审批, 重点督办, 升级督办). */
  async reviewDesk(): Promise<{ returns: Ticket[]; extensions: Ticket[]; keySupervision: Ticket[]; escalated: Ticket[]; overdue: Ticket[]; escalations: EscalationRow[] }> {
    const { store, clock } = this.deps
    const [pending, key, escalated, overdue, escalations] = await Promise.all([store.pendingRequests(), store.keySupervised(), store.escalatedOpen(), store.overdueOpen(clock.now()), store.openEscalations()])
    return { returns: pending.filter((t) => t.pendingRequest?.kind === 'return'), extensions: pending.filter((t) => t.pendingRequest?.kind === 'extension'), keySupervision: key, escalated, overdue, escalations }
  }

  /** Attaches a file (checked against the limits) to a ticket the actor may act on. */
  async attach(idOrNumber: string, file: { name: string; contentType: string; data: Buffer }, actor: Actor): Promise<AttachmentMeta> {
    const ticket = await this.get(idOrNumber, actor)
    const policy = this.attachmentPolicy
    if (ticket.status === 'closed' || ticket.status === 'merged') throw withDetails(new TicketErrors.illegalTransition(`ticket ${ticket.number} is ${ticket.status}: nothing more is attached`), { ticketId: ticket.id })
    if (!policy.types.includes(file.contentType)) throw withDetails(new TicketErrors.invalid(`body.contentType: '${file.contentType}' is not accepted (${policy.types.join(', ')})`), { contentType: file.contentType })
    if (file.data.length === 0) throw new TicketErrors.invalid('body.data: the file is empty')
    if (file.data.length > policy.maxBytes) throw withDetails(new TicketErrors.tooLarge(`body.data: ${file.data.length} bytes is more than the ${policy.maxBytes} allowed`), { size: file.data.length, maxBytes: policy.maxBytes })
    const meta = await this.deps.store.addAttachment(ticket.id, { ...file, sha256: createHash('sha256').update(file.data).digest('hex'), uploadedBy: actor.id, unitId: actor.unitId, at: this.deps.clock.now() })
    this.deps.log.info({ ticketId: ticket.id, attachmentId: meta.id, size: meta.size, actorId: actor.id }, 'attachment added')
    return meta
  }

  async attachments(idOrNumber: string, actor: Actor): Promise<AttachmentMeta[]> {
    const ticket = await this.get(idOrNumber, actor)
    return this.deps.store.attachments(ticket.id)
  }

  async attachment(idOrNumber: string, attachmentId: string, actor: Actor): Promise<AttachmentMeta & { data: Buffer }> {
    const ticket = await this.get(idOrNumber, actor)
    const file = await this.deps.store.attachment(ticket.id, attachmentId)
    if (!file) throw withDetails(new TicketErrors.notFound(`${ticket.number}/attachments/${attachmentId}`), { ticketId: ticket.id })
    return file
  }

  /** Tickets merged into this one (并单). */
  merged(ticketId: string): Promise<Ticket[]> {
    return this.deps.store.mergedInto(ticketId)
  }

  /** A ticket as `actor` may see it: units only see tickets they lead or co-handle. */
  async get(idOrNumber: string, actor: Actor): Promise<Ticket> {
    const ticket = await this.deps.store.get(idOrNumber)
    if (!ticket) throw new TicketErrors.notFound(idOrNumber)
    if (actor.role === 'unit' && (actor.unitId === null || !unitMayRead(ticket, actor.unitId))) {
      throw withDetails(new TicketErrors.forbidden(`unit '${actor.unitId ?? '-'}' does not handle ticket ${ticket.number}`), { ticketId: ticket.id })
    }
    return ticket
  }

  /** Whether a unit user may read the ticket (the workspace's socket checks with this). */
  async unitMayRead(idOrNumber: string, actor: Actor): Promise<boolean> {
    try { await this.get(idOrNumber, actor); return true } catch { return false }
  }

  async events(idOrNumber: string, actor: Actor): Promise<{ ticket: Ticket; events: StoredTicketEvent[] }> {
    const ticket = await this.get(idOrNumber, actor)
    return { ticket, events: await this.deps.store.events(ticket.id) }
  }

  async search(filter: TicketSearch, actor: Actor): Promise<{ tickets: Ticket[]; total: number }> {
    if (actor.role === 'unit') {
      if (actor.unitId === null) throw new TicketErrors.forbidden(`unit user '${actor.id}' belongs to no unit`)
      return this.deps.store.search({ ...filter, unitId: actor.unitId })
    }
    return this.deps.store.search(filter)
  }

  /** The screen pop: the caller's newest tickets, with whether each is still open. */
  recentForCaller(callerNumber: string, limit = 10): Promise<(TicketSummary & { open: boolean })[]> {
    return this.deps.store.recentForCaller(callerNumber, limit)
  }

  /** Links another call about the ticket (a caller chasing it up, a follow-up call). */
  async linkCall(idOrNumber: string, callId: string, recordingName?: string | null): Promise<void> {
    const ticket = await this.deps.store.get(idOrNumber)
    if (!ticket) throw new TicketErrors.notFound(idOrNumber)
    const name = recordingName !== undefined ? recordingName : (await this.deps.store.callFacts(callId))?.recordingName ?? null
    await this.deps.store.linkCall(ticket.id, callId, name, this.deps.clock.now())
  }

  calls(ticketId: string): Promise<LinkedCall[]> {
    return this.deps.store.calls(ticketId)
  }

  categories(): Promise<TicketCategory[]> {
    return this.deps.store.categories()
  }

  units(): Promise<Unit[]> {
    return this.deps.store.units()
  }

  async createUnit(unit: { id: string; name: string; kind: UnitKind; parentId?: string | null }): Promise<void> {
    if (unit.parentId && (await this.deps.store.missingUnits([unit.parentId])).length > 0) {
      throw withDetails(new TicketErrors.invalid(`body.parentId: no active unit '${unit.parentId}'`), { units: [unit.parentId] })
    }
    if (!(await this.deps.store.createUnit(unit))) throw new TicketErrors.unitExists(unit.id)
  }
}
