/**
 * Reads the facts the KPIs are computed from: per-call facts from queue_log, offer events per
 * agent, agent state rows. No KPI is computed here (see rules.ts); SQL only selects, orders
 * and places each row on its center-zone day.
 */
import type { Sql } from '../db/sql.ts'
import type { CallEnd, CallFact, DayBounds, OfferEvent, StateRow } from './rules.ts'

/**
 * A report range: center-zone days [fromDay, toDay). `callIds` narrows call facts to those
 * calls (the wallboard re-reads only the calls whose queue log grew, through this same query,
 * so its figures are the report's by construction).
 */
export interface DayRange { fromDay: string; toDay: string; timeZone: string; callIds?: readonly string[] }

const CHUNK = 2000

interface FactRow {
  callId: string
  day: string
  lineNumber: string | null
  firstQueue: string
  overflowedTo: string[] | null
  enteredAt: Date
  answeredAt: Date | null
  answeredBy: string | null
  endedAt: Date | null
  endEvent: CallEnd | null
}

const ms = (d: Date | null) => (d === null ? null : d.getTime())

export class StatisticsStore {
  constructor(private readonly sql: Sql) {}

  /** Each day of the range with its start and end instants in the center's zone (DST-safe: PostgreSQL does the zone arithmetic). */
  async days(range: DayRange): Promise<DayBounds[]> {
    const rows = await this.sql<{ day: string; dayStart: Date; dayEnd: Date }[]>`
      select to_char(d, 'YYYY-MM-DD') as day,
        (d::timestamp at time zone ${range.timeZone}) as day_start,
        ((d + interval '1 day')::timestamp at time zone ${range.timeZone}) as day_end
      from generate_series(${range.fromDay}::date, ${range.toDay}::date - 1, interval '1 day') as d
      order by d`
    return rows.map((r) => ({ day: r.day, start: r.dayStart.getTime(), end: r.dayEnd.getTime() }))
  }

  /**
   * Streams one fact per call that entered a queue during the range. A call belongs to the day
   * it entered its first queue. Queue moves come from the 'overflowed' rows written after that
   * entry (an overflow at arrival is written before the entry and is not a move between queues
   * the caller waited in). Answer and end are the first 'answered' and the last end row; a caller who left
   * for a callback ends with the original call's 'callback-requested' row (see rules.ts).
   */
  async forEachCallFact(range: DayRange, each: (facts: CallFact[]) => void | Promise<void>): Promise<void> {
    const tz = range.timeZone
    await this.sql<FactRow[]>`
      with bounds as (
        select (${range.fromDay}::date::timestamp at time zone ${tz}) as lo, (${range.toDay}::date::timestamp at time zone ${tz}) as hi
      ), entered as (
        select distinct on (q.call_id) q.id, q.call_id, q.at, q.queue_id, q.line_number
        from queue_log q, bounds b
        where q.event = 'entered' and q.at >= b.lo and q.at < b.hi
          ${range.callIds ? this.sql`and q.call_id = any(${range.callIds as string[]}::uuid[])` : this.sql``}
        order by q.call_id, q.id
      )
      select e.call_id, to_char(e.at at time zone ${tz}, 'YYYY-MM-DD') as day, e.line_number, e.queue_id as first_queue, e.at as entered_at,
        (select array_agg(o.detail->>'to' order by o.id) from queue_log o
          where o.call_id = e.call_id and o.event = 'overflowed' and o.id > e.id) as overflowed_to,
        a.at as answered_at, a.agent_id as answered_by, x.at as ended_at, x.event as end_event
      from entered e
      left join lateral (select at, agent_id from queue_log l where l.call_id = e.call_id and l.event = 'answered' order by l.id limit 1) a on true
      left join lateral (select at, event from queue_log l where l.call_id = e.call_id and l.event in ('completed', 'abandoned', 'pbx-lost', 'callback-requested') order by l.id desc limit 1) x on true
    `.cursor(CHUNK, async (rows) => {
      await each(rows.map((r) => ({
        callId: r.callId, day: r.day, lineNumber: r.lineNumber,
        queues: [r.firstQueue, ...(r.overflowedTo ?? []).filter((q): q is string => typeof q === 'string')],
        enteredAt: r.enteredAt.getTime(), answeredAt: ms(r.answeredAt), answeredBy: r.answeredBy,
        endedAt: ms(r.endedAt), end: r.endEvent
      })))
    })
  }

  /** Offers, ring-no-answers and rejections per agent and day (plain event counts). */
  async offerEvents(range: DayRange): Promise<{ day: string; agentId: string; event: OfferEvent; n: number }[]> {
    const tz = range.timeZone
    return this.sql<{ day: string; agentId: string; event: OfferEvent; n: number }[]>`
      select to_char(at at time zone ${tz}, 'YYYY-MM-DD') as day, agent_id, event, count(*)::int as n
      from queue_log
      where event in ('offered', 'ring-no-answer', 'offer-rejected') and agent_id is not null
        and at >= (${range.fromDay}::date::timestamp at time zone ${tz}) and at < (${range.toDay}::date::timestamp at time zone ${tz})
      group by 1, 2, 3`
  }

  /**
   * Streams agent state rows agent by agent, in time order: for each agent the last change
   * before the range (its state at the first midnight) and every change within it. The
   * carried-in state is looked up per user through the (agent_id, at) index rather than by
   * scanning the whole log for distinct agents.
   */
  async forEachAgentStates(range: DayRange, each: (agentId: string, rows: StateRow[]) => void | Promise<void>): Promise<void> {
    const tz = range.timeZone
    let current: string | null = null
    let buffer: StateRow[] = []
    const flush = async () => { if (current !== null && buffer.length > 0) await each(current, buffer) }
    await this.sql<{ agentId: string; at: Date; state: string }[]>`
      with bounds as (
        select (${range.fromDay}::date::timestamp at time zone ${tz}) as lo, (${range.toDay}::date::timestamp at time zone ${tz}) as hi
      )
      select agent_id, at, state from (
        select s.id, s.agent_id, s.at, s.state
        from users u
        cross join bounds b
        cross join lateral (select id, agent_id, at, state from agent_state_log l
          where l.agent_id = u.id and l.at < b.lo order by l.at desc, l.id desc limit 1) s
        union all
        select l.id, l.agent_id, l.at, l.state from agent_state_log l, bounds b where l.at >= b.lo and l.at < b.hi
      ) r
      order by agent_id, at, id
    `.cursor(CHUNK, async (rows) => {
      for (const r of rows) {
        if (r.agentId !== current) { await flush(); current = r.agentId; buffer = [] }
        buffer.push({ agentId: r.agentId, at: r.at.getTime(), state: r.state })
      }
    })
    await flush()
  }

  /** Display names for report keys (line names, queue names, agents' names). */
  async names(by: 'line' | 'queue' | 'agent'): Promise<Map<string, string>> {
    const rows = by === 'line'
      ? await this.sql<{ key: string; name: string }[]>`select number as key, name from lines`
      : by === 'queue'
        ? await this.sql<{ key: string; name: string }[]>`select id as key, name from queues`
        : await this.sql<{ key: string; name: string }[]>`select id as key, display_name as name from users`
    return new Map(rows.map((r) => [r.key, r.name]))
  }
}
