/**
 * The dialer's records in PostgreSQL. Claiming a task and writing its attempt row is one
 * transaction (`for update skip locked`, so two schedulers never claim the same task); the
 * originate happens only after it commits. Every time is passed in from the scheduler's clock.
 */
import { randomUUID } from 'node:crypto'
import type { EvaluationResult } from '../tickets/model.ts'
import type { Campaign, ClaimedFollowUp, DialerProgress } from './model.ts'
import { channelIdFor, type AttemptOutcome } from '../dialer/model.ts'
import { AGREED_TOLERANCE_MS } from './rules.ts'
import type { AttemptDecision } from '../dialer/rules.ts'
import { DialAttemptStore, finishAttemptRow, insertAttempts } from '../dialer/store.ts'


export interface CoverageRow { day: string; lineNumber: string | null; closed: number; followedUp: number; unreachable: number; pending: number; cancelled: number }

/** Follow-up tasks, campaigns and their figures; the attempts and trunks are the dialer kernel's (DialAttemptStore). */
export class FollowUpStore extends DialAttemptStore {

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
        await insertAttempts(tx, claimed.map((c) => ({
          id: c.attemptId, kind: 'follow-up', taskId: c.taskId, attemptNo: c.attemptNo, channelId: c.channelId, trunkId: p.trunkId,
          phoneNumber: c.phoneNumber, lineNumber: c.lineNumber, dueAt: c.dueAt, createdAt: p.now
        })))
      }
      return claimed
    })
  }

  async recordAnswer(attemptId: string, result: EvaluationResult, digits: string): Promise<void> {
    await this.sql`update dial_attempts set result = ${result}, digits = ${digits} where id = ${attemptId}`
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
      if (!(await finishAttemptRow(tx, a))) return false
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
