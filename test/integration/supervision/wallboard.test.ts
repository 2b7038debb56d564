/**
 * The wallboard on real parts: SIPp callers ring 12345 on the real Asterisk, one SIPp desk phone
 * answers; the figures a supervisor's socket receives (snapshot + coalesced updates) match the
 * calls made (offered, answered, abandoned, short abandons, service level) and equal
 * GET /v1/reports/daily for the same day, per line, per queue and per agent. Pushes arrive
 * within a second of the change. Supervisors move a waiting caller and put one at the head of
 * the queue; agents get 403 for every supervisor action; bad input gets 400 naming the field.
 */
import t from 'tap'
import { io as connect, type Socket } from 'socket.io-client'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import type { Ack } from '../../../src/realtime/contract.ts'
import type { WallboardRow, WallboardSnapshot, WallboardUpdate } from '../../../src/supervision/model.ts'
import { QueueWaitingStore } from '../../../src/queueing/store.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

const KPI_FIELDS = ['offered', 'answered', 'abandoned', 'shortAbandoned', 'overflowed', 'lost', 'waiting', 'answeredWithinSl',
  'answerRate', 'serviceLevel15', 'abandonRate', 'asaSeconds', 'ahtSeconds', 'longestWaitSeconds'] as const
const pick = (row: object | undefined) => Object.fromEntries(KPI_FIELDS.map((k) => [k, (row as Record<string, unknown> | undefined)?.[k]]))

