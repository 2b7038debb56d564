/**
 * Tickets in PostgreSQL. A change is one transaction: the ticket row (only if it is still at
 * the version the change was decided on), its audit entries and its outbox rows, so the
 * follow-up dialer never sees a close that did not happen, nor misses one that did.
 */
import type postgres from 'postgres'
import type { Sql } from '../db/sql.ts'
import { TicketErrors, rejectionError, withDetails } from './errors.ts'
import type {
  EvaluationMethod, EvaluationResult, Ticket, TicketCategory, TicketChannel, TicketEffect, TicketEventDraft, TicketStatus,
  TicketSummary, TransitionResult, Unit, UnitKind, Urgency
} from './model.ts'
import { formatTicketNumber, isTicketNumber } from './rules.ts'

type Tx = postgres.TransactionSql<Record<string, unknown>>
type Db = Sql | Tx

interface TicketRow {
  id: string; number: string; status: TicketStatus; callerNumber: string; callerName: string | null; channel: TicketChannel
  lineNumber: string | null; categoryCode: string; content: string; address: string | null; urgency: Urgency; limitHours: number
  deadline: Date; resolvedOnCall: boolean; leadUnitId: string | null; coUnitIds: string[]; acceptedBy: string; createdAt: Date
  dispatchedAt: Date | null; signedForAt: Date | null; repliedAt: Date | null; reply: string | null; closedAt: Date | null; version: number
  redispatchCount: number; reopenCount: number; keySupervision: boolean; repeatOf: string | null; evaluationResult: EvaluationResult | null
  evaluationDigits: string | null; evaluatedAt: Date | null; evaluationMethod: EvaluationMethod | null
}

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

export interface LinkedCall { ticketId: string; callId: string; recordingName: string | null; linkedAt: number }

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime())
const date = (n: number | null): Date | null => (n === null ? null : new Date(n))
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function toTicket(r: TicketRow): Ticket {
  return {
    ...r, deadline: r.deadline.getTime(), createdAt: r.createdAt.getTime(), dispatchedAt: ms(r.dispatchedAt), signedForAt: ms(r.signedForAt),
    repliedAt: ms(r.repliedAt), closedAt: ms(r.closedAt), evaluatedAt: ms(r.evaluatedAt)
  }
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
    return this.sql<Unit[]>`select id, name, kind, active from units order by id`
  }

  /** False when the id is taken. */
  async createUnit(unit: { id: string; name: string; kind: UnitKind }): Promise<boolean> {
    const rows = await this.sql`insert into units (id, name, kind) values (${unit.id}, ${unit.name}, ${unit.kind}) on conflict (id) do nothing returning id`
    return rows.length > 0
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
          limit_hours, deadline, resolved_on_call, lead_unit_id, co_unit_ids, accepted_by, created_at, closed_at, version, repeat_of)
        values (${t.id}, ${t.number}, ${t.status}, ${t.callerNumber}, ${t.callerName}, ${t.channel}, ${t.lineNumber}, ${t.categoryCode}, ${t.content},
          ${t.address}, ${t.urgency}, ${t.limitHours}, ${date(t.deadline)}, ${t.resolvedOnCall}, ${t.leadUnitId}, ${t.coUnitIds}, ${t.acceptedBy},
          ${date(t.createdAt)}, ${date(t.closedAt)}, ${t.version}, ${t.repeatOf})`
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
          evaluated_at = ${date(t.evaluatedAt)}, evaluation_method = ${t.evaluationMethod}
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
      ${f.unitId ? s`and (lead_unit_id = ${f.unitId} or ${f.unitId} = any(co_unit_ids))` : s``}`
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
          break
        case 'complete-follow-up':
          await tx`update follow_up_tasks set status = 'done', updated_at = now() where ticket_id = ${t.id} and status in ('due', 'in-progress')`
          break
        case 'cancel-follow-up':
          await tx`update follow_up_tasks set status = 'cancelled', updated_at = now() where ticket_id = ${t.id} and status = 'due'`
          break
        default: {
          const never: never = effect
          throw new Error(`unhandled ticket effect ${JSON.stringify(never)}`)
        }
      }
    }
  }
}
