/**
 * `npm run bench:dialer`: a follow-up campaign of BENCH_DIALER_TASKS tasks (default 10,000)
 * against SIPp citizen phones that answer and key the survey's three answers (one of three
 * sequences at random), at a configured pace
 * (BENCH_DIALER_CPS calls per second, default 20; BENCH_DIALER_CONCURRENT channels at most).
 * Tasks fall due at exactly that pace, so the delay from due to dialled is the scheduler's own.
 *
 * Prints: the achieved pace against the configured one; due → dialled delay (median, p99);
 * tasks lost (not done, not unreachable, or missing) and attempts dialled twice (the phone's
 * log of X-Hotline-Attempt headers by Call-ID). Both must be 0.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createHotline } from '../src/app.ts'
import { percentiles } from '../src/domain/percentile.ts'
import { ADMIN_PASSWORD, resetWorld, waitFor } from '../test/helpers/hotline.ts'
import { testConfig } from '../test/helpers/services.ts'
import { CITIZEN_IP, CITIZEN_PORT, keysPcap, resetDialer } from '../test/helpers/dialer.ts'
import { renderScenario, startSipp } from '../test/helpers/sipp.ts'
import { probeLines, startProbe } from './probe.ts'

const TASKS = Number(process.env.BENCH_DIALER_TASKS ?? 10_000)
const CPS = Number(process.env.BENCH_DIALER_CPS ?? 20)
// Wide enough for the pace: a survey call lasts about 7–10 s (the opening is cut by the key, the
// confirmations are 4–9 s), so 20 calls/s hold 140–200 trunk channels; a 200-channel trunk capped
// the pace at 200 / call length (about 13 calls/s on a loaded machine), whatever the dialer did.
const CONCURRENT = Number(process.env.BENCH_DIALER_CONCURRENT ?? 400)
const LEAD_MS = 3000

async function main(): Promise<void> {
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_DIALER_TICK_MS: '50', LOG_LEVEL: 'warn', HOTLINE_SURVEY_INPUT_TIMEOUT_S: '3' })
  await resetWorld(config)
  const hotline = await createHotline(config, { logger: { level: 'warn' } })
  const { sql } = hotline
  await resetDialer(sql, { cps: CPS, maxConcurrent: CONCURRENT })
  await sql`update follow_up_campaigns set windows = '[{"from":"00:00","to":"24:00"}]', max_attempts = 3, retry_minutes = '{1}', ring_seconds = 20 where id = 'default'`

  const scenario = renderScenario('bench/sipp/uas-citizen-random-key.xml', {
    // The survey's three answers: satisfied and solved; basically satisfied, not solved; unsatisfied with the result.
    KEY_AFTER_MS: 500, HANGUP_MS: 15000, KEYS_PCAP_1: keysPcap('111', 1000), KEYS_PCAP_2: keysPcap('222', 1000), KEYS_PCAP_3: keysPcap('131', 1000)
  })
  const log = path.join(path.dirname(scenario), 'attempts.log')
  const expectedS = TASKS / CPS
  const phone = startSipp(['-sf', scenario, '-i', CITIZEN_IP, '-p', String(CITIZEN_PORT), '-mi', CITIZEN_IP, '-m', String(TASKS * 2), '-l', String(CONCURRENT * 2),
    '-trace_logs', '-log_file', log], Math.ceil(expectedS * 2 + 120))
  // The server is up and dialling before the first task falls due.
  await hotline.start()

  // The campaign: closed tickets and their outbox rows, due at the configured pace from LEAD_MS on.
  const start = Date.now() + LEAD_MS
  await sql`insert into tickets (id, number, status, caller_number, channel, line_number, category_code, content, limit_hours, deadline, accepted_by, closed_at, resolved_on_call)
    select gen_random_uuid(), '12345-20000101-' || lpad(i::text, 6, '0'), 'closed', '139' || lpad(i::text, 8, '0'), 'phone', '12345', 'policy-inquiry', 'bench', 24,
      now() + interval '1 day', 'bench', now(), true
    from generate_series(1, ${TASKS}) i`
  await sql`insert into follow_up_tasks (ticket_id, line_number, phone_number, due_at)
    select id, line_number, caller_number, ${new Date(start)}::timestamptz + ((substr(number, 16)::int - 1) * ${1000 / CPS}) * interval '1 millisecond'
    from tickets where number like '12345-20000101-%'`
  const probe = startProbe()
  // The server runs in this process: its CPU and event-loop delay say whether it was the limit.
  const cpu0 = process.cpuUsage()
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  process.stdout.write(`bench:dialer — ${TASKS} tasks due at ${CPS}/s (max ${CONCURRENT} at once), citizen phones on ${CITIZEN_IP}:${CITIZEN_PORT}\n`)

  // A run that falls behind still prints what it did (the unfinished tasks count as lost).
  let finished = true
  await waitFor('every task to be finished', async () => {
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from follow_up_tasks where status in ('due', 'in-progress')`
    return r!.n === 0 ? r : undefined
  }, Math.ceil(expectedS * 2 + 90) * 1000, 1000).catch((err: Error) => { finished = false; process.stdout.write(`${err.message}\n`) })
  const carried = await probe.stop()
  loop.disable()
  const cpu = process.cpuUsage(cpu0)
  const ariRequests = new Map(hotline.ari.rest.requestCounts)
  await hotline.close()
  phone.stop()
  await phone.done

  const db = testConfig().DATABASE_URL
  const { createSql } = await import('../src/db/sql.ts')
  const q = createSql(db, { max: 1 })
  const first = await q<{ dueAt: Date; dialledAt: Date }[]>`select due_at, dialled_at from dial_attempts where kind = 'follow-up' and attempt_no = 1 and dialled_at is not null order by dialled_at`
  const delays = first.map((r) => r.dialledAt.getTime() - r.dueAt.getTime())
  const span = (first.at(-1)!.dialledAt.getTime() - first[0]!.dialledAt.getTime()) / 1000
  const pace = (first.length - 1) / span
  const { median, p99 } = percentiles(delays)
  const [counts] = await q<{ total: number; done: number; unreachable: number; other: number }[]>`select count(*)::int as total, count(*) filter (where status = 'done')::int as done,
    count(*) filter (where status = 'unreachable')::int as unreachable, count(*) filter (where status not in ('done', 'unreachable'))::int as other from follow_up_tasks`
  const [held] = await q<{ seconds: number | null }[]>`select avg(extract(epoch from ended_at - dialled_at))::float8 as seconds from dial_attempts where kind = 'follow-up' and ended_at is not null and dialled_at is not null`
  const results = await q<{ result: string; n: number }[]>`select coalesce(result, outcome) as result, count(*)::int as n from dial_attempts group by 1 order by 2 desc`
  await q.end()

  const dialogs = new Map<string, Set<string>>()
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /attempt (\S+) (\S+)/.exec(line)
    if (!m) continue
    if (!dialogs.has(m[1]!)) dialogs.set(m[1]!, new Set())
    dialogs.get(m[1]!)!.add(m[2]!)
  }
  const twice = [...dialogs.values()].filter((s) => s.size > 1).length
  const lost = TASKS - counts!.total + counts!.other
  const attempts = results.reduce((n, r) => n + r.n, 0)
  const ariTotal = [...ariRequests.values()].reduce((a, b) => a + b, 0)
  process.stdout.write([
    `pace:            ${pace.toFixed(2)} calls/s achieved, ${CPS} configured (${first.length} first attempts over ${span.toFixed(1)} s)`,
    `due → dialled:   median ${median} ms, p99 ${p99} ms`,
    `trunk bound:     ${CONCURRENT} channels / ${(held!.seconds ?? NaN).toFixed(1)} s per call (dialled → ended) = ${(CONCURRENT / (held!.seconds ?? NaN)).toFixed(1)} calls/s at most`,
    `tasks:           ${counts!.total} (done ${counts!.done}, unreachable ${counts!.unreachable})`,
    `outcomes:        ${results.map((r) => `${r.result} ${r.n}`).join(', ')}`,
    `lost:            ${lost}`,
    `dialled twice:   ${twice} (of ${dialogs.size} attempts the phones saw)`,
    ...probeLines(carried, (l) => `${(l + ':').padEnd(17)}`),
    `server (+bench): ${(((cpu.user + cpu.system) / 1e6 / carried.seconds) * 100).toFixed(0)}% of one core; event-loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`,
    `Asterisk / call: ${((carried.asteriskCpuS * 1000) / Math.max(1, attempts)).toFixed(1)} CPU-ms per attempt (${attempts} attempts)`,
    `ARI / call:      ${(ariTotal / Math.max(1, attempts)).toFixed(1)} requests per attempt (${[...ariRequests].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${(n / Math.max(1, attempts)).toFixed(2)}`).join(', ')})`,
    ''
  ].join('\n'))
  process.exitCode = finished && lost === 0 && twice === 0 ? 0 : 1
}

main().catch((err) => { process.stderr.write(`bench:dialer failed: ${(err as Error).stack ?? String(err)}\n`); process.exit(1) })
