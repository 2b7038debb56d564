/**
 * Tickets in PostgreSQL. A change is one transaction: the ticket row (only if it is still at
 * the version the change was decided on), its audit entries and its outbox rows, so the
 * follow-up dialer never sees a close that did not happen, nor misses one that did.
 */
import type postgres from 'postgres'
import type { Sql } from '../db/sql.ts'
import { TicketErrors, rejectionError, withDetails } from './errors.ts'
import type { Ticket, TicketCategory, TicketEffect, TicketEventDraft, TicketStatus, TicketSummary, TransitionResult, Unit, UnitKind } from './model.ts'
import { formatTicketNumber, isTicketNumber } from './rules.ts'
import { EMPTY_ROW, date, jsonAt, toTicket, type TicketRow } from './rows.ts'

type Tx = postgres.TransactionSql<Record<string, unknown>>
type Db = Sql | Tx

export interface StoredTicketEvent extends TicketEventDraft { id: number; ticketId: string }

export interface TicketSearch {
  callerNumber?: string
  number?: string
  status?: TicketStatus
  from?: number
  to?: number
  /** Only tickets this unit leads or co-handles. */
  unitId?: string
  limit: number
  offset: number
}

export interface AttachmentMeta { id: string; ticketId: string; name: string; contentType: string; size: number; sha256: string; uploadedBy: string; unitId: string | null; createdAt: number }

export interface EscalationRow { id: number; kind: 'matter' | 'unit-complaints'; key: string; unitId: string | null; count: number; windowDays: number; ticketIds: string[]; status: string; createdAt: number; updatedAt: number }

export interface LinkedCall { ticketId: string; callId: string; recordingName: string | null; linkedAt: number }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function toEscalation(r: Omit<EscalationRow, 'createdAt' | 'updatedAt' | 'id'> & { id: string; createdAt: Date; updatedAt: Date }): EscalationRow {
  return { ...r, id: Number(r.id), createdAt: r.createdAt.getTime(), updatedAt: r.updatedAt.getTime() }
}

export class TicketStore {
  constructor(private readonly sql: Sql) {}

  async categories(): Promise<TicketCategory[]> {
    return this.sql<TicketCategory[]>`select code, name, limit_hours, active from ticket_categories order by sort_order, code`
  }

  async category(code: string): Promise<TicketCategory | null> {
    const [row] = await this.sql<TicketCategory[]>`select code, name, limit_hours, active from ticket_categories where code = ${code}`
    return row ?? null
  }

  async units(): Promise<Unit[]> {
    return this.sql<Unit[]>`select id, name, kind, active, parent_id from units order by id`
  }

  /** False when the id is taken. */
  async createUnit(unit: { id: string; name: string; kind: UnitKind; parentId?: string | null }): Promise<boolean> {
    const rows = await this.sql`insert into units (id, name, kind, parent_id) values (${unit.id}, ${unit.name}, ${unit.kind}, ${unit.parentId ?? null}) on conflict (id) do nothing returning id`
    return rows.length > 0
  }

  /** The unit a user acts for, or null (not a unit user, or no such user). */
  async unitOfUser(userId: string): Promise<string | null> {
    const [row] = await this.sql<{ unitId: string | null }[]>`select unit_id from users where id = ${userId} and role = 'unit' and not disabled`
    return row?.unitId ?? null
  }

  /** The dialer's answered attempt for the ticket's follow-up: where the keys are being pressed. */
  async answeredFollowUpAttempt(ticketId: string): Promise<string | null> {
    const [row] = await this.sql<{ id: string }[]>`select a.id from dial_attempts a join follow_up_tasks f on f.id = a.task_id
      where a.kind = 'follow-up' and f.ticket_id = ${ticketId} and a.state = 'answered' order by a.answered_at desc limit 1`
    return row?.id ?? null
  }

  /**
   * The follow-up call about this ticket that `agentId` answered (an agent-assisted 回访): still
   * going, or ended within the last quarter hour (the agent records in wrap-up).
   */
  async agentFollowUpCall(ticketId: string, agentId: string, callId: string | null): Promise<{ callId: string; attemptId: string } | null> {
    const [row] = await this.sql<{ callId: string; attemptId: string }[]>`
      select c.id as call_id, a.id as attempt_id from dial_attempts a
        join follow_up_tasks f on f.id = a.task_id
        join calls c on c.caller_channel_id = a.channel_id
      where a.kind = 'follow-up' and f.ticket_id = ${ticketId} and c.agent_id = ${agentId} and c.answered_at is not null
        and (c.ended_at is null or c.ended_at > now() - interval '15 minutes')
        ${callId ? this.sql`and c.id = ${callId}` : this.sql``}
      order by c.answered_at desc limit 1`
    return row ?? null
  }

