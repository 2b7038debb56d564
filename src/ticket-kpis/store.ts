/**
 * The KPI counts in one pass over PostgreSQL: per ticket accepted in the period, its facts from
 * the event log (first dispatch and sign-for, last reply, returns, re-dispatches, the last
 * evaluation's answers) and its follow-up task, then grouped by unit, category, line and center.
 * The definitions of what each count means are in rules.ts.
 */
import type { Sql } from '../db/sql.ts'
import { KPI_COUNT_KEYS, type KpiCounts } from './rules.ts'

export interface KpiGroup { dimension: 'center' | 'unit' | 'category' | 'line'; key: string; counts: KpiCounts }

export class TicketKpiStore {
  constructor(private readonly sql: Sql) {}

  /** Counts for tickets accepted in [from, to), at `now` (for what is overdue while unanswered). */
  async counts(p: { from: number; to: number; now: number; signForLimitHours: number; repeatWindowDays: number; unitId?: string }): Promise<KpiGroup[]> {
    const rows = await this.sql<(Record<keyof KpiCounts, string> & { dim: number; unitId: string | null; categoryCode: string | null; lineNumber: string | null })[]>`
      with t as (
        select id, lead_unit_id, category_code, line_number, caller_number, created_at, deadline, status
        from tickets where created_at >= ${new Date(p.from)} and created_at < ${new Date(p.to)}
          ${p.unitId ? this.sql`and lead_unit_id = ${p.unitId}` : this.sql``}
      ), e as (
        select ev.ticket_id,
          bool_or(ev.action = 'close' and ev.detail->>'resolvedOnCall' = 'true') as on_call,
          min(ev.at) filter (where ev.action = 'dispatch') as first_dispatch,
          min(ev.at) filter (where ev.action = 'sign-for') as first_sign_for,
          max(ev.at) filter (where ev.action = 'reply') as last_reply,
          max(ev.at) filter (where ev.action = 'close') as last_close,
          count(*) filter (where ev.action = 'return') as returns,
          count(*) filter (where ev.action = 'dispatch' and ev.detail->>'redispatch' = 'true') as redispatches,
          max(ev.id) filter (where ev.action = 'evaluate') as last_evaluation
        from ticket_events ev where ev.ticket_id in (select id from t) group by ev.ticket_id
      ), fu as (
        select distinct on (ticket_id) ticket_id, status from follow_up_tasks where ticket_id in (select id from t) order by ticket_id, id desc
      ), r as (
        -- 复重: the nearest earlier ticket of the same caller in the same category, within the window.
        select id, coalesce(created_at - lag(created_at) over (partition by caller_number, category_code order by created_at, id) <= make_interval(days => ${p.repeatWindowDays}), false) as repeat
        from tickets where created_at >= ${new Date(p.from)} - make_interval(days => ${p.repeatWindowDays}) and created_at < ${new Date(p.to)}
      ), f as (
        select t.*, e.on_call, e.first_dispatch, e.first_sign_for, e.last_reply, e.last_close, e.returns, e.redispatches,
          ev.at as evaluated_at, ev.detail->>'process' as process, ev.detail->>'result' as result, ev.detail->>'solved' as solved,
          fu.status as follow_up, r.repeat
        from t left join e on e.ticket_id = t.id left join ticket_events ev on ev.id = e.last_evaluation
          left join fu on fu.ticket_id = t.id join r on r.id = t.id
      ), facts as (
        select *,
          status = 'closed' as is_closed,
          status = 'closed' and evaluated_at is not null and evaluated_at >= last_close as is_followed_up
        from f
      )
      select grouping(lead_unit_id, category_code, line_number) as dim, lead_unit_id as unit_id, category_code, line_number,
        count(*) as accepted,
        count(*) filter (where on_call) as resolved_on_call,
        count(*) filter (where first_dispatch is not null) as dispatched,
        count(*) filter (where first_sign_for is not null and first_sign_for <= first_dispatch + make_interval(hours => ${p.signForLimitHours})) as signed_for_in_time,
        count(*) filter (where is_closed) as closed,
        count(*) filter (where is_closed and (on_call or last_reply <= deadline)) as closed_on_time,
        count(*) filter (where first_dispatch is not null and ((status in ('replied', 'closed') and last_reply > deadline)
          or (status not in ('replied', 'closed', 'merged') and deadline < ${new Date(p.now)}))) as overdue,
        count(*) filter (where returns > 0) as returned,
        coalesce(sum(redispatches), 0) as redispatches,
        count(*) filter (where repeat) as repeats,
        count(*) filter (where is_followed_up) as followed_up,
        count(*) filter (where is_closed and not is_followed_up and follow_up in ('due', 'in-progress')) as follow_up_pending,
        count(*) filter (where is_closed and not is_followed_up and follow_up = 'unreachable') as unreachable,
        count(*) filter (where process is not null) as process_evaluated,
        count(*) filter (where process in ('satisfied', 'basically-satisfied')) as process_satisfied,
        count(*) filter (where result is not null) as result_evaluated,
        count(*) filter (where result in ('satisfied', 'basically-satisfied')) as result_satisfied,
        count(*) filter (where solved is not null) as solved_answered,
        count(*) filter (where solved = 'true') as solved_yes
      from facts
      group by grouping sets ((lead_unit_id), (category_code), (line_number), ())`
    // Tickets no unit ever held (即办, merged, not yet dispatched) count for the center, not as a unit.
    return rows.filter((r) => !(r.dim === 3 && r.unitId === null)).map((r) => {
      // grouping() bits: lead_unit_id 4, category_code 2, line_number 1 (set when rolled up).
      const dimension = r.dim === 7 ? 'center' : r.dim === 3 ? 'unit' : r.dim === 5 ? 'category' : 'line'
      const key = dimension === 'center' ? 'center' : dimension === 'unit' ? r.unitId! : dimension === 'category' ? r.categoryCode! : (r.lineNumber ?? '(none)')
      const counts = Object.fromEntries(KPI_COUNT_KEYS.map((k) => [k, Number(r[k])])) as unknown as KpiCounts
      return { dimension, key, counts } as KpiGroup
    })
  }
}
