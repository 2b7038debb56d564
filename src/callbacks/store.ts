/**
 * Callback tasks (回拨) and their attempts in PostgreSQL, and their facts in the queue log (with
 * the original call's id, so the line's figures count offers, requests, attempts, outcomes and
 * the time from the original call to the conversation).
 */
import { randomUUID } from 'node:crypto'
import { channelIdFor, type AttemptOutcome } from '../dialer/model.ts'
import type { AttemptDecision } from '../dialer/rules.ts'
import { DialAttemptStore, finishAttemptRow, insertAttempts } from '../dialer/store.ts'

export type CallbackStatus = 'due' | 'queued' | 'in-progress' | 'done' | 'unreachable' | 'cancelled'

export interface CallbackTask {
  id: number
  callerNumber: string
  lineNumber: string | null
  queueId: string
  originalCallId: string
  reason: 'requested' | 'abandoned'
  status: CallbackStatus
  placeAt: number | null
  dueAt: number
  attempts: number
  tries: number
  entryCallId: string | null
  createdAt: number
}

interface Row extends Omit<CallbackTask, 'id' | 'placeAt' | 'dueAt' | 'createdAt'> { id: string; placeAt: Date | null; dueAt: Date; createdAt: Date }
const toTask = (r: Row): CallbackTask => ({ ...r, id: Number(r.id), placeAt: r.placeAt?.getTime() ?? null, dueAt: r.dueAt.getTime(), createdAt: r.createdAt.getTime() })

export type CallbackLogEvent = 'callback-offered' | 'callback-requested' | 'callback-scheduled' | 'callback-dialled' | 'callback-failed' | 'callback-connected' | 'callback-unreachable' | 'callback-cancelled'

export interface CallbackStatsRow {
  day: string; lineNumber: string | null; offered: number; requested: number; abandonedScheduled: number; attempts: number
  connected: number; unreachable: number; cancelled: number; medianSecondsToConversation: number | null
}

/** Callback tasks and their figures; the attempts and trunks are the dialer kernel's (DialAttemptStore). */
export class CallbackStore extends DialAttemptStore {

  /**
   * A callback for this caller, unless one is pending already (one per number): null then.
   * `queued` tasks get their queue entry id now (the caller's kept place).
   */
  async create(t: { callerNumber: string; lineNumber: string | null; queueId: string; originalCallId: string; reason: 'requested' | 'abandoned'; placeAt: number | null; dueAt: number; queued: boolean; now: number }): Promise<CallbackTask | null> {
    const entry = t.queued ? randomUUID() : null
    const rows = await this.sql<Row[]>`insert into callback_tasks (caller_number, line_number, queue_id, original_call_id, reason, status, place_at, due_at, entry_call_id, created_at, updated_at)
      values (${t.callerNumber}, ${t.lineNumber}, ${t.queueId}, ${t.originalCallId}, ${t.reason}, ${t.queued ? 'queued' : 'due'}, ${t.placeAt === null ? null : new Date(t.placeAt)},
        ${new Date(t.dueAt)}, ${entry}, ${new Date(t.now)}, ${new Date(t.now)})
      on conflict (caller_number) where status in ('due', 'queued', 'in-progress') do nothing returning *`
    return rows[0] ? toTask(rows[0]) : null
  }

  async byEntry(entryCallId: string): Promise<CallbackTask | null> {
    const [row] = await this.sql<Row[]>`select * from callback_tasks where entry_call_id = ${entryCallId}`
    return row ? toTask(row) : null
  }

  async get(id: number): Promise<CallbackTask | null> {
    const [row] = await this.sql<Row[]>`select * from callback_tasks where id = ${id}`
    return row ? toTask(row) : null
  }

  /** Due tasks become queue places (each with a fresh entry id), claimed with skip locked. */
  async claimDue(now: number, limit: number): Promise<CallbackTask[]> {
    const rows = await this.sql<Row[]>`
      with pick as (select id from callback_tasks where status = 'due' and due_at <= ${new Date(now)} order by due_at, id limit ${limit} for update skip locked)
      update callback_tasks c set status = 'queued', entry_call_id = gen_random_uuid(), updated_at = ${new Date(now)} from pick where c.id = pick.id returning c.*`
    return rows.map(toTask)
  }

  async queuedTasks(): Promise<CallbackTask[]> {
    return (await this.sql<Row[]>`select * from callback_tasks where status = 'queued'`).map(toTask)
  }