  /** Requests in the window that can make a matter, or a unit's complaints, cross the threshold. */
  async escalationCandidates(t: Pick<Ticket, 'id' | 'categoryCode' | 'address' | 'complaintUnitId'>, since: number): Promise<{ id: string; callerNumber: string; categoryCode: string; address: string | null; complaintUnitId: string | null; createdAt: number }[]> {
    const rows = await this.sql<{ id: string; callerNumber: string; categoryCode: string; address: string | null; complaintUnitId: string | null; createdAt: Date }[]>`
      select id, caller_number, category_code, address, complaint_unit_id, created_at from tickets
      where created_at >= ${new Date(since)} and id <> ${t.id}
        and ((category_code = ${t.categoryCode} and address is not null) ${t.complaintUnitId ? this.sql`or complaint_unit_id = ${t.complaintUnitId}` : this.sql``})
      order by created_at desc limit 5000`
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.getTime() }))
  }

  /** One open escalation per key: raised once, its count and tickets kept up to date. */
  async upsertEscalation(e: { kind: 'matter' | 'unit-complaints'; key: string; unitId: string | null; count: number; windowDays: number; ticketIds: string[] }): Promise<EscalationRow> {
    const [row] = await this.sql<(Omit<EscalationRow, 'createdAt' | 'updatedAt' | 'id'> & { id: string; createdAt: Date; updatedAt: Date })[]>`
      insert into ticket_escalations (kind, key, unit_id, count, window_days, ticket_ids) values (${e.kind}, ${e.key}, ${e.unitId}, ${e.count}, ${e.windowDays}, ${e.ticketIds})
      on conflict (key) where status = 'open' do update set count = excluded.count, ticket_ids = excluded.ticket_ids, updated_at = now()
      returning *`
    return toEscalation(row!)
  }

  async openEscalations(): Promise<EscalationRow[]> {
    const rows = await this.sql<(Omit<EscalationRow, 'createdAt' | 'updatedAt' | 'id'> & { id: string; createdAt: Date; updatedAt: Date })[]>`
      select * from ticket_escalations where status = 'open' order by created_at desc limit 200`
    return rows.map(toEscalation)
  }

  /** Tickets a unit holds whose deadline is before `until`, for the reminder sweep. */
  async remindable(until: number): Promise<Ticket[]> {
    const rows = await this.sql<TicketRow[]>`select * from tickets where status in ('dispatched', 'signed-for') and deadline <= ${new Date(until)}
      and (reminded_after_at is null) order by deadline limit 1000`
    return rows.map(toTicket)
  }

  /**
   * A unit's inbox as the page shows it: how many tickets it handles now (lead, co-unit, or
   * passed down to it) in each section, counted in SQL over all of them, and the cards of the
   * earliest-due `limit` of each section from `offset` on (or of `section` alone). The section
   * is the SQL twin of inboxSection() in deadlines.ts; only the columns a card needs are read, the
   * content cut short, no caller, no reply.
   */
  async inboxPage(unitId: string, now: number, dueSoonMs: number, page: { limit: number; offset: number; section?: string }): Promise<{ counts: Record<string, number>; rows: { section: string; ticket: Ticket }[] }> {
    const at = new Date(now)
    const soon = new Date(now + dueSoonMs)
    const mine = () => this.sql`select id, number, status, category_code, left(content, 60) as content, urgency, deadline, lead_unit_id, co_unit_ids, sub_unit_id,
        sub_reply, pending_request, co_replies, reopen_count, escalated, key_supervision, version, created_at,
        case
          when lead_unit_id is distinct from ${unitId} then case when sub_unit_id = ${unitId} and deadline < ${at} then 'overdue' else 'co-handling' end
          when deadline < ${at} then 'overdue'
          when sub_reply is not null then 'review'
          when pending_request is not null then 'pending-request'
          when deadline <= ${soon} then 'due-soon'
          when reopen_count > 0 then 'returned'
          when status = 'dispatched' then 'new'
          else 'signed-for'
        end as section
      from tickets where status in ('dispatched', 'signed-for') and (lead_unit_id = ${unitId} or co_unit_ids @> array[${unitId}]::text[] or sub_unit_id = ${unitId})`
    const [counted, rows] = await Promise.all([
      this.sql<{ section: string; n: number }[]>`select section, count(*)::int as n from (${mine()}) m group by section`,
      this.sql<(TicketRow & { section: string; rn: string })[]>`
        select * from (select m.*, row_number() over (partition by section order by deadline, id) as rn from (${mine()}) m
          ${page.section === undefined ? this.sql`` : this.sql`where section = ${page.section}`}) r
        where rn > ${page.offset} and rn <= ${page.offset + page.limit} order by deadline, id`
    ])
    const counts: Record<string, number> = {}
    for (const c of counted) counts[c.section] = c.n
    return {
      counts,
      rows: rows.map(({ section, rn: _rn, ...r }) => ({ section, ticket: toTicket({ ...EMPTY_ROW, ...r }) }))
    }
  }

  async pendingRequests(): Promise<Ticket[]> {
    return (await this.sql<TicketRow[]>`select * from tickets where pending_request is not null order by (pending_request->>'at') limit 500`).map(toTicket)
  }

  async keySupervised(): Promise<Ticket[]> {
    return (await this.sql<TicketRow[]>`select * from tickets where key_supervision and status <> 'closed' order by deadline limit 500`).map(toTicket)
  }

  async escalatedOpen(): Promise<Ticket[]> {
    return (await this.sql<TicketRow[]>`select * from tickets where escalated and status <> 'closed' order by created_at desc limit 500`).map(toTicket)
  }

  async overdueOpen(now: number): Promise<Ticket[]> {
    return (await this.sql<TicketRow[]>`select * from tickets where status in ('dispatched', 'signed-for') and deadline < ${new Date(now)} order by deadline limit 500`).map(toTicket)
  }

  async mergedInto(ticketId: string): Promise<Ticket[]> {
    return (await this.sql<TicketRow[]>`select * from tickets where merged_into = ${ticketId} order by created_at`).map(toTicket)
  }

  async addAttachment(ticketId: string, f: { name: string; contentType: string; data: Buffer; sha256: string; uploadedBy: string; unitId: string | null; at: number }): Promise<AttachmentMeta> {
    const [row] = await this.sql<(Omit<AttachmentMeta, 'createdAt'> & { createdAt: Date })[]>`
      insert into ticket_attachments (ticket_id, name, content_type, size, sha256, data, uploaded_by, unit_id, created_at)
      values (${ticketId}, ${f.name}, ${f.contentType}, ${f.data.length}, ${f.sha256}, ${f.data}, ${f.uploadedBy}, ${f.unitId}, ${new Date(f.at)})
      returning id, ticket_id, name, content_type, size, sha256, uploaded_by, unit_id, created_at`
    return { ...row!, createdAt: row!.createdAt.getTime() }
  }

  async attachments(ticketId: string): Promise<AttachmentMeta[]> {
    const rows = await this.sql<(Omit<AttachmentMeta, 'createdAt'> & { createdAt: Date })[]>`
      select id, ticket_id, name, content_type, size, sha256, uploaded_by, unit_id, created_at from ticket_attachments where ticket_id = ${ticketId} order by created_at`
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.getTime() }))
  }

  async attachment(ticketId: string, id: string): Promise<(AttachmentMeta & { data: Buffer }) | null> {
    if (!UUID.test(id)) return null
    const [row] = await this.sql<(Omit<AttachmentMeta, 'createdAt'> & { createdAt: Date; data: Buffer })[]>`
      select id, ticket_id, name, content_type, size, sha256, uploaded_by, unit_id, created_at, data from ticket_attachments where ticket_id = ${ticketId} and id = ${id}`
    return row ? { ...row, createdAt: row.createdAt.getTime() } : null
  }

  /** The ids among `ids` that are not active units. */
  async missingUnits(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return []
    const found = await this.sql<{ id: string }[]>`select id from units where id = any(${ids}) and active`
    return ids.filter((id) => !found.some((f) => f.id === id))
  }

  /** What a ticket takes from the call it is accepted on. */
  async callFacts(callId: string): Promise<{ recordingName: string | null; lineNumber: string | null; callerNumber: string } | null> {
    const [row] = await this.sql<{ recordingName: string | null; lineNumber: string | null; callerNumber: string }[]>`
      select recording_name, line_number, caller_number from calls where id = ${callId}`
    return row ?? null
  }

  /**
   * Accepts a ticket: takes the day's next number, lets `build` decide the ticket (and, for a
   * ticket resolved on call, its close), and stores it all at once. A rejection rolls the
   * number back too, so the day's numbers stay gap-free.
   */
  async create(day: string, build: (number: string) => TransitionResult, link?: { callId: string; recordingName: string | null }): Promise<Ticket> {
    return this.sql.begin(async (tx) => {
      const [counter] = await tx<{ last: number }[]>`insert into ticket_number_counters (day, last) values (${`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`}, 1)
        on conflict (day) do update set last = ticket_number_counters.last + 1 returning last`
      const number = formatTicketNumber(day, counter!.last)
      const result = build(number)
      if (!result.ok) throw rejectionError(result.rejection, { number })
      const t = result.ticket
      await tx`insert into tickets (id, number, status, caller_number, caller_name, channel, line_number, category_code, content, address, urgency,
          limit_hours, deadline, resolved_on_call, lead_unit_id, co_unit_ids, accepted_by, created_at, closed_at, version, repeat_of, contact_allowed, complaint_unit_id)
        values (${t.id}, ${t.number}, ${t.status}, ${t.callerNumber}, ${t.callerName}, ${t.channel}, ${t.lineNumber}, ${t.categoryCode}, ${t.content},
          ${t.address}, ${t.urgency}, ${t.limitHours}, ${date(t.deadline)}, ${t.resolvedOnCall}, ${t.leadUnitId}, ${t.coUnitIds}, ${t.acceptedBy},
          ${date(t.createdAt)}, ${date(t.closedAt)}, ${t.version}, ${t.repeatOf}, ${t.contactAllowed}, ${t.complaintUnitId})`
      await this.record(tx, t, result.events, result.effects)
      if (link) await this.link(tx, t.id, link.callId, link.recordingName, t.createdAt)
      return t
    })
  }

  async get(idOrNumber: string): Promise<Ticket | null> {
    return this.load(this.sql, idOrNumber)
  }

  /**
   * Applies a change decided on the stored ticket. The ticket must be at `expectedVersion` when
   * read and still be when written (`where version = …`), else 409: someone else changed it
   * between the client's read and this write, and the client must look again.
   */
  async transition(idOrNumber: string, expectedVersion: number, decide: (ticket: Ticket) => TransitionResult): Promise<Ticket> {
    return this.sql.begin(async (tx) => {
      const current = await this.load(tx, idOrNumber)
      if (!current) throw new TicketErrors.notFound(idOrNumber)
      const conflict = (actual: number) => withDetails(new TicketErrors.versionConflict(current.number, actual, expectedVersion), { ticketId: current.id, number: current.number, version: actual, expectedVersion })
      const result = decide(current)
      const rejected = (r: TransitionResult): r is Extract<TransitionResult, { ok: false }> => !r.ok
      // Who may act comes first: a stale version must not tell a stranger the ticket changed.
      if (rejected(result) && result.rejection.code === 'FORBIDDEN') throw rejectionError(result.rejection, { ticketId: current.id, number: current.number })
      if (current.version !== expectedVersion) throw conflict(current.version)
      if (rejected(result)) throw rejectionError(result.rejection, { ticketId: current.id, number: current.number, status: current.status })
      const t = result.ticket
      const rows = await tx`update tickets set status = ${t.status}, lead_unit_id = ${t.leadUnitId}, co_unit_ids = ${t.coUnitIds}, deadline = ${date(t.deadline)},
          resolved_on_call = ${t.resolvedOnCall}, dispatched_at = ${date(t.dispatchedAt)}, signed_for_at = ${date(t.signedForAt)}, replied_at = ${date(t.repliedAt)},
          reply = ${t.reply}, closed_at = ${date(t.closedAt)}, version = ${t.version}, redispatch_count = ${t.redispatchCount}, reopen_count = ${t.reopenCount},
          key_supervision = ${t.keySupervision}, evaluation_result = ${t.evaluationResult}, evaluation_digits = ${t.evaluationDigits},
          evaluated_at = ${date(t.evaluatedAt)}, evaluation_method = ${t.evaluationMethod}, evaluation_process = ${t.evaluationProcess},
          evaluation_solved = ${t.evaluationSolved}, evaluation_recorded_by = ${t.evaluationRecordedBy}, evaluation_attempt_id = ${t.evaluationAttemptId},
          evaluation_call_id = ${t.evaluationCallId}, pending_request = ${t.pendingRequest ? tx.json(jsonAt(t.pendingRequest) as never) : null},
          sub_unit_id = ${t.subUnitId}, sub_reply = ${t.subReply ? tx.json(jsonAt(t.subReply) as never) : null}, co_replies = ${t.coReplies},
          assigned_user_id = ${t.assignedUserId}, backup_user_id = ${t.backupUserId}, merged_into = ${t.mergedInto},
          reminded_before_at = ${date(t.remindedBeforeAt)}, reminded_after_at = ${date(t.remindedAfterAt)}, escalated = ${t.escalated}
        where id = ${t.id} and version = ${expectedVersion} returning id`
      if (rows.length === 0) {
        const [now] = await tx<{ version: number }[]>`select version from tickets where id = ${t.id}`
        throw conflict(now?.version ?? -1)
      }
      await this.record(tx, t, result.events, result.effects)
      return t
    })
  }

  async events(ticketId: string): Promise<StoredTicketEvent[]> {
    const rows = await this.sql<(Omit<StoredTicketEvent, 'at' | 'id'> & { at: Date; id: string })[]>`
      select id, ticket_id, at, actor_id, actor_role, action, from_status, to_status, detail from ticket_events where ticket_id = ${ticketId} order by id`
    return rows.map((r) => ({ ...r, id: Number(r.id), at: r.at.getTime() }))
  }

  async search(f: TicketSearch): Promise<{ tickets: Ticket[]; total: number }> {
    const s = this.sql
    const where = () => s`where true
      ${f.callerNumber ? s`and caller_number = ${f.callerNumber}` : s``}
      ${f.number ? s`and number = ${f.number}` : s``}
      ${f.status ? s`and status = ${f.status}` : s``}
      ${f.from !== undefined ? s`and created_at >= ${new Date(f.from)}` : s``}
      ${f.to !== undefined ? s`and created_at < ${new Date(f.to)}` : s``}
      ${f.unitId ? s`and (lead_unit_id = ${f.unitId} or ${f.unitId} = any(co_unit_ids) or sub_unit_id = ${f.unitId})` : s``}`
    const rows = await s<(TicketRow & { total: string })[]>`select t.*, count(*) over () as total from tickets t ${where()}
      order by created_at desc, number desc limit ${f.limit} offset ${f.offset}`
    let total = rows.length > 0 ? Number(rows[0]!.total) : 0
    // Past the last page there is no row to carry the window count; count separately.
    if (rows.length === 0 && f.offset > 0) {
      const [c] = await s<{ n: number }[]>`select count(*)::int as n from tickets ${where()}`
      total = c?.n ?? 0
    }
    return { tickets: rows.map(({ total: _t, ...r }) => toTicket(r)), total }
  }

  /** For the screen pop: the caller's newest tickets first. */
  async recentForCaller(callerNumber: string, limit: number): Promise<(TicketSummary & { open: boolean })[]> {
    const rows = await this.sql<(Omit<TicketSummary, 'createdAt' | 'deadline'> & { createdAt: Date; deadline: Date; open: boolean })[]>`
      select id, number, status, caller_number, category_code, created_at, deadline, status <> 'closed' as open
      from tickets where caller_number = ${callerNumber} order by created_at desc, number desc limit ${limit}`
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.getTime(), deadline: r.deadline.getTime() }))
  }

  /** Tickets that can make a new request by this caller a repeat: still open, or recent. */
  async repeatCandidates(callerNumber: string, since: number): Promise<TicketSummary[]> {
    const rows = await this.sql<(Omit<TicketSummary, 'createdAt' | 'deadline'> & { createdAt: Date; deadline: Date })[]>`
      select id, number, status, caller_number, category_code, created_at, deadline from tickets
      where caller_number = ${callerNumber} and (status <> 'closed' or created_at >= ${new Date(since)})
      order by created_at desc limit 200`
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.getTime(), deadline: r.deadline.getTime() }))
  }

  /** Links a call (and its recording) to a ticket; linking the same call again keeps the first link. */
  async linkCall(ticketId: string, callId: string, recordingName: string | null, at = Date.now()): Promise<void> {
    await this.link(this.sql, ticketId, callId, recordingName, at)
  }

  async calls(ticketId: string): Promise<LinkedCall[]> {
    const rows = await this.sql<(Omit<LinkedCall, 'linkedAt'> & { linkedAt: Date })[]>`
      select ticket_id, call_id, recording_name, linked_at from ticket_calls where ticket_id = ${ticketId} order by linked_at`
    return rows.map((r) => ({ ...r, linkedAt: r.linkedAt.getTime() }))
  }

  private async link(db: Db, ticketId: string, callId: string, recordingName: string | null, at: number): Promise<void> {
    await db`insert into ticket_calls (ticket_id, call_id, recording_name, linked_at) values (${ticketId}, ${callId}, ${recordingName}, ${new Date(at)})
      on conflict (ticket_id, call_id) do update set recording_name = coalesce(ticket_calls.recording_name, excluded.recording_name)`
  }

  private async load(db: Db, idOrNumber: string): Promise<Ticket | null> {
    if (UUID.test(idOrNumber)) {
      const [row] = await db<TicketRow[]>`select * from tickets where id = ${idOrNumber}`
      return row ? toTicket(row) : null
    }
    if (!isTicketNumber(idOrNumber)) return null
    const [row] = await db<TicketRow[]>`select * from tickets where number = ${idOrNumber}`
    return row ? toTicket(row) : null
  }

  /**
   * 并单: each duplicate merged into `t` is closed with the one reply and gets its own follow-up
   * call, so every citizen who raised the matter hears back and is asked.
   */
  private async closeMerged(tx: Tx, t: Ticket, by: TicketEventDraft | undefined, at: number): Promise<void> {
    const merged = await tx<{ id: string; lineNumber: string | null; callerNumber: string }[]>`
      update tickets set status = 'closed', reply = ${t.reply}, replied_at = ${new Date(at)}, closed_at = ${new Date(at)}, version = version + 1
      where merged_into = ${t.id} and status = 'merged' returning id, line_number, caller_number`
    for (const m of merged) {
      await tx`insert into ticket_events (ticket_id, at, actor_id, actor_role, action, from_status, to_status, detail)
        values (${m.id}, ${new Date(at)}, ${by?.actorId ?? 'system'}, ${by?.actorRole ?? 'system'}, 'close', 'merged', 'closed', ${tx.json({ mergedInto: t.id, mergedIntoNumber: t.number } as never)})`
      await tx`insert into follow_up_tasks (ticket_id, line_number, phone_number, due_at) values (${m.id}, ${m.lineNumber}, ${m.callerNumber}, ${new Date(at)})
        on conflict (ticket_id) where status in ('due', 'in-progress') do nothing`
    }
  }

  /** Audit entries, then effects, in the order the rules gave them. */
  private async record(tx: Tx, t: Ticket, events: TicketEventDraft[], effects: TicketEffect[]): Promise<void> {
    for (const e of events) {
      await tx`insert into ticket_events (ticket_id, at, actor_id, actor_role, action, from_status, to_status, detail)
        values (${t.id}, ${new Date(e.at)}, ${e.actorId}, ${e.actorRole}, ${e.action}, ${e.fromStatus}, ${e.toStatus}, ${tx.json(e.detail as never)})`
    }
    for (const effect of effects) {
      switch (effect.kind) {
        case 'schedule-follow-up':
          // A follow-up still pending (a reopen while it was being dialled) covers this close too.
          await tx`insert into follow_up_tasks (ticket_id, line_number, phone_number, due_at) values (${t.id}, ${t.lineNumber}, ${t.callerNumber}, ${new Date(effect.dueAt)})
            on conflict (ticket_id) where status in ('due', 'in-progress') do nothing`
          await this.closeMerged(tx, t, events[0], effect.dueAt)
          break
        case 'complete-follow-up':
          await tx`update follow_up_tasks set status = 'done', updated_at = now() where ticket_id = ${t.id} and status in ('due', 'in-progress')`
          break
        case 'cancel-follow-up':
          await tx`update follow_up_tasks set status = 'cancelled', updated_at = now() where ticket_id = ${t.id} and status = 'due'`
          break
        case 'notify':
          // Pushed by the service once the transaction has committed.
          break
        default: {
          const never: never = effect
          throw new Error(`unhandled ticket effect ${JSON.stringify(never)}`)
        }
      }
    }
  }
}