t.test('wallboard figures match the calls made and the daily report', async (t) => {
  const startedAt = new Date().toISOString()
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const auth = (token: string) => ({ authorization: `Bearer ${token}` })
  const created = await hotline.app.inject({ method: 'POST', url: '/v1/users', headers: auth(admin), payload: { id: 'SUP1', displayName: '班长甲', role: 'supervisor', password: 'Supervisor-pass-1' } })
  t.equal(created.statusCode, 201, 'supervisor created')
  const sup = await tokenFor(hotline, 'SUP1', 'Supervisor-pass-1')
  const agentToken = await createAgent(hotline, admin, 'W1001', { seat: '1001' })
  const put = await hotline.app.inject({ method: 'PUT', url: '/v1/queues/second', headers: auth(admin), payload: { name: '第二队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null } })
  t.equal(put.statusCode, 200, 'a second queue to move callers to')

  await registerSeats([{ seat: '1001', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1001') }], 5071)
  startAgentPhone(t, 'uas-agent-answers.xml', 5071, { RING_MS: 300, TALK_MS: 3000 }, 10, 120)
  await agentCommand(hotline, agentToken, 'me', 'sign-in', { seat: '1001' })

  // A supervisor's socket: the snapshot first, then updates merged into it as the page does.
  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  const open = (token: string) => {
    const s = connect(`${address}/supervisor`, { auth: { token, stream: 'wallboard' }, transports: ['websocket'], reconnection: false })
    sockets.push(s)
    return new Promise<Socket>((resolve, reject) => { s.once('connect', () => resolve(s)); s.once('connect_error', reject) })
  }
  const socket = await open(sup)
  let board: WallboardSnapshot | null = null
  const lags: number[] = []
  let updates = 0
  const merge = <T>(rows: T[], changed: T[] | undefined, key: (r: T) => string) => {
    if (!changed) return rows
    const m = new Map(rows.map((r) => [key(r), r]))
    for (const r of changed) m.set(key(r), r)
    return [...m.values()]
  }
  socket.on('wallboard:update', (u: WallboardUpdate) => {
    updates += 1
    lags.push(Date.now() - u.changedAt)
    if (!board) return
    board = { ...board, seq: u.seq, lines: merge(board.lines, u.lines, (r) => r.key), queues: merge(board.queues, u.queues, (r) => r.key), agents: merge(board.agents, u.agents, (a) => a.agentId).filter((a) => !u.removedAgents?.includes(a.agentId)), chart: u.chart ? { intervalMinutes: u.chart.intervalMinutes, points: [...board.chart.points.slice(0, u.chart.from), ...u.chart.points] } : board.chart }
  })
  socket.on('wallboard:snapshot', (s: WallboardSnapshot) => { board = s })
  const first = await socket.timeout(5000).emitWithAck('wallboard:snapshot') as Ack<WallboardSnapshot>
  t.ok(first.ok, 'snapshot acknowledged')
  board = first.ok ? first.data : null
  t.match(board?.lines.find((l) => l.key === '12345'), { offered: 0, answered: 0, waiting: 0, answerRate: null }, 'a fresh day: nothing yet')
  t.ok(board?.queues.some((q) => q.key === 'second'), 'every configured queue has a row')
  const line = () => board?.lines.find((l) => l.key === '12345') as WallboardRow | undefined

  // Phase 1: agent ready, two patient callers: one answered at once, the other after the first call (about 5 s).
  await agentCommand(hotline, agentToken, 'me', 'ready')
  const agentRow = await waitFor('the ready agent on the board', async () => board?.agents.find((a) => a.agentId === 'W1001' && a.state === 'ready'), 3000)
  t.equal(agentRow.seat, '1001', 'agent row: seat')
  const patient = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13800138001', '13800138002'], { MAX_WAIT_MS: 40000 }, { rate: 10, timeoutS: 60, port: 5080 })
  const talking = await waitFor('an agent talking, caller masked', async () => board?.agents.find((a) => a.agentId === 'W1001' && a.state === 'talking' && a.call), 10000)
  t.match(talking.call, { caller: /^138\*{4}800[12]$/, lineNumber: '12345', lineName: String }, `current call shows the masked caller (${talking.call?.caller}) and the line`)
  t.ok((await patient.done).code === 0, 'both patient callers were served')
  await waitFor('two answered on the board', async () => line()?.answered === 2 && line()?.waiting === 0, 10000)

  // Phase 2: agent not ready; three callers wait. One is put first, one moved to the second queue;
  // two give up after 7 s (counted), one after 2 s (a short abandon, left out of the rates).
  await agentCommand(hotline, agentToken, 'me', 'not-ready', { reason: 'break' })
  const nr = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: auth(agentToken) })).json() as { state: string }
  t.equal(nr.state, 'not-ready', 'agent not ready for phase 2')
  const longAbandons = callFromCarrier('uac-caller-abandons.xml', '12345', ['13900139001', '13900139002'], { ABANDON_AFTER_MS: 7000 }, { rate: 5, timeoutS: 40, port: 5082 })
  const shortAbandon = callFromCarrier('uac-caller-abandons.xml', '12345', ['13700137001'], { ABANDON_AFTER_MS: 2000 }, { rate: 1, timeoutS: 40, port: 5083 })
  const waitingRow = await waitFor('three callers waiting on the board', async () => {
    const q = board?.queues.find((r) => r.key === 'general')
    return q && q.waiting === 3 && q.waitingCalls?.length === 3 ? q : undefined
  }, 5000)
  t.ok(waitingRow.oldestWaitingSince !== null, 'longest wait is known')
  const [, second, third] = waitingRow.waitingCalls!
  const agentTry = await hotline.app.inject({ method: 'POST', url: `/v1/queues/general/calls/${third!.callId}/to-head`, headers: auth(agentToken) })
  t.equal(agentTry.statusCode, 403, 'an agent may not reorder a queue')
  const toHead = await hotline.app.inject({ method: 'POST', url: `/v1/queues/general/calls/${third!.callId}/to-head`, headers: auth(sup) })
  t.equal(toHead.statusCode, 200, `to-head: ${toHead.body}`)
  const head = await new QueueWaitingStore(hotline.redis).waiting(['general'], 1)
  t.equal(head[0]?.callId, third!.callId, 'the caller put first is now at the head of the queue')
  const moved = await hotline.app.inject({ method: 'POST', url: `/v1/queues/general/calls/${second!.callId}/move`, headers: auth(sup), payload: { toQueueId: 'second' } })
  t.same([moved.statusCode, moved.json()], [200, { callId: second!.callId, queueId: 'second' }], 'a waiting caller moved to the second queue')
  const movedAgain = await hotline.app.inject({ method: 'POST', url: `/v1/queues/general/calls/${second!.callId}/move`, headers: auth(sup), payload: { toQueueId: 'second' } })
  t.equal(movedAgain.statusCode, 404, 'it no longer waits in general')
  await waitFor('the moved caller on the board', async () => board?.queues.find((r) => r.key === 'second')?.waiting === 1, 3000)
  t.equal((await longAbandons.done).code, 0, 'long abandons done')
  t.equal((await shortAbandon.done).code, 0, 'short abandon done')

  // The figures: what the calls were, what the wallboard got pushed, what the report says.
  await waitFor('all five calls settled on the board', async () => line()?.offered === 5 && line()?.waiting === 0, 10000)
  t.match(pick(line()), { offered: 5, answered: 2, abandoned: 3, shortAbandoned: 1, waiting: 0, answerRate: 0.5, serviceLevel15: 0.5, abandonRate: 0.5 },
    'line 12345: 5 offered, 2 answered (both within 15 s), 3 abandoned of which 1 short: rates over 4')
  const calls = await hotline.sql<{ outcome: string; queuedAt: Date; answeredAt: Date | null; endedAt: Date }[]>`select outcome, queued_at, answered_at, ended_at from calls`
  t.equal(calls.length, 5, 'five call records')
  t.equal(calls.filter((c) => c.answeredAt && c.answeredAt.getTime() - c.queuedAt.getTime() <= 15000).length, line()?.answeredWithinSl, 'answered within 15 s, from the call records')

  const today = board!.day
  for (const by of ['line', 'queue', 'agent'] as const) {
    const res = await hotline.app.inject({ method: 'GET', url: `/v1/reports/daily?from=${today}&to=${today}&by=${by}`, headers: auth(sup) })
    t.equal(res.statusCode, 200, `report by ${by}`)
    const rows = (res.json() as { rows: Record<string, unknown>[] }).rows
    if (by === 'agent') {
      t.equal(board!.agents.find((a) => a.agentId === 'W1001')?.answeredToday, rows.find((r) => r.key === 'W1001')?.answered, 'agent: answered today equals the report')
      continue
    }
    const live = by === 'line' ? board!.lines : board!.queues
    for (const r of rows) t.same(pick(live.find((l) => l.key === r.key)), pick(r), `${by} ${String(r.key)}: wallboard equals the daily report`)
  }
  t.match(pick(board!.queues.find((q) => q.key === 'second')), { offered: 1, abandoned: 1 }, 'the moved caller counts in the second queue')
  t.match(pick(board!.queues.find((q) => q.key === 'general')), { offered: 5, overflowed: 1 }, 'and as moved on in general')
  const chartOffered = board!.chart.points.reduce((n, p) => n + p.offered, 0)
  t.equal(chartOffered, 5, 'the day chart holds every call')

  // Pushes: coalesced, and each within a second of the change it carries.
  lags.sort((a, b) => a - b)
  t.ok(updates > 0 && updates < 200, `${updates} updates pushed`)
  t.ok(lags.at(-1)! < 1000, `every update within 1 s of its change (median ${lags[lags.length >> 1]} ms, max ${lags.at(-1)} ms)`)

  // A reconnecting wallboard gets the same board in one snapshot.
  const again = await open(sup)
  const snap = await again.timeout(5000).emitWithAck('wallboard:snapshot') as Ack<WallboardSnapshot>
  t.same(snap.ok && snap.data.lines.map(pick), board!.lines.map(pick), 'snapshot after reconnect equals the pushed board')

  // Roles and bad input.
  const callId = second!.callId
  for (const [method, url, payload] of [
    ['GET', '/v1/wallboard', undefined], ['POST', '/v1/supervisor/agents/W1001/force-not-ready', { reason: 'break' }],
    ['POST', '/v1/supervisor/agents/W1001/force-sign-out', undefined], ['POST', `/v1/supervisor/calls/${callId}/listen`, { seat: '1001' }],
    ['POST', `/v1/supervisor/calls/${callId}/whisper`, { seat: '1001' }], ['POST', `/v1/supervisor/calls/${callId}/barge`, { seat: '1001' }],
    ['POST', `/v1/queues/general/calls/${callId}/move`, { toQueueId: 'second' }], ['GET', '/v1/supervisor/actions', undefined]
  ] as const) {
    const asAgent = await hotline.app.inject({ method, url, headers: auth(agentToken), payload })
    t.equal(asAgent.statusCode, 403, `agent: ${method} ${url} → 403`)
    const anonymous = await hotline.app.inject({ method, url, payload })
    t.equal(anonymous.statusCode, 401, `no token: ${method} ${url} → 401`)
  }
  const bad = async (url: string, payload: unknown, field: RegExp) => {
    const res = await hotline.app.inject({ method: 'POST', url, headers: auth(sup), payload: payload as object })
    t.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)} → 400`)
    t.match(res.json(), { message: field }, `names ${field}`)
  }
  await bad('/v1/supervisor/calls/not-a-uuid/listen', { seat: '1001' }, /params\.callId/)
  await bad(`/v1/supervisor/calls/${callId}/listen`, {}, /body\.seat/)
  await bad('/v1/supervisor/agents/W1001/force-not-ready', { reason: 'Bad Reason!' }, /body\.reason/)
  await bad(`/v1/queues/general/calls/${callId}/move`, { toQueueId: 'general', extra: 1 }, /body\.extra/)
  const gone = await hotline.app.inject({ method: 'POST', url: `/v1/supervisor/calls/${callId}/listen`, headers: auth(sup), payload: { seat: '1001' } })
  t.equal(gone.statusCode, 404, 'listening to a call that is over: 404')
  const noAgent = await hotline.app.inject({ method: 'POST', url: '/v1/supervisor/agents/NOBODY/force-sign-out', headers: auth(sup) })
  t.equal(noAgent.statusCode, 404, 'unknown agent: 404')
  const ackBad = await socket.timeout(3000).emitWithAck('supervisor:intervene', { callId, mode: 'spy', seat: '1001' }) as Ack<unknown>
  t.match(ackBad, { ok: false, error: { code: 'HOTLINE_BAD_REQUEST', message: /body\.mode/ } }, 'socket: bad mode named in the ack')

  // Forced states, over REST and Socket.IO, each logged with who did it.
  const forced = await hotline.app.inject({ method: 'POST', url: '/v1/supervisor/agents/W1001/force-not-ready', headers: auth(sup), payload: { reason: 'meeting' } })
  t.match([forced.statusCode, forced.json()], [200, { state: 'not-ready', reason: 'meeting' }], 'supervisor forced not ready')
  const out = await socket.timeout(3000).emitWithAck('supervisor:force-sign-out', { agentId: 'W1001' }) as Ack<{ state: string }>
  t.match(out, { ok: true, data: { state: 'signed-out' } }, 'supervisor forced sign-out over Socket.IO')
  await waitFor('the signed-out agent on the board, calls kept', async () => board?.agents.find((a) => a.agentId === 'W1001' && a.state === 'signed-out' && a.answeredToday === 2), 3000)
  const audit = (await hotline.app.inject({ method: 'GET', url: `/v1/supervisor/actions?from=${startedAt}`, headers: auth(sup) })).json() as { actor: string; action: string; ok: boolean; agentId: string | null }[]
  t.match(audit.slice(0, 2), [{ actor: 'SUP1', action: 'force-sign-out', ok: true, agentId: 'W1001' }, { actor: 'SUP1', action: 'force-not-ready', ok: true }], 'actions logged with who did them')
  t.ok(audit.some((a) => a.action === 'move-call' && a.ok) && audit.some((a) => a.action === 'call-to-head' && a.ok), 'queue moves logged')
  t.ok(audit.some((a) => a.action === 'listen' && !a.ok), 'a refused listen is logged too')
  t.notOk(audit.some((a) => a.actor === 'W1001'), 'an agent\'s forbidden attempts never reached an action')
})
