/**
 * Daily reports against the real PostgreSQL. The call rows are written by the very code the
 * call flow uses (CallRecords), in the order the call flow writes them, so the report reads
 * exactly what production records; agent state rows are inserted as AgentRecords writes them.
 *
 * The test runs in its own database: the PBX integration tests truncate the shared one
 * between files, and must not see (or wipe) these rows.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import postgres from 'postgres'
import { createHotline, type Hotline } from '../../../src/app.ts'
import type { LiveCall } from '../../../src/calls/model.ts'
import { CallRecords, type QueueLogEvent } from '../../../src/calls/store.ts'
import { CallbackStore } from '../../../src/callbacks/store.ts'
import { createSql, type Sql } from '../../../src/db/sql.ts'
import { migrate } from '../../../src/db/migrate.ts'
import { AGENT_COLUMNS, CALL_COLUMNS } from '../../../src/statistics/routes.ts'
import { ownerDatabaseUrl } from '../../helpers/hotline.ts'
import { testConfig } from '../../helpers/services.ts'

const DB_NAME = 'hotline_stats_test'

/** Beijing wall-clock time → Date (the center's zone is UTC+8 all year). */
const bj = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`).getTime()

async function ownDatabase(): Promise<string> {
  const owner = ownerDatabaseUrl()
  const admin = postgres(owner, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`create database ${DB_NAME}`)
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err // 42P04: it already exists
  } finally {
    await admin.end({ timeout: 5 })
  }
  const inDb = (u: string) => { const url = new URL(u); url.pathname = `/${DB_NAME}`; return url.toString() }
  // A clean schema every run: this database is ours alone, and a migration edited while in
  // progress elsewhere must not leave a checksum mismatch behind. Made by the schema owner; the
  // server connects as the application role, as it does to the shared database.
  const sql = createSql(inDb(owner), { max: 1 })
  try {
    await sql.unsafe('drop schema public cascade; create schema public')
    await migrate(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
  return inDb(testConfig().DATABASE_URL)
}

function redisDb6(url: string): string {
  const u = new URL(url)
  u.pathname = '/6'
  return u.toString()
}

/** Writes one call the way CallFlow does, step by step. */
class ScriptedCall {
  readonly call: LiveCall
  constructor(private readonly records: CallRecords, line: string, queueId: string) {
    const id = randomUUID()
    this.call = {
      callId: id, phase: 'greeting', callerChannelId: `caller-${id}`, callerNumber: '13800000000', dialledNumber: line, lineNumber: line,
      queueId, priority: 0, arrivedAt: 0, queuedAt: null, agentId: null, seat: null, agentChannelId: null, offeredAt: null,
      answeredAt: null, offerAttempts: 0, bridgeId: null, recordingName: null
    }
  }

  async arrive(at: number) { this.call.arrivedAt = at; await this.records.arrived(this.call); return this }
  /** The line's own seats cannot take the call: routed to the pool before queueing. */
  async routedAway(at: number, from: string, reason: string) {
    await this.records.log(this.call, 'overflowed', at, { from, to: this.call.queueId, reason }); return this
  }
  async enqueue(at: number) { this.call.phase = 'queued'; this.call.queuedAt = at; await this.records.queued(this.call); return this }
  async offer(agentId: string, seat: string, at: number) {
    Object.assign(this.call, { phase: 'offered', agentId, seat, agentChannelId: `seat-${seat}-${at}`, offeredAt: at, offerAttempts: this.call.offerAttempts + 1 })
    await this.records.offered(this.call); return this
  }
  async missed(event: Extract<QueueLogEvent, 'ring-no-answer' | 'offer-rejected'>, at: number) {
    await this.records.log(this.call, event, at, { cause: event === 'ring-no-answer' ? null : 21, seat: this.call.seat }, this.call.agentId)
    Object.assign(this.call, { phase: 'queued', agentId: null, seat: null, agentChannelId: null }); return this
  }
  async answer(at: number) {
    Object.assign(this.call, { phase: 'talking', answeredAt: at, recordingName: `call-${this.call.callId}` })
    await this.records.answered(this.call); return this
  }
  async overflow(to: string, at: number) {
    await this.records.log(this.call, 'overflowed', at, { from: this.call.queueId, to, reason: 'max-wait' })
    this.call.queueId = to; return this
  }
  async complete(at: number) { await this.records.ended(this.call, at, 'answered', 'caller', 'completed'); return this }
  async abandon(at: number) { await this.records.ended(this.call, at, 'abandoned', 'caller', 'abandoned'); return this }
  async hangUpInGreeting(at: number) { await this.records.ended(this.call, at, 'abandoned', 'caller', null); return this }
  /** Pressed 1 for a callback: the request in the queue log (CallbackService), then the call ends (CallFlow.releaseForCallback). */
  async leaveForCallback(callbacks: CallbackStore, at: number) {
    await callbacks.log({ originalCallId: this.call.callId, queueId: this.call.queueId!, lineNumber: this.call.lineNumber }, 'callback-requested', at, { taskId: 1, waitedMs: at - (this.call.queuedAt ?? at) })
    await this.records.ended(this.call, at, 'callback', 'caller', null); return this
  }
}

async function stateRow(sql: Sql, agentId: string, at: number, state: string, reason: string | null, previous: string) {
  await sql`insert into agent_state_log (at, agent_id, state, reason, previous_state, seat, call_id, actor)
    values (${new Date(at)}, ${agentId}, ${state}, ${reason}, ${previous}, '1001', null, 'system')`
}

async function seed(hotline: Hotline): Promise<void> {
  const sql = hotline.sql
  await sql`insert into queues (id, name) values ('price', '价格举报队列')`
  await sql`insert into lines (number, name, kind, queue_id, overflow_queue_id, overflow_after_seconds) values ('12358', '价格举报', 'dual-number', 'price', 'general', 30)`
  for (const [id, displayName, role] of [['S1', '班长', 'supervisor'], ['A1', '坐席甲', 'agent'], ['A2', '坐席乙', 'agent']] as const) {
    await hotline.users.create({ id, displayName, role, password: `${id}-password` })
  }
  const records = new CallRecords(sql)
  const call = (line: string, queue: string) => new ScriptedCall(records, line, queue)

  // 2026-11-23 (Beijing)
  // c1: answered by A1 after 5 s, 180 s talk.
  await (await (await (await (await (await call('12345', 'general').arrive(bj('2026-11-23 09:59:55'))).enqueue(bj('2026-11-23 10:00:00')))
    .offer('A1', '1001', bj('2026-11-23 10:00:02'))).answer(bj('2026-11-23 10:00:05'))).complete(bj('2026-11-23 10:03:05')))
  // c2: short abandon after 3 s.
  await (await (await call('12345', 'general').arrive(bj('2026-11-23 10:59:58'))).enqueue(bj('2026-11-23 11:00:00'))).abandon(bj('2026-11-23 11:00:03'))
  // c3: A2 lets it ring out, A1 answers after 20 s (outside 15 s), 120 s talk.
  {
    const c = await (await call('12345', 'general').arrive(bj('2026-11-23 11:59:58'))).enqueue(bj('2026-11-23 12:00:00'))
    await c.offer('A2', '1002', bj('2026-11-23 12:00:01'))
    await c.missed('ring-no-answer', bj('2026-11-23 12:00:16'))
    await c.offer('A1', '1001', bj('2026-11-23 12:00:17'))
    await c.answer(bj('2026-11-23 12:00:20'))
    await c.complete(bj('2026-11-23 12:02:20'))
  }
  // c4: waits 30 s for the reserved seats, overflows to the pool, A2 answers at 33 s, 60 s talk.
  {
    const c = await (await call('12358', 'price').arrive(bj('2026-11-23 13:59:57'))).enqueue(bj('2026-11-23 14:00:00'))
    await c.overflow('general', bj('2026-11-23 14:00:30'))
    await c.offer('A2', '1002', bj('2026-11-23 14:00:31'))
    await c.answer(bj('2026-11-23 14:00:33'))
    await c.complete(bj('2026-11-23 14:01:33'))
  }
  // c5: abandons the reserved queue after 12 s (a counted abandon).
  await (await (await call('12358', 'price').arrive(bj('2026-11-23 14:59:58'))).enqueue(bj('2026-11-23 15:00:00'))).abandon(bj('2026-11-23 15:00:12'))
  // c6: enters at 23:30 Beijing (15:30 UTC), answered at exactly 15 s, talks past midnight.
  await (await (await (await (await call('12345', 'general').arrive(bj('2026-11-23 23:29:57'))).enqueue(bj('2026-11-23 23:30:00')))
    .offer('A1', '1001', bj('2026-11-23 23:30:10'))).answer(bj('2026-11-23 23:30:15'))).complete(bj('2026-11-24 00:05:00'))
  // c7: hangs up during the greeting: never offered to a queue.
  await (await call('12345', 'general').arrive(bj('2026-11-23 16:00:00'))).hangUpInGreeting(bj('2026-11-23 16:00:04'))

  // 2026-11-24 (Beijing)
  // c8: 00:10 Beijing is still 11-23 in UTC. Routed to the pool at arrival (out of hours):
  // that is not a move between queues the caller waited in. A1 answers after 5 s.
  {
    const c = await call('12358', 'general').arrive(bj('2026-11-24 00:10:00'))
    await c.routedAway(bj('2026-11-24 00:10:00'), 'price', 'out-of-hours')
    await c.enqueue(bj('2026-11-24 00:10:03'))
    await c.offer('A1', '1001', bj('2026-11-24 00:10:05'))
    await c.answer(bj('2026-11-24 00:10:08'))
    await c.complete(bj('2026-11-24 00:12:08'))
  }
  // c9: A2 rejects; the caller gives up after 40 s.
  {
    const c = await (await call('12345', 'general').arrive(bj('2026-11-24 08:59:57'))).enqueue(bj('2026-11-24 09:00:00'))
    await c.offer('A2', '1002', bj('2026-11-24 09:00:01'))
    await c.missed('offer-rejected', bj('2026-11-24 09:00:03'))
    await c.abandon(bj('2026-11-24 09:00:40'))
  }

  // 2026-11-25 (Beijing): a caller asks to be called back after 70 s and the callback, a call
  // of its own, is answered by A1 when its turn comes; and one ordinary answered call.
  {
    const callbacks = new CallbackStore(sql)
    const c = await (await call('12345', 'general').arrive(bj('2026-11-25 10:00:00'))).enqueue(bj('2026-11-25 10:00:03'))
    await callbacks.log({ originalCallId: c.call.callId, queueId: 'general', lineNumber: '12345' }, 'callback-offered', bj('2026-11-25 10:01:03'), {})
    await c.leaveForCallback(callbacks, bj('2026-11-25 10:01:13'))
    const back = await (await call('12345', 'general').arrive(bj('2026-11-25 10:20:00'))).enqueue(bj('2026-11-25 10:20:00'))
    await (await (await back.offer('A1', '1001', bj('2026-11-25 10:20:00'))).answer(bj('2026-11-25 10:20:04'))).complete(bj('2026-11-25 10:25:04'))
    await (await (await (await (await call('12345', 'general').arrive(bj('2026-11-25 11:00:00'))).enqueue(bj('2026-11-25 11:00:03')))
      .offer('A1', '1001', bj('2026-11-25 11:00:20'))).answer(bj('2026-11-25 11:00:23'))).complete(bj('2026-11-25 11:02:23'))
  }

  // A1's day: signed in the evening before (carried into the range), talks across midnight.
  const a1: Array<[string, string, string | null]> = [
    ['2026-11-22 20:00:00', 'not-ready', 'signed-in'],
    ['2026-11-23 09:00:00', 'ready', null],
    ['2026-11-23 10:00:02', 'offered', null],
    ['2026-11-23 10:00:05', 'talking', null],
    ['2026-11-23 10:03:05', 'wrap-up', null],
    ['2026-11-23 10:03:15', 'ready', null],
    ['2026-11-23 12:00:00', 'not-ready', 'break'],
    ['2026-11-23 12:30:00', 'ready', null],
    ['2026-11-23 23:30:10', 'offered', null],
    ['2026-11-23 23:30:15', 'talking', null],
    ['2026-11-24 00:05:00', 'wrap-up', null],
    ['2026-11-24 00:05:10', 'signed-out', null]
  ]
  let previous = 'signed-out'
  for (const [at, state, reason] of a1) { await stateRow(sql, 'A1', bj(at), state, reason, previous); previous = state }
}

t.test('daily reports from the queue log', async (t) => {
  const base = testConfig()
  const hotline = await createHotline(testConfig({
    DATABASE_URL: await ownDatabase(), HOTLINE_ARI_APP: 'hotline-test-stats', REDIS_URL: redisDb6(base.REDIS_URL), HOTLINE_TIMEZONE: 'Asia/Shanghai'
  }))
  t.teardown(() => hotline.close())
  await seed(hotline)

  const login = async (id: string) => {
    const res = await hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: id, password: `${id}-password` } })
    return (res.json() as { token: string }).token
  }
  const supervisor = await login('S1')
  const agent = await login('A1')
  const get = (url: string, token: string | null = supervisor, headers: Record<string, string> = {}) =>
    hotline.app.inject({ method: 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })
  const report = async (query: string) => {
    const res = await get(`/v1/reports/daily?${query}`)
    t.equal(res.statusCode, 200, `${query}: 200 (${res.statusCode === 200 ? '' : res.body})`)
    return res.json() as { from: string; to: string; by: string; timeZone: string; rows: Record<string, unknown>[] }
  }

  await t.test('by line: answer rate without short abandons, 15 s boundary, Beijing days', async (t) => {
    const body = await report('from=2026-11-23&to=2026-11-24&by=line')
    t.match(body, { from: '2026-11-23', to: '2026-11-24', by: 'line', timeZone: 'Asia/Shanghai', thresholds: { shortAbandonSeconds: 5, serviceLevelSeconds: 15 } })
    t.same(body.rows, [
      {
        day: '2026-11-23', key: '12345', name: '12345 政务服务便民热线', offered: 4, answered: 3, abandoned: 1, shortAbandoned: 1, overflowed: 0, lost: 0, callbacks: 0, waiting: 0,
        answeredWithinSl: 2, answerRate: 1, serviceLevel15: 0.6667, abandonRate: 0, asaSeconds: 13.3, ahtSeconds: 795, longestWaitSeconds: 20
      },
      {
        day: '2026-11-23', key: '12358', name: '价格举报', offered: 2, answered: 1, abandoned: 1, shortAbandoned: 0, overflowed: 0, lost: 0, callbacks: 0, waiting: 0,
        answeredWithinSl: 0, answerRate: 0.5, serviceLevel15: 0, abandonRate: 0.5, asaSeconds: 33, ahtSeconds: 60, longestWaitSeconds: 33
      },
      {
        day: '2026-11-24', key: '12345', name: '12345 政务服务便民热线', offered: 1, answered: 0, abandoned: 1, shortAbandoned: 0, overflowed: 0, lost: 0, callbacks: 0, waiting: 0,
        answeredWithinSl: 0, answerRate: 0, serviceLevel15: 0, abandonRate: 1, asaSeconds: null, ahtSeconds: null, longestWaitSeconds: 40
      },
      {
        day: '2026-11-24', key: '12358', name: '价格举报', offered: 1, answered: 1, abandoned: 0, shortAbandoned: 0, overflowed: 0, lost: 0, callbacks: 0, waiting: 0,
        answeredWithinSl: 1, answerRate: 1, serviceLevel15: 1, abandonRate: 0, asaSeconds: 5, ahtSeconds: 120, longestWaitSeconds: 5
      }
    ])
  })

  await t.test('a caller who left for a callback: not waiting, not abandoned, out of the rates', async (t) => {
    const body = await report('from=2026-11-25&to=2026-11-25&by=line')
    t.same(body.rows, [{
      day: '2026-11-25', key: '12345', name: '12345 政务服务便民热线', offered: 3, answered: 2, abandoned: 0, shortAbandoned: 0, overflowed: 0, lost: 0, callbacks: 1, waiting: 0,
      answeredWithinSl: 1, answerRate: 1, serviceLevel15: 0.5, abandonRate: 0, asaSeconds: 12, ahtSeconds: 210, longestWaitSeconds: 70
    }], 'the request ends the original call; the callback is judged as the call it is')
    const byQueue = await report('from=2026-11-25&to=2026-11-25&by=queue')
    t.match(byQueue.rows, [{ key: 'general', offered: 3, callbacks: 1, waiting: 0, abandoned: 0 }], 'by queue too')
  })

  await t.test('a day is the Beijing day, not the UTC day', async (t) => {
    const first = await report('from=2026-11-23&to=2026-11-23&by=line')
    t.same(first.rows.map((r) => [r.day, r.key, r.offered]), [['2026-11-23', '12345', 4], ['2026-11-23', '12358', 2]],
      'the 23:30 call counts on the 23rd; the 00:10 call (still the 23rd in UTC) does not')
    const second = await report('from=2026-11-24&to=2026-11-24&by=line')
    t.same(second.rows.map((r) => [r.day, r.key, r.offered]), [['2026-11-24', '12345', 1], ['2026-11-24', '12358', 1]])
    const before = await report('from=2026-11-22&to=2026-11-22&by=line')
    t.same(before.rows, [], 'nothing on the 22nd')
  })

  await t.test('by queue: an overflowed call counts in both queues it waited in', async (t) => {
    const body = await report('from=2026-11-23&to=2026-11-24&by=queue')
    t.same(body.rows.map((r) => [r.day, r.key, r.name, r.offered, r.answered, r.abandoned, r.shortAbandoned, r.overflowed, r.answerRate, r.serviceLevel15, r.abandonRate, r.asaSeconds]), [
      ['2026-11-23', 'general', '12345 综合队列', 5, 4, 1, 1, 0, 1, 0.5, 0, 18.3],
      ['2026-11-23', 'price', '价格举报队列', 2, 0, 1, 0, 1, 0, 0, 0.5, null],
      ['2026-11-24', 'general', '12345 综合队列', 2, 1, 1, 0, 0, 0.5, 0.5, 0.5, 5]
    ])
  })

  await t.test('by agent: answered calls, talk, misses, state time and occupancy', async (t) => {
    const body = await report('from=2026-11-23&to=2026-11-24&by=agent')
    t.same(body.rows, [
      {
        day: '2026-11-23', key: 'A1', name: '坐席甲', offers: 3, answered: 3, ringNoAnswer: 0, offerRejected: 0, talkSeconds: 2385, ahtSeconds: 795,
        readySeconds: 50217, notReadySeconds: 34200, ringingSeconds: 8, talkingSeconds: 1965, wrapUpSeconds: 10, signedInSeconds: 86400, occupancy: 0.0378
      },
      {
        day: '2026-11-23', key: 'A2', name: '坐席乙', offers: 2, answered: 1, ringNoAnswer: 1, offerRejected: 0, talkSeconds: 60, ahtSeconds: 60,
        readySeconds: 0, notReadySeconds: 0, ringingSeconds: 0, talkingSeconds: 0, wrapUpSeconds: 0, signedInSeconds: 0, occupancy: null
      },
      {
        day: '2026-11-24', key: 'A1', name: '坐席甲', offers: 1, answered: 1, ringNoAnswer: 0, offerRejected: 0, talkSeconds: 120, ahtSeconds: 120,
        readySeconds: 0, notReadySeconds: 0, ringingSeconds: 0, talkingSeconds: 300, wrapUpSeconds: 10, signedInSeconds: 310, occupancy: 1
      },
      {
        day: '2026-11-24', key: 'A2', name: '坐席乙', offers: 1, answered: 0, ringNoAnswer: 0, offerRejected: 1, talkSeconds: 0, ahtSeconds: null,
        readySeconds: 0, notReadySeconds: 0, ringingSeconds: 0, talkingSeconds: 0, wrapUpSeconds: 0, signedInSeconds: 0, occupancy: null
      }
    ])
  })

  await t.test('CSV download: header, attachment, BOM, same figures', async (t) => {
    const res = await get('/v1/reports/daily?from=2026-11-23&to=2026-11-24&by=line&format=csv')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/)
    t.equal(res.headers['content-disposition'], 'attachment; filename="daily-line-2026-11-23-2026-11-24.csv"')
    t.same([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark first')
    const lines = res.body.replace(/^\uFEFF/, '').split('\r\n')
    t.equal(lines[0], CALL_COLUMNS.join(','), 'header row')
    t.equal(lines[2], '2026-11-23,12358,价格举报,2,1,1,0,0,0,0,0,0.5,0,0.5,33,60,33,0', 'a row, Chinese intact')
    t.equal(lines[3], '2026-11-24,12345,12345 政务服务便民热线,1,0,1,0,0,0,0,0,0,0,1,,,40,0', 'nulls are empty cells')
    t.equal(lines.length, 6, 'header, four rows, final line end')

    const viaAccept = await get('/v1/reports/daily?from=2026-11-23&to=2026-11-24&by=agent', supervisor, { accept: 'text/csv' })
    t.equal(viaAccept.statusCode, 200)
    t.match(viaAccept.headers['content-type'], /^text\/csv/, 'Accept: text/csv gives CSV too')
    const agentLines = viaAccept.body.replace(/^\uFEFF/, '').split('\r\n')
    t.equal(agentLines[0], AGENT_COLUMNS.join(','))
    t.equal(agentLines[1], '2026-11-23,A1,坐席甲,3,3,0,0,2385,795,50217,34200,8,1965,10,86400,0.0378')

    const json = await get('/v1/reports/daily?from=2026-11-23&to=2026-11-24', supervisor, { accept: 'application/json' })
    t.match(json.headers['content-type'], /application\/json/, 'JSON by default (by=line)')
    t.equal((json.json() as { by: string }).by, 'line')
  })

  await t.test('who may read reports, and bad requests', async (t) => {
    const cases: Array<[string, string, string | null, number, RegExp]> = [
      ['no token', 'from=2026-11-23&to=2026-11-24', null, 401, /bearer token/],
      ['an agent', 'from=2026-11-23&to=2026-11-24', agent, 403, /needs supervisor or admin/],
      ['a malformed from', 'from=2026-13-01&to=2026-11-24', supervisor, 400, /querystring\.from/],
      ['a missing to', 'from=2026-11-23', supervisor, 400, /querystring\.to/],
      ['a date with a time', 'from=2026-11-23T00:00&to=2026-11-24', supervisor, 400, /querystring\.from/],
      ['an unknown grouping', 'from=2026-11-23&to=2026-11-24&by=team', supervisor, 400, /querystring\.by/],
      ['an unknown format', 'from=2026-11-23&to=2026-11-24&format=xlsx', supervisor, 400, /querystring\.format/],
      ['from after to', 'from=2026-11-25&to=2026-11-24', supervisor, 400, /querystring\.from.*after/],
      ['367 days', 'from=2026-01-01&to=2027-01-02', supervisor, 400, /367 days; at most 366/]
    ]
    for (const [what, query, token, status, message] of cases) {
      const res = await get(`/v1/reports/daily?${query}`, token)
      t.equal(res.statusCode, status, `${what}: ${status}`)
      t.match((res.json() as { message: string }).message, message, `${what}: says why`)
    }
    const leapYear = await get('/v1/reports/daily?from=2028-01-01&to=2028-12-31&by=queue')
    t.equal(leapYear.statusCode, 200, 'a whole leap year (366 days) is allowed')
  })
})
