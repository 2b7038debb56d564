/**
 * The KPI counts in one pass over PostgreSQL: per ticket accepted in the period, its facts from
 * the event log (first dispatch and sign-for, last reply, returns and who asked, re-dispatches,
 * the last evaluation's answers: ticket_kpi_facts, which a trigger keeps as events are written)
 * and its follow-up task, then grouped by unit, category, line and center.
 * The definitions of what each count means are in rules.ts.
 */
import type { Sql } from '../db/sql.ts'
import { KPI_COUNT_KEYS, creditReturns, type KpiCounts, type KpiGroup } from './rules.ts'

export type { KpiGroup } from './rules.ts'

export class TicketKpiStore {
  constructor(private readonly sql: Sql) {}

  /** Counts for tickets accepted in [from, to), at `now` (for what is overdue while unanswered). */
  async counts(p: { from: number; to: number; now: number; signForLimitHours: number; repeatWindowDays: number; unitId?: string }): Promise<KpiGroup[]> {
    // One statement over the month's rows: JIT would spend longer compiling it than it runs.
    const rows = await this.sql.begin(async (tx) => {
      await tx`set local jit = off`
      return tx<(Record<keyof KpiCounts, string> & { dim: number; unitId: string | null; categoryCode: string | null; lineNumber: string | null; requestedReturns: [string, number][] | null })[]>`
      with facts as materialized (
        -- Each ticket's facts (ticket_kpi_facts: kept by triggers as tickets, events and follow-ups are written, migration 015).
        select *, status = 'closed' as is_closed,
          status = 'closed' and evaluated_at is not null and evaluated_at >= last_close as is_followed_up,
          -- 复重: the nearest earlier ticket of the same caller in the same category, within the window.
          coalesce(created_at - prev_same_at <= make_interval(days => ${p.repeatWindowDays}), false) as repeat
        from ticket_kpi_facts where created_at >= ${new Date(p.from)} and created_at < ${new Date(p.to)}
          ${p.unitId ? tx`and lead_unit_id = ${p.unitId}` : tx``}
      ), requested as (
        -- 退单 counts for the unit that asked to return the ticket, wherever the ticket went next.
        select u, count(*)::int as n from facts, unnest(return_units) u group by u
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
        count(*) filter (where solved) as solved_yes,
        case when grouping(lead_unit_id, category_code, line_number) = 7 then (select jsonb_agg(jsonb_build_array(u, n)) from requested) end as requested_returns
      from facts
      group by grouping sets ((lead_unit_id), (category_code), (line_number), ())`
    })
    // Tickets no unit ever held (即办, merged, not yet dispatched) count for the center, not as a unit.
    // As [unit, tickets] pairs: the JSON transform would rename object keys (unit ids) as if they were columns.
    const requested = Object.fromEntries(rows.find((r) => r.dim === 7)?.requestedReturns ?? [])
    return creditReturns(rows.filter((r) => !(r.dim === 3 && r.unitId === null)).map((r) => {
      // grouping() bits: lead_unit_id 4, category_code 2, line_number 1 (set when rolled up).
      const dimension = r.dim === 7 ? 'center' : r.dim === 3 ? 'unit' : r.dim === 5 ? 'category' : 'line'
      const key = dimension === 'center' ? 'center' : dimension === 'unit' ? r.unitId! : dimension === 'category' ? r.categoryCode! : (r.lineNumber ?? '(none)')
      const counts = Object.fromEntries(KPI_COUNT_KEYS.map((k) => [k, Number(r[k])])) as unknown as KpiCounts
      return { dimension, key, counts } as KpiGroup
    }), requested)
  }
}
