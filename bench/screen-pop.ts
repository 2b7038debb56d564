/**
 * `npm run bench:screen-pop`: offer-to-delivery latency of the screen pop (弹屏) with 1,000,000
 * tickets in the store and 100 agent panels connected over Socket.IO.
 *
 * The offer is the call flow's own 'offered' event (the moment the ACD has picked the agent and
 * the seat is about to ring); delivery is the agent's socket receiving `call:offered` with the
 * caller's earlier tickets. No PBX is needed for this path, so offers are raised directly on the
 * call flow and both ends are timed on one clock in this process. Reference printed beside it:
 * the aim (p99 under 50 ms) and the same pop for callers with no tickets (the cost of the
 * ticket lookup itself).
 *
 * It uses a database of its own (hotline_bench_pop), seeded once and kept for later runs.
 * BENCH_POP_TICKETS, BENCH_POP_OFFERS, BENCH_POP_RATE override the size.
 */
import { performance } from 'node:perf_hooks'
import { io as connect, type Socket } from 'socket.io-client'
import { createHotline } from '../src/app.ts'
import type { LiveCall } from '../src/calls/model.ts'
import { migrate } from '../src/db/migrate.ts'
import { createSql } from '../src/db/sql.ts'
import { ownerDatabaseUrl } from '../test/helpers/hotline.ts'
import { testConfig } from '../test/helpers/services.ts'
import { percentileOfSorted as percentile } from '../src/domain/percentile.ts'

const TICKETS = Number(process.env.BENCH_POP_TICKETS ?? 1_000_000)
const CALLERS = Math.max(1, Math.floor(TICKETS / 5))
const AGENTS = 100
const OFFERS = Number(process.env.BENCH_POP_OFFERS ?? 3000)
const RATE = Number(process.env.BENCH_POP_RATE ?? 100)
const DB = 'hotline_bench_pop'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const callerNumber = (i: number) => `139${String(i).padStart(8, '0')}`

