/**
 * `npm run bench:ticket-kpis`: the monthly KPI report per unit over 1,000,000 tickets with their
 * event history (accept, dispatch, sign-for, reply, close, evaluate; returns and re-dispatches),
 * as the server computes it (TicketKpiStore + the pure rules, through GET /v1/ticket-kpis),
 * printed beside the same per-unit counts computed by one plain query in psql (the reference);
 * and the units' inbox load time (GET /v1/units/me/inbox) for a unit with 10,000 open tickets.
 * Aims: the report under 5 s, the inbox under 200 ms.
 *
 * Its own database (hotline_bench_kpis), seeded once and kept for later runs.
 * BENCH_KPI_TICKETS overrides the size.
 */
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { createHotline } from '../src/app.ts'
import { migrate } from '../src/db/migrate.ts'
import { createSql } from '../src/db/sql.ts'
import { percentile } from '../src/domain/percentile.ts'
import { ownerDatabaseUrl } from '../test/helpers/hotline.ts'
import { testConfig } from '../test/helpers/services.ts'

const TICKETS = Number(process.env.BENCH_KPI_TICKETS ?? 1_000_000)
const UNITS = 200
const INBOX = 10_000
const DB = 'hotline_bench_kpis'
const median = (xs: number[]) => percentile(xs, 0.5)!

