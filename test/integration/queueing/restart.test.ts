/**
 * Faults during service. The server is killed with SIGKILL mid-load and started again:
 * waiting callers are still waiting in their order and get answered, connected calls stay up
 * and are logged when they end, agents keep their states. Asterisk restarting instead: the
 * server reconnects by itself and logs the calls lost with the PBX as such.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { createSql } from '../../../src/db/sql.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, resetWorld, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { api, spawnServer } from '../../helpers/server-process.ts'
import { testConfig, REPO } from '../../helpers/services.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'
import { execFileSync } from 'node:child_process'
import path from 'node:path'

t.test('SIGKILL of the server in the middle of calls loses no caller and drops no call', async (t) => {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  t.teardown(() => sql.end({ timeout: 5 }))
  const env = { HOTLINE_GREETING: 'sound:beep', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD }
  const first = await spawnServer(t, env)
  await waitFor('server A ready', async () => (await api(first.url, 'GET', '/ready')).status === 200, 10000)
  const admin = (await api<{ token: string }>(first.url, 'POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token
  await api(first.url, 'PUT', '/v1/queues/general', admin, { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })
  const seats = ['1031', '1032', '1033']
  await registerSeats(seats.map((seat) => ({ seat, password: seatPassword(config.HOTLINE_SEAT_SECRET, seat) })), 5096)
  startAgentPhone(t, 'uas-agent-answers.xml', 5096, { RING_MS: 200, TALK_MS: 9000 }, 50, 120)
  for (const seat of seats) {
    await api(first.url, 'POST', '/v1/users', admin, { id: `K${seat}`, displayName: `坐席${seat}`, role: 'agent', password: `K${seat}-password` })
    t.equal((await api(first.url, 'PUT', `/v1/seats/${seat}`, admin, { agentId: `K${seat}` })).status, 200, `seat ${seat} assigned to K${seat}`)
    const tok = (await api<{ token: string }>(first.url, 'POST', '/v1/auth/token', undefined, { username: `K${seat}`, password: `K${seat}-password` })).body.token
    t.equal((await api(first.url, 'POST', `/v1/agents/K${seat}/sign-in`, tok, { seat })).status, 200, `K${seat} signed in`)
    t.equal((await api(first.url, 'POST', `/v1/agents/K${seat}/ready`, tok)).status, 200, `K${seat} ready`)
  }
  const callers = Array.from({ length: 8 }, (_, i) => `1351111000${i}`)
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', callers, { MAX_WAIT_MS: 90000 }, { rate: 4, timeoutS: 120 })

  const before = await waitFor('3 talking and 5 waiting', async () => {
    const rows = await sql<{ id: string; callerNumber: string; answeredAt: Date | null; queuedAt: Date | null }[]>`select id, caller_number, answered_at, queued_at from calls where ended_at is null`
    const talking = rows.filter((r) => r.answeredAt)
    const waiting = rows.filter((r) => !r.answeredAt && r.queuedAt)
    return talking.length === 3 && waiting.length === 5 ? { talking, waiting } : undefined
  }, 20000)
  await first.kill('SIGKILL')
  t.pass('server killed with SIGKILL while 3 calls talk and 5 wait')
  const agentsBefore = await sql<{ agentId: string; state: string }[]>`select distinct on (agent_id) agent_id, state from agent_state_log order by agent_id, id desc`
  t.ok(agentsBefore.every((a) => a.state === 'talking'), 'all three agents were talking')

  const second = await spawnServer(t, env)
  await waitFor('server B ready', async () => (await api(second.url, 'GET', '/ready')).status === 200, 10000)
  const states = (await api<{ agentId: string; state: string }[]>(second.url, 'GET', '/v1/agents', admin)).body
  t.equal(states.length, 3, 'after the restart the three agents are still signed in')
  t.ok(states.every((s) => s.state === 'talking' || s.state === 'wrap-up' || s.state === 'ready' || s.state === 'offered'), `with their states kept: ${states.map((s) => s.state).join(', ')}`)
  const queues = (await api<{ id: string; waiting: number }[]>(second.url, 'GET', '/v1/queues', admin)).body
  t.ok(queues.find((q) => q.id === 'general')!.waiting >= 4, 'the waiting callers are still waiting')

  const run = await carrier.done
  t.equal(run.code, 0, `every caller's call completed normally ${run.errors.slice(-500)}`)
  const rows = await waitFor('all 8 calls closed', async () => {
    const r = await sql<{ id: string; outcome: string; endedBy: string; queuedAt: Date; answeredAt: Date | null }[]>`select id, outcome, ended_by, queued_at, answered_at from calls where ended_at is not null`
    return r.length === 8 ? r : undefined
  }, 20000)
  t.ok(rows.every((r) => r.outcome === 'answered'), `all 8 callers were answered (${rows.map((r) => r.outcome).join(',')})`)
  const talkedBefore = new Set(before.talking.map((c) => c.id))
  t.ok(rows.filter((r) => talkedBefore.has(r.id)).every((r) => r.endedBy === 'agent'), 'the three connected calls stayed up until the agents hung up')
  const waitedOrder = [...before.waiting].sort((a, b) => a.queuedAt!.getTime() - b.queuedAt!.getTime()).map((c) => c.id)
  const answeredOrder = rows.filter((r) => !talkedBefore.has(r.id)).sort((a, b) => a.answeredAt!.getTime() - b.answeredAt!.getTime()).map((r) => r.id)
  t.same(answeredOrder, waitedOrder, 'the callers who waited through the restart were answered in their order')
  const lost = await sql`select 1 from queue_log where event = 'pbx-lost'`
  t.equal(lost.length, 0, 'nothing was logged as lost')
  await waitFor('agents ready again', async () => {
    const s = (await api<{ state: string }[]>(second.url, 'GET', '/v1/agents', admin)).body
    return s.every((a) => a.state === 'ready') ? s : undefined
  }, 5000)
})

t.test('Asterisk crashing and restarting: the server reconnects, agents keep their states, lost calls are logged', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'R1', { seat: '1034' })
  const password = seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1034')
  await registerSeats([{ seat: '1034', password }], 5097)
  const phone = startAgentPhone(t, 'uas-agent-answers.xml', 5097, { RING_MS: 200, TALK_MS: 60000 }, 10, 90)
  await agentCommand(hotline, token, 'R1', 'sign-in', { seat: '1034' })
  await agentCommand(hotline, token, 'R1', 'ready')
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13522220001', '13522220002'], { MAX_WAIT_MS: 15000 }, { rate: 5, timeoutS: 60 })
  await waitFor('one talking, one waiting', async () => {
    const rows = await hotline.sql<{ answeredAt: Date | null; queuedAt: Date | null }[]>`select answered_at, queued_at from calls where ended_at is null`
    return rows.filter((r) => r.answeredAt).length === 1 && rows.filter((r) => !r.answeredAt && r.queuedAt).length === 1 ? rows : undefined
  }, 15000)

  execFileSync('bash', [path.join(REPO, 'scripts/services.sh'), 'pbx-crash'], { stdio: 'ignore', timeout: 60000 })
  t.pass('Asterisk killed (SIGKILL) and started again')
  await waitFor('the server to reconnect by itself', async () => hotline.ari.connected && (await hotline.app.inject({ method: 'GET', url: '/ready' })).statusCode === 200, 20000)
  const rows = await waitFor('both calls closed as lost with the PBX', async () => {
    const r = await hotline.sql<{ outcome: string; endedBy: string; answeredAt: Date | null }[]>`select outcome, ended_by, answered_at from calls where ended_at is not null`
    return r.length === 2 ? r : undefined
  }, 10000)
  const talked = rows.find((r) => r.answeredAt)!
  const waited = rows.find((r) => !r.answeredAt)!
  t.match(talked, { outcome: 'answered', endedBy: 'system' }, 'the connected call ended with the PBX, ended by the system')
  t.match(waited, { outcome: 'pbx-lost', endedBy: 'system' }, 'the waiting caller is logged as lost with the PBX')
  const lost = await hotline.sql<{ n: number }[]>`select count(*)::int as n from queue_log where event = 'pbx-lost'`
  t.equal(lost[0]!.n, 2, 'the queue log has both losses')
  const state = (await hotline.app.inject({ method: 'GET', url: '/v1/agents/R1/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string; seat: string }
  t.equal(state.seat, '1034', 'the agent is still signed in to the seat')
  t.ok(['ready', 'wrap-up'].includes(state.state), `and back to work (${state.state})`)
  phone.stop()
  await carrier.done

  // The seat's phone registers again (the PBX lost its registrations) and calls flow again.
  await registerSeats([{ seat: '1034', password }], 5098)
  startAgentPhone(t, 'uas-agent-answers.xml', 5098, { RING_MS: 200, TALK_MS: 2000 }, 5, 60)
  await waitFor('agent ready', async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/agents/R1/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string }).state === 'ready' || undefined, 5000)
  const again = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13522220003'], { MAX_WAIT_MS: 30000 }, { rate: 1, timeoutS: 45 })
  t.equal((await again.done).code, 0, 'a new call after the restart completes')
  const [fresh] = await hotline.sql`select outcome, agent_id from calls where caller_number = '13522220003'`
  t.match(fresh, { outcome: 'answered', agentId: 'R1' }, 'and is answered by the agent')
})