async function prepareDatabase(baseUrl: string): Promise<string> {
  const admin = createSql(baseUrl, { max: 1 })
  try { await admin.unsafe(`create database ${DB}`) } catch (err) { if (!/already exists/.test((err as Error).message)) throw err } finally { await admin.end({ timeout: 5 }) }
  const url = baseUrl.replace(/\/[^/?]+(\?|$)/, `/${DB}$1`)
  const sql = createSql(url, { max: 1 })
  try {
    await migrate(sql)
    const n = (await sql<{ n: number }[]>`select count(*)::int as n from tickets`)[0]?.n ?? 0
    if (n < TICKETS) {
      process.stderr.write(`seeding ${TICKETS - n} tickets over ${CALLERS} callers…\n`)
      const t0 = performance.now()
      // Spread over two years; one in ten still open; numbers unique per day by the row number.
      await sql.unsafe(`
        insert into tickets (number, status, caller_number, channel, line_number, category_code, content, limit_hours, deadline, accepted_by, created_at, closed_at)
        select '12345-' || to_char(t, 'YYYYMMDD') || '-' || lpad((g % 1000000)::text, 6, '0') || '-' || g,
               case when g % 10 = 0 then 'dispatched' else 'closed' end,
               '139' || lpad((g % ${CALLERS})::text, 8, '0'), 'phone', '12345',
               (array['policy-inquiry','city-management','transport'])[1 + g % 3], '基准测试工单 ' || g, 72, t + interval '72 hours', 'bench',
               t, case when g % 10 = 0 then null else t + interval '2 days' end
        from generate_series(${n + 1}, ${TICKETS}) g, lateral (select now() - (g % 730) * interval '1 day' - (g % 86400) * interval '1 second' as t) x`)
      await sql`analyze tickets`
      process.stderr.write(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
    }
    await sql`delete from users where id like 'pop%'`
  } finally {
    await sql.end({ timeout: 5 })
  }
  return url
}

function offer(i: number, agentId: string, caller: string): LiveCall {
  const now = Date.now()
  return {
    callId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, phase: 'offered', callerChannelId: `bench-${i}`, callerNumber: caller,
    dialledNumber: '12345', lineNumber: '12345', queueId: 'general', priority: 0, arrivedAt: now - 8000, queuedAt: now - 5000,
    agentId, seat: null, agentChannelId: null, offeredAt: now, answeredAt: null, offerAttempts: 1, bridgeId: null, recordingName: null
  }
}

async function main() {
  const base = testConfig()
  // Made and migrated by the schema owner; the server connects as the application role.
  await prepareDatabase(ownerDatabaseUrl(base))
  const url = base.DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${DB}$1`)
  const redisUrl = base.REDIS_URL.replace(/\/\d+$/, '') + '/7'
  const hotline = await createHotline(testConfig({ DATABASE_URL: url, REDIS_URL: redisUrl, HOTLINE_ARI_APP: 'hotline-bench-pop', LOG_LEVEL: 'error' }), { logger: { level: 'error' } })
  await hotline.start()
  await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const address = hotline.app.server.address() as { port: number }
  const sockets: Socket[] = []
  const pending = new Map<string, number>()
  const samples: { withTickets: number[]; none: number[]; sizes: number[] } = { withTickets: [], none: [], sizes: [] }
  let received = 0
  try {
    for (let a = 0; a < AGENTS; a++) {
      const id = `pop${a}`
      await hotline.users.create({ id, displayName: `坐席${a}`, role: 'agent', password: `${id}-password-x` })
      const token = hotline.app.jwt.sign({ sub: id, role: 'agent', name: id })
      const socket = connect(`http://127.0.0.1:${address.port}/agent`, { auth: { token }, transports: ['websocket'], reconnection: false })
      socket.on('call:offered', (view: { callId: string; earlierTickets: unknown[] }) => {
        const t0 = pending.get(view.callId)
        if (t0 === undefined) return
        pending.delete(view.callId)
        const ms = performance.now() - t0
        if (view.earlierTickets.length > 0) { samples.withTickets.push(ms); samples.sizes.push(view.earlierTickets.length) } else samples.none.push(ms)
        received++
      })
      sockets.push(socket)
    }
    await Promise.all(sockets.map((s) => (s.connected ? undefined : new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('connect_error', reject) }))))
    process.stderr.write(`${AGENTS} agent panels connected; ${OFFERS} offers at ${RATE}/s…\n`)
    const cpu0 = process.cpuUsage()
    const start = performance.now()
    for (let i = 0; i < OFFERS; i++) {
      // Nine in ten callers have tickets (numbers seeded); one in ten is a first-time caller.
      const caller = i % 10 === 9 ? `137${String(i).padStart(8, '0')}` : callerNumber(Math.floor(Math.random() * CALLERS))
      const call = offer(i, `pop${i % AGENTS}`, caller)
      pending.set(call.callId, performance.now())
      hotline.calls.emit('offered', call)
      const due = start + ((i + 1) * 1000) / RATE
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
    }
    const deadline = performance.now() + 10_000
    while (pending.size > 0 && performance.now() < deadline) await sleep(20)
    const cpu = process.cpuUsage(cpu0)
    const wall = (performance.now() - start) / 1000
    const show = (label: string, xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b)
      const f = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`)
      console.log(`| ${label} | ${s.length} | ${f(percentile(s, 0.5))} | ${f(percentile(s, 0.99))} | ${f(s.length ? s[s.length - 1]! : null)} |`)
    }
    console.log(`\nScreen pop benchmark (${new Date().toISOString()}): ${TICKETS.toLocaleString('en')} tickets over ${CALLERS.toLocaleString('en')} callers, ${AGENTS} agent panels, ${OFFERS} offers at ${RATE}/s\n`)
    console.log('| offer → pop delivered | samples | median | p99 | max |')
    console.log('| --- | --- | --- | --- | --- |')
    show('callers with earlier tickets', samples.withTickets)
    show('reference: first-time callers (no tickets)', samples.none)
    console.log('| reference: the aim | — | — | 50.0 ms | — |')
    console.log(`\nreceived ${received}/${OFFERS} pops (lost: ${pending.size}), ${(samples.sizes.reduce((a, b) => a + b, 0) / Math.max(1, samples.sizes.length)).toFixed(1)} earlier tickets per pop on average; server process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${wall.toFixed(1)} s (${(((cpu.user + cpu.system) / 1e4) / wall).toFixed(0)}% of one core, panels included)`)
  } finally {
    for (const s of sockets) s.disconnect()
    await hotline.close()
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
