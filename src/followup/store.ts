/**
 * The dialer's records in PostgreSQL. Claiming a task and writing its attempt row is one
 * transaction (`for update skip locked`, so two schedulers never claim the same task); the
 * originate happens only after it commits. Every time is passed in from the scheduler's clock.
 */
import { randomUUID } from 'node:crypto'
import type { Sql } from '../db/sql.ts'
import type { EvaluationResult } from '../tickets/model.ts'
import { channelIdFor, type AttemptOutcome, type Campaign, type ClaimedFollowUp, type DialerProgress, type Trunk } from './model.ts'
import { AGREED_TOLERANCE_MS, type AttemptDecision } from './rules.ts'

const d = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms))

export interface OpenAttempt {
  id: string
  kind: 'follow-up' | 'callback'
  taskId: number
  attemptNo: number
  channelId: string
  state: 'dialling' | 'answered'
  agentId: string | null
  createdAt: number
  /** Set once the call was placed (originated); an attempt not yet placed has no channel to look for. */
  dialledAt: number | null
}

export interface AttemptRow {
  id: string; kind: 'follow-up' | 'callback'; taskId: number; attemptNo: number; channelId: string; trunkId: string; phoneNumber: string
  lineNumber: string | null; state: string; outcome: string | null; cause: number | null; result: EvaluationResult | null; digits: string | null
  recordingName: string | null; agentId: string | null; seat: string | null; dueAt: Date | null; createdAt: Date; dialledAt: Date | null
  answeredAt: Date | null; endedAt: Date | null
}

export interface CoverageRow { day: string; lineNumber: string | null; closed: number; followedUp: number; unreachable: number; pending: number; cancelled: number }

export class FollowUpStore {
  constructor(private readonly sql: Sql) {}

  async campaigns(): Promise<Campaign[]> {
    const rows = await this.sql<(Omit<Campaign, 'windows'> & { windows: Campaign['windows'] })[]>`
      select id, name, line_number, mode, state, trunk_id, windows, max_attempts, retry_minutes, ring_seconds, agent_queue_id
      from follow_up_campaigns order by (id = 'default') desc, id`
    return rows.map((r) => ({ ...r, retryMinutes: r.retryMinutes ?? [] }))
  }

  async campaign(id: string): Promise<Campaign | null> {
    return (await this.campaigns()).find((c) => c.id === id) ?? null
  }

  async saveCampaign(c: Campaign): Promise<void> {
    await this.sql`insert into follow_up_campaigns (id, name, line_number, mode, state, trunk_id, windows, max_attempts, retry_minutes, ring_seconds, agent_queue_id, updated_at)
      values (${c.id}, ${c.name}, ${c.lineNumber}, ${c.mode}, ${c.state}, ${c.trunkId}, ${this.sql.json(c.windows as never)}, ${c.maxAttempts}, ${c.retryMinutes},
        ${c.ringSeconds}, ${c.agentQueueId}, now())
      on conflict (id) do update set name = excluded.name, line_number = excluded.line_number, mode = excluded.mode, state = excluded.state,
        trunk_id = excluded.trunk_id, windows = excluded.windows, max_attempts = excluded.max_attempts, retry_minutes = excluded.retry_minutes,
        ring_seconds = excluded.ring_seconds, agent_queue_id = excluded.agent_queue_id, updated_at = now()`
  }

  async queueExists(id: string): Promise<boolean> {
    return (await this.sql`select 1 from queues where id = ${id}`).length > 0
  }

  async trunks(): Promise<Trunk[]> {
    const rows = await this.sql<(Omit<Trunk, 'callsPerSecond'> & { callsPerSecond: string })[]>`
      select id, max_concurrent, calls_per_second, dial_template from dialer_trunks order by id`
    return rows.map((r) => ({ ...r, callsPerSecond: Number(r.callsPerSecond) }))
  }