  /** Records the attempt (before it is dialled) and marks the task in progress, at once. */
  async startAttempt(task: CallbackTask, p: { trunkId: string; agentId: string; seat: string | null; now: number }): Promise<{ attemptId: string; attemptNo: number; channelId: string } | null> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<{ attempts: number }[]>`update callback_tasks set status = 'in-progress', attempts = attempts + 1, updated_at = ${new Date(p.now)}
        where id = ${task.id} and status = 'queued' returning attempts`
      if (!row) return null
      const attemptId = randomUUID()
      const channelId = channelIdFor('callback', task.id, row.attempts)
      await insertAttempts(tx, [{
        id: attemptId, kind: 'callback', taskId: task.id, attemptNo: row.attempts, channelId, trunkId: p.trunkId, phoneNumber: task.callerNumber,
        lineNumber: task.lineNumber, agentId: p.agentId, seat: p.seat, dueAt: task.dueAt, createdAt: p.now
      }])
      return { attemptId, attemptNo: row.attempts, channelId }
    })
  }

  /** Finishes the attempt and applies the decision to the task; false when already finished. */
  async finishAttempt(a: { attemptId: string; taskId: number; outcome: AttemptOutcome; cause: number | null; at: number; connectedCallId?: string }, decision: AttemptDecision): Promise<boolean> {
    const at = new Date(a.at)
    return this.sql.begin(async (tx) => {
      if (!(await finishAttemptRow(tx, a))) return false
      switch (decision.kind) {
        case 'done':
          await tx`update callback_tasks set status = 'done', last_outcome = ${a.outcome}, connected_call_id = ${a.connectedCallId ?? null}, finished_at = ${at}, updated_at = ${at} where id = ${a.taskId}`
          break
        case 'cancelled':
          await tx`update callback_tasks set status = 'cancelled', last_outcome = ${a.outcome}, final_reason = ${a.outcome}, finished_at = ${at}, updated_at = ${at} where id = ${a.taskId}`
          break
        case 'retry':
          await tx`update callback_tasks set status = 'due', due_at = ${new Date(decision.dueAt)}, tries = ${decision.tries}, entry_call_id = null, last_outcome = ${a.outcome}, updated_at = ${at} where id = ${a.taskId}`
          break
        case 'unreachable':
          await tx`update callback_tasks set status = 'unreachable', tries = ${decision.tries}, last_outcome = ${a.outcome}, final_reason = ${decision.reason}, finished_at = ${at}, updated_at = ${at} where id = ${a.taskId}`
          break
      }
      return true
    })
  }

  /** A new call from the number reached an agent: the pending callback is moot. */
  async cancelPending(callerNumber: string, now: number): Promise<CallbackTask[]> {
    const rows = await this.sql<Row[]>`update callback_tasks set status = 'cancelled', final_reason = 'caller-reached-agent', finished_at = ${new Date(now)}, updated_at = ${new Date(now)}
      where caller_number = ${callerNumber} and status in ('due', 'queued') returning *`
    return rows.map(toTask)
  }

  /** The callback call's record says what it is: placed by us, returning the original call. */
  async markCallbackCall(callId: string, originalCallId: string): Promise<void> {
    await this.sql`update calls set direction = 'outbound', callback_of = ${originalCallId} where id = ${callId}`
  }

  async originalArrival(callId: string): Promise<number | null> {
    const [row] = await this.sql<{ arrivedAt: Date }[]>`select arrived_at from calls where id = ${callId}`
    return row?.arrivedAt.getTime() ?? null
  }

  async log(t: Pick<CallbackTask, 'originalCallId' | 'queueId' | 'lineNumber'>, event: CallbackLogEvent, at: number, detail: Record<string, unknown>, agentId: string | null = null): Promise<void> {
    await this.sql`insert into queue_log (at, call_id, queue_id, line_number, agent_id, event, detail)
      values (${new Date(at)}, ${t.originalCallId}, ${t.queueId}, ${t.lineNumber}, ${agentId}, ${event}, ${this.sql.json(detail as never)})`
  }

  /** Per line and day (center zone): offers, requests, automatic tasks, attempts, outcomes, time to conversation. */
  /** Tasks newest first, as the supervisors' list shows them (one status, or all). */
  async list(status: CallbackStatus | undefined, limit: number): Promise<Record<string, unknown>[]> {
    return this.sql`select id::int, caller_number, line_number, queue_id, original_call_id, reason, status, place_at, due_at, attempts, tries, last_outcome,
        final_reason, connected_call_id, created_at, finished_at
      from callback_tasks ${status ? this.sql`where status = ${status}` : this.sql``} order by id desc limit ${limit}`
  }

  async stats(from: number, to: number, timeZone: string): Promise<CallbackStatsRow[]> {
    return this.sql<CallbackStatsRow[]>`
      select to_char(at at time zone ${timeZone}, 'YYYY-MM-DD') as day, line_number,
        count(*) filter (where event = 'callback-offered')::int as offered,
        count(*) filter (where event = 'callback-requested')::int as requested,
        count(*) filter (where event = 'callback-scheduled')::int as abandoned_scheduled,
        count(*) filter (where event = 'callback-dialled')::int as attempts,
        count(*) filter (where event = 'callback-connected')::int as connected,
        count(*) filter (where event = 'callback-unreachable')::int as unreachable,
        count(*) filter (where event = 'callback-cancelled')::int as cancelled,
        (percentile_cont(0.5) within group (order by (detail->>'sinceOriginalMs')::float8) filter (where event = 'callback-connected') / 1000)::float8 as median_seconds_to_conversation
      from queue_log where event like 'callback-%' and at >= ${new Date(from)} and at < ${new Date(to)}
      group by 1, 2 order by 1, 2 nulls first`
  }
}