async function prepare(baseUrl: string): Promise<string> {
  const admin = createSql(baseUrl, { max: 1 })
  try { await admin.unsafe(`create database ${DB}`) } catch (err) { if (!/already exists/.test((err as Error).message)) throw err } finally { await admin.end({ timeout: 5 }) }
  const url = baseUrl.replace(/\/[^/?]+(\?|$)/, `/${DB}$1`)
  const sql = createSql(url, { max: 1 })
  try {
    await migrate(sql)
    await sql.unsafe(`insert into units (id, name, kind) select 'bench-u' || g, '单位' || g, 'department' from generate_series(1, ${UNITS}) g on conflict do nothing`)
    await sql`insert into units (id, name, kind) values ('bench-big', '大单位', 'district') on conflict do nothing`
    const n = (await sql<{ n: number }[]>`select count(*)::int as n from tickets where accepted_by = 'bench'`)[0]!.n
    if (n < TICKETS) {
      process.stderr.write(`seeding ${TICKETS - n} tickets with their events over the last 12 months…\n`)
      const t0 = performance.now()
      // g % 20 = 0: resolved on call; g % 10 = 5: still with the unit (dispatched); the rest
      // dispatched, signed for, replied (some late), closed, and two in three evaluated.
      await sql.unsafe(`
        insert into tickets (number, status, caller_number, channel, line_number, category_code, content, limit_hours, deadline, resolved_on_call, lead_unit_id,
          accepted_by, created_at, dispatched_at, signed_for_at, replied_at, closed_at, evaluation_result, evaluated_at, version)
        select 'B-' || g, case when g % 20 = 0 then 'closed' when g % 10 = 5 then 'dispatched' else 'closed' end,
          '139' || lpad((g % 300000)::text, 8, '0'), 'phone', '12345', (array['policy-inquiry','city-management','transport','housing','environment'])[1 + g % 5],
          '基准测试工单 ' || g, 72, t + interval '72 hours', g % 20 = 0, case when g % 20 = 0 then null else 'bench-u' || (1 + g % ${UNITS}) end,
          'bench', t, case when g % 20 = 0 then null else t + interval '10 minutes' end,
          case when g % 20 = 0 or g % 10 = 5 then null else t + (g % 5) * interval '40 minutes' end,
          case when g % 20 = 0 or g % 10 = 5 then null else t + (g % 100) * interval '1 hour' end,
          case when g % 20 = 0 then t + interval '5 minutes' when g % 10 = 5 then null else t + (g % 100) * interval '1 hour' + interval '1 hour' end,
          case when g % 10 = 5 or g % 3 = 0 then null else (array['satisfied','basically-satisfied','unsatisfied'])[1 + g % 7 % 3] end,
          case when g % 10 = 5 or g % 3 = 0 then null else t + (g % 100) * interval '1 hour' + interval '1 day' end, 5
        from generate_series(${n + 1}, ${TICKETS}) g, lateral (select now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second' as t) x`)
      process.stderr.write(`tickets in ${((performance.now() - t0) / 1000).toFixed(0)} s; events…\n`)
      await sql.unsafe(`
        create temporary table fresh as select * from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and substring(number from 3)::int > ${n};
        insert into ticket_events (ticket_id, at, actor_id, actor_role, action, from_status, to_status, detail)
        select id, created_at, 'bench', 'agent', 'accept', null, 'accepted', '{}'::jsonb from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n}
        union all select id, closed_at, 'bench', 'agent', 'close', 'accepted', 'closed', '{"resolvedOnCall": true}' from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and resolved_on_call
        union all select id, dispatched_at, 'bench', 'agent', 'dispatch', 'accepted', 'dispatched', jsonb_build_object('leadUnitId', lead_unit_id, 'redispatch', false) from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and dispatched_at is not null
        union all select id, dispatched_at + interval '5 minutes', 'bench', 'unit', 'return', 'dispatched', 'dispatched', jsonb_build_object('requested', true, 'unitId', lead_unit_id, 'leadUnitId', lead_unit_id) from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and dispatched_at is not null and number like '%1'
        union all select id, dispatched_at + interval '6 minutes', 'bench', 'supervisor', 'dispatch', 'dispatched', 'dispatched', jsonb_build_object('leadUnitId', lead_unit_id, 'redispatch', true) from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and dispatched_at is not null and number like '%1'
        union all select id, signed_for_at, 'bench', 'unit', 'sign-for', 'dispatched', 'signed-for', '{}' from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and signed_for_at is not null
        union all select id, replied_at, 'bench', 'unit', 'reply', 'signed-for', 'replied', '{}' from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and replied_at is not null
        union all select id, closed_at, 'bench', 'agent', 'close', 'replied', 'closed', '{"resolvedOnCall": false}' from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and replied_at is not null
        union all select id, evaluated_at, 'follow-up-dialer', 'system', 'evaluate', 'closed', 'closed', jsonb_build_object('result', evaluation_result, 'process', evaluation_result, 'solved', evaluation_result <> 'unsatisfied') from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and evaluated_at is not null`)
      await sql.unsafe(`insert into follow_up_tasks (ticket_id, phone_number, status, due_at)
        select id, caller_number, case when evaluated_at is not null then 'done' when number like '%7' then 'unreachable' else 'due' end, closed_at from tickets where accepted_by = 'bench' and substring(number from 3)::int > ${n} and status = 'closed'`)
      process.stderr.write(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
    }
    const big = (await sql<{ n: number }[]>`select count(*)::int as n from tickets where lead_unit_id = 'bench-big' and status = 'dispatched'`)[0]!.n
    if (big < INBOX) {
      await sql.unsafe(`insert into tickets (number, status, caller_number, channel, category_code, content, limit_hours, deadline, lead_unit_id, accepted_by, created_at, dispatched_at)
        select 'BIG-' || g, 'dispatched', '138' || lpad(g::text, 8, '0'), 'phone', 'city-management', '待办工单 ' || g || '：小区路灯不亮，请尽快处理', 72,
          now() + (g % 96 - 24) * interval '1 hour', 'bench-big', 'bench-inbox', now() - interval '1 day', now() - interval '1 day'
        from generate_series(${big + 1}, ${INBOX}) g`)
    }
    // A center writes its tickets in time order, so a month's facts lie together; the seed above
    // spreads every month over the whole table. Lay the facts out by time once, as a center's are.
    const [laid] = await sql<{ clustered: boolean }[]>`select indisclustered as clustered from pg_index where indexrelid = 'ticket_kpi_facts_created'::regclass`
    if (!laid?.clustered) await sql`cluster ticket_kpi_facts using ticket_kpi_facts_created`
    await sql`vacuum analyze ticket_kpi_facts`
    await sql`analyze`
  } finally {
    await sql.end({ timeout: 5 })
  }
  return url
}

/** The reference: the per-unit counts of one month in one plain query, run and timed by psql. */
function psqlReference(url: string, from: Date, to: Date): { ms: number; rows: number } {
  const query = `
    select t.lead_unit_id, count(*) as accepted,
      count(*) filter (where e.first_dispatch is not null) as dispatched,
      count(*) filter (where e.first_sign_for <= e.first_dispatch + interval '2 hours') as signed_for_in_time,
      count(*) filter (where t.status = 'closed') as closed,
      count(*) filter (where t.status = 'closed' and (e.on_call or e.last_reply <= t.deadline)) as closed_on_time,
      count(*) filter (where e.returns > 0) as returned, sum(e.redispatches) as redispatches,
      count(*) filter (where t.status = 'closed' and e.evaluated_at >= e.last_close) as followed_up,
      count(*) filter (where e.result in ('satisfied', 'basically-satisfied')) as result_satisfied, count(*) filter (where e.result is not null) as result_evaluated
    from tickets t join (
      select ticket_id, bool_or(action = 'close' and detail->>'resolvedOnCall' = 'true') as on_call,
        min(at) filter (where action = 'dispatch') as first_dispatch, min(at) filter (where action = 'sign-for') as first_sign_for,
        max(at) filter (where action = 'reply') as last_reply, max(at) filter (where action = 'close') as last_close,
        count(*) filter (where action = 'return') as returns, count(*) filter (where action = 'dispatch' and detail->>'redispatch' = 'true') as redispatches,
        max(at) filter (where action = 'evaluate') as evaluated_at, (array_agg(detail->>'result' order by id desc) filter (where action = 'evaluate'))[1] as result
      from ticket_events where ticket_id in (select id from tickets where created_at >= '${from.toISOString()}' and created_at < '${to.toISOString()}') group by ticket_id
    ) e on e.ticket_id = t.id
    where t.created_at >= '${from.toISOString()}' and t.created_at < '${to.toISOString()}'
    group by t.lead_unit_id`
  const out = execFileSync('psql', [url, '-X', '-q', '-c', '\\timing on', '-c', query], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const ms = Number(/Time: ([0-9.]+) ms/.exec(out)?.[1] ?? NaN)
  const rows = Number(/\((\d+) rows?\)/.exec(out)?.[1] ?? NaN)
  return { ms, rows }
}

async function main() {
  const base = testConfig()
  const t0 = performance.now()
  // Made and migrated by the schema owner; the server connects as the application role.
  await prepare(ownerDatabaseUrl(base))
  const url = base.DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${DB}$1`)
  process.stderr.write(`database ready in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
  const redisUrl = base.REDIS_URL.replace(/\/\d+$/, '') + '/9'
  const hotline = await createHotline(testConfig({ DATABASE_URL: url, REDIS_URL: redisUrl, HOTLINE_ARI_APP: 'hotline-bench-kpis', LOG_LEVEL: 'error', HOTLINE_REMINDER_SWEEP_S: '0' }), { logger: { level: 'error' } })
  try {
    await hotline.start({ waitForPbx: false })
    const supervisor = hotline.app.jwt.sign({ sub: 'bench-super', role: 'supervisor', name: 'bench' })
    const unitUser = hotline.app.jwt.sign({ sub: 'bench-big-user', role: 'unit', name: 'bench', unitId: 'bench-big' })
    // Last full month in Beijing.
    const now = new Date(Date.now() + 8 * 3_600_000)
    const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
    const month = `${last.getUTCFullYear()}-${String(last.getUTCMonth() + 1).padStart(2, '0')}`
    const from = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1) - 8 * 3_600_000)
    const to = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1) - 8 * 3_600_000)
    const [{ n: inMonth }] = await hotline.sql<{ n: number }[]>`select count(*)::int as n from tickets where created_at >= ${from} and created_at < ${to}` as unknown as [{ n: number }]
    const [{ n: events }] = await hotline.sql<{ n: number }[]>`select count(*)::int as n from ticket_events` as unknown as [{ n: number }]

    const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(', ')
    const report: number[] = []
    let unitRows = 0
    for (let i = 0; i < 3; i++) {
      const s = performance.now()
      const res = await hotline.app.inject({ method: 'GET', url: `/v1/ticket-kpis?month=${month}`, headers: { authorization: `Bearer ${supervisor}` } })
      report.push(performance.now() - s)
      if (res.statusCode !== 200) throw new Error(`report: ${res.statusCode} ${res.body.slice(0, 300)}`)
      unitRows = (res.json() as { rows: { dimension: string }[] }).rows.filter((r) => r.dimension === 'unit').length
    }
    const reference = [psqlReference(url, from, to), psqlReference(url, from, to), psqlReference(url, from, to)]
    const inbox: number[] = []
    let inboxCount = 0
    let inboxBytes = 0
    for (let i = 0; i < 11; i++) {
      const s = performance.now()
      const res = await hotline.app.inject({ method: 'GET', url: '/v1/units/me/inbox', headers: { authorization: `Bearer ${unitUser}` } })
      inbox.push(performance.now() - s)
      if (res.statusCode !== 200) throw new Error(`inbox: ${res.statusCode} ${res.body.slice(0, 300)}`)
      inboxCount = Object.values((res.json() as { sections: Record<string, number> }).sections).reduce((a, b) => a + b, 0)
      inboxBytes = res.rawPayload.length
    }
    const load = loadavg().map((l) => l.toFixed(2)).join(', ')
    console.log(`\nTicket KPI benchmark (${new Date().toISOString()}): ${TICKETS.toLocaleString('en')} tickets, ${events.toLocaleString('en')} events, ${UNITS} units; month ${month} holds ${inMonth.toLocaleString('en')} tickets; load average ${load} at the end (${loadAtStart} at the start)\n`)
    console.log('| measure | median of runs | runs | aim |')
    console.log('| --- | --- | --- | --- |')
    console.log(`| monthly report, per unit/category/line/center, JSON (GET /v1/ticket-kpis, ${unitRows} unit rows) | ${median(report).toFixed(0)} ms | ${report.map((x) => x.toFixed(0)).join(', ')} ms | < 5000 ms |`)
    console.log(`| reference: per-unit counts by one plain query in psql (${reference[0]!.rows} rows, psql's \\timing) | ${median(reference.map((r) => r.ms)).toFixed(0)} ms | ${reference.map((r) => r.ms.toFixed(0)).join(', ')} ms | — |`)
    console.log(`| unit inbox, ${inboxCount.toLocaleString('en')} open tickets sorted into sections, the first 200 of each sent (GET /v1/units/me/inbox, ${(inboxBytes / 1024).toFixed(0)} KB) | ${median(inbox).toFixed(0)} ms | ${inbox.map((x) => x.toFixed(0)).join(', ')} ms | < 200 ms |`)
  } finally {
    await hotline.close()
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