  async saveTrunk(t: Trunk): Promise<void> {
    await this.sql`insert into dialer_trunks (id, max_concurrent, calls_per_second, dial_template, updated_at)
      values (${t.id}, ${t.maxConcurrent}, ${t.callsPerSecond}, ${t.dialTemplate}, now())
      on conflict (id) do update set max_concurrent = excluded.max_concurrent, calls_per_second = excluded.calls_per_second,
        dial_template = excluded.dial_template, updated_at = now()`
  }

  /** Attempts on the trunk that hold a channel (ringing or talking), of any kind. */
  async activeOnTrunk(trunkId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from dial_attempts where trunk_id = ${trunkId} and state <> 'finished'`
    return row?.n ?? 0
  }

  /**
   * Claims up to `limit` due follow-up tasks of the given campaigns and records one attempt
   * each, in one transaction. `open` campaigns are inside a calling window now; `running` ones
   * may still call a task whose agreed time has come.
   */
  async claimFollowUps(p: { now: number; trunkId: string; open: string[]; running: string[]; limit: number; campaignOf: (lineNumber: string | null) => string }): Promise<ClaimedFollowUp[]> {
    if (p.limit <= 0 || p.running.length === 0) return []
    const now = new Date(p.now)
    const agreedSince = new Date(p.now - AGREED_TOLERANCE_MS)
    return this.sql.begin(async (tx) => {
      const rows = await tx<{ id: string; attempts: number; ticketId: string; phoneNumber: string; lineNumber: string | null; dueAt: Date; number: string; categoryCode: string }[]>`
        with pick as (
          select t.id from follow_up_tasks t left join follow_up_campaigns c on c.line_number = t.line_number
          where t.status = 'due' and t.due_at <= ${now}
            and coalesce(c.id, 'default') = any(${p.running})
            and (coalesce(c.id, 'default') = any(${p.open}) or (t.agreed_at is not null and t.attempts = 0 and t.agreed_at <= ${now} and t.agreed_at > ${agreedSince}))
          order by t.due_at, t.id
          limit ${p.limit}
          for update of t skip locked)
        update follow_up_tasks t set status = 'in-progress', attempts = t.attempts + 1, updated_at = ${now}
        from pick, tickets k where t.id = pick.id and k.id = t.ticket_id
        returning t.id, t.attempts, t.ticket_id, t.phone_number, t.line_number, t.due_at, k.number, k.category_code`
      const claimed: ClaimedFollowUp[] = rows.map((r) => {
        const taskId = Number(r.id)
        return {
          taskId, attemptId: randomUUID(), attemptNo: r.attempts, channelId: channelIdFor('followup', taskId, r.attempts), ticketId: r.ticketId,
          ticketNumber: r.number, categoryCode: r.categoryCode, phoneNumber: r.phoneNumber, lineNumber: r.lineNumber,
          campaignId: p.campaignOf(r.lineNumber), trunkId: p.trunkId, dueAt: r.dueAt.getTime()
        }
      })
      if (claimed.length > 0) {
        // One statement for all the attempts of this pass (the claim and its attempts commit together).
        await tx`insert into dial_attempts ${tx(claimed.map((c) => ({
          id: c.attemptId, kind: 'follow-up', task_id: c.taskId, attempt_no: c.attemptNo, channel_id: c.channelId, trunk_id: p.trunkId,
          phone_number: c.phoneNumber, line_number: c.lineNumber, due_at: new Date(c.dueAt), created_at: now
        })))}`
      }
      return claimed
    })
  }

  async markDialled(attemptId: string, at: number): Promise<void> {
    await this.sql`update dial_attempts set dialled_at = ${d(at)} where id = ${attemptId}`
  }

  /** An attempt's recording (null when the attempt does not exist; recordingName null when it was not recorded). */
  async attemptRecording(attemptId: string): Promise<{ kind: string; taskId: number; recordingName: string | null } | null> {
    const [row] = await this.sql<{ kind: string; taskId: string; recordingName: string | null }[]>`select kind, task_id, recording_name from dial_attempts where id = ${attemptId}`
    return row ? { kind: row.kind, taskId: Number(row.taskId), recordingName: row.recordingName } : null
  }

  /** False when the attempt was already finished (a late event, or recovery got there first). */
  async markAnswered(attemptId: string, at: number, recordingName: string | null): Promise<boolean> {
    const rows = await this.sql`update dial_attempts set state = 'answered', answered_at = ${d(at)}, recording_name = ${recordingName}
      where id = ${attemptId} and state = 'dialling' returning id`
    return rows.length > 0
  }

  async recordAnswer(attemptId: string, result: EvaluationResult, digits: string): Promise<void> {
    await this.sql`update dial_attempts set result = ${result}, digits = ${digits} where id = ${attemptId}`
  }

  async attempt(attemptId: string): Promise<AttemptRow | null> {
    const [row] = await this.sql<AttemptRow[]>`select * from dial_attempts where id = ${attemptId}`
    return row ? { ...row, taskId: Number(row.taskId) } : null
  }

  async attemptByChannel(channelId: string): Promise<AttemptRow | null> {
    const [row] = await this.sql<AttemptRow[]>`select * from dial_attempts where channel_id = ${channelId}`
    return row ? { ...row, taskId: Number(row.taskId) } : null
  }

  async openAttempts(): Promise<OpenAttempt[]> {
    const rows = await this.sql<(Omit<OpenAttempt, 'createdAt' | 'taskId' | 'dialledAt'> & { createdAt: Date; taskId: string; dialledAt: Date | null })[]>`
      select id, kind, task_id, attempt_no, channel_id, state, agent_id, created_at, dialled_at from dial_attempts where state <> 'finished' order by created_at`
    return rows.map((r) => ({ ...r, taskId: Number(r.taskId), createdAt: r.createdAt.getTime(), dialledAt: r.dialledAt ? r.dialledAt.getTime() : null }))
  }

  /**
   * Finishes a follow-up attempt and applies the decision to its task, in one transaction.
   * Only an attempt still open is finished (the first outcome wins); the task changes only
   * while it is in progress (an evaluation may have completed it already). False when the
   * attempt was already finished.
   */
  async finishFollowUp(a: { attemptId: string; taskId: number; outcome: AttemptOutcome; cause?: number | null; result?: EvaluationResult | null; digits?: string | null; at: number }, decision: AttemptDecision): Promise<boolean> {
    const at = new Date(a.at)
    return this.sql.begin(async (tx) => {
      const done = await tx`update dial_attempts set state = 'finished', outcome = ${a.outcome}, cause = ${a.cause ?? null}, result = coalesce(${a.result ?? null}, result),
          digits = coalesce(${a.digits ?? null}, digits), ended_at = ${at}
        where id = ${a.attemptId} and state <> 'finished' returning id`
      if (done.length === 0) return false
      switch (decision.kind) {
        case 'done':
          await tx`update follow_up_tasks set status = 'done', last_outcome = ${a.outcome}, finished_at = ${at}, updated_at = ${at}
            where id = ${a.taskId} and status in ('in-progress', 'due')`
          await tx`update follow_up_tasks set last_outcome = ${a.outcome}, finished_at = coalesce(finished_at, ${at}) where id = ${a.taskId} and status = 'done'`
          break
        case 'cancelled':
          await tx`update follow_up_tasks set status = 'cancelled', last_outcome = ${a.outcome}, final_reason = ${a.outcome}, finished_at = ${at}, updated_at = ${at}
            where id = ${a.taskId} and status = 'in-progress'`
          break
        case 'retry':
          await tx`update follow_up_tasks set status = 'due', due_at = ${new Date(decision.dueAt)}, tries = ${decision.tries}, last_outcome = ${a.outcome}, updated_at = ${at}
            where id = ${a.taskId} and status = 'in-progress'`
          break
        case 'unreachable':
          await tx`update follow_up_tasks set status = 'unreachable', tries = ${decision.tries}, last_outcome = ${a.outcome}, final_reason = ${decision.reason},
              finished_at = ${at}, updated_at = ${at}
            where id = ${a.taskId} and status = 'in-progress'`
          break
      }
      return true
    })
  }

  async task(taskId: number): Promise<{ id: number; ticketId: string; status: string; tries: number; attempts: number; lineNumber: string | null } | null> {
    const [row] = await this.sql<{ id: string; ticketId: string; status: string; tries: number; attempts: number; lineNumber: string | null }[]>`
      select id, ticket_id, status, tries, attempts, line_number from follow_up_tasks where id = ${taskId}`
    return row ? { ...row, id: Number(row.id) } : null
  }

  /** Sets the time agreed with the caller (约定回访时间) on the ticket's pending follow-up. */
  async agreeTime(ticketId: string, agreedAt: number, now: number): Promise<boolean> {
    const rows = await this.sql`update follow_up_tasks set agreed_at = ${new Date(agreedAt)}, due_at = ${new Date(agreedAt)}, updated_at = ${new Date(now)}
      where ticket_id = ${ticketId} and status = 'due' returning id`
    return rows.length > 0
  }

  /** Today's progress per campaign, counted over [from, to). */
  async progress(from: number, to: number): Promise<DialerProgress[]> {
    const rows = await this.sql<DialerProgress[]>`
      with tc as (
        select t.*, coalesce(c.id, 'default') as campaign_id from follow_up_tasks t left join follow_up_campaigns c on c.line_number = t.line_number),
      att as (
        select coalesce(c.id, 'default') as campaign_id, a.* from dial_attempts a left join follow_up_campaigns c on c.line_number = a.line_number
        where a.kind = 'follow-up' and a.created_at >= ${new Date(from)} and a.created_at < ${new Date(to)})
      select k.id as campaign_id,
        (select count(*)::int from tc where tc.campaign_id = k.id and tc.status = 'due' and tc.due_at < ${new Date(to)}) as due,
        (select count(*)::int from tc where tc.campaign_id = k.id and tc.status = 'in-progress') as in_progress,
        (select count(*)::int from att where att.campaign_id = k.id and att.dialled_at is not null) as dialled,
        (select count(*)::int from att where att.campaign_id = k.id and att.answered_at is not null) as answered,
        (select count(*)::int from att where att.campaign_id = k.id and att.result = 'satisfied') as satisfied,
        (select count(*)::int from att where att.campaign_id = k.id and att.result = 'basically-satisfied') as basically_satisfied,
        (select count(*)::int from att where att.campaign_id = k.id and att.result = 'unsatisfied') as unsatisfied,
        (select count(*)::int from tc where tc.campaign_id = k.id and tc.status = 'unreachable' and tc.finished_at >= ${new Date(from)} and tc.finished_at < ${new Date(to)}) as unreachable,
        (select count(*)::int from tc where tc.campaign_id = k.id and tc.status = 'done' and tc.finished_at >= ${new Date(from)} and tc.finished_at < ${new Date(to)}) as done
      from follow_up_campaigns k order by (k.id = 'default') desc, k.id`
    return rows
  }

  /** 回访率 per line and day (of closing, in the center's zone): followed up / closed. */
  async coverage(from: number, to: number, timeZone: string): Promise<CoverageRow[]> {
    return this.sql<CoverageRow[]>`
      select to_char(created_at at time zone ${timeZone}, 'YYYY-MM-DD') as day, line_number,
        count(*)::int as closed,
        count(*) filter (where status = 'done')::int as followed_up,
        count(*) filter (where status = 'unreachable')::int as unreachable,
        count(*) filter (where status in ('due', 'in-progress'))::int as pending,
        count(*) filter (where status = 'cancelled')::int as cancelled
      from follow_up_tasks where created_at >= ${new Date(from)} and created_at < ${new Date(to)}
      group by 1, 2 order by 1, 2 nulls first`
  }
}
