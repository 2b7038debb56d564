/**
 * No citizen is refused while no server node serves the Stasis app (issue 11, items 1 and 4),
 * on the real Asterisk: the dialplan answers, plays the greeting and music, and retries Stasis
 * until a node takes the call, which is then queued from its arrival at the PBX. And a caller
 * who hangs up while no node listens is abandoned, not lost with the PBX.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { createSql } from '../../../src/db/sql.ts'
import { ADMIN_PASSWORD, resetWorld, waitFor } from '../../helpers/hotline.ts'
import { RtpReceiver } from '../../helpers/rtp.ts'
import { api, spawnServer, type ServerProcess } from '../../helpers/server-process.ts'
import { testConfig } from '../../helpers/services.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

const env = { HOTLINE_GREETING: 'sound:beep', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function ready(server: ServerProcess): Promise<void> {
  await waitFor('server ready', async () => (await api(server.url, 'GET', '/ready')).status === 200, 15000)
}

/** An agent on a SIPp desk phone, signed in; ready when asked. */
async function signInAgent(url: string, admin: string, id: string, seat: string, ready: boolean): Promise<void> {
  await api(url, 'POST', '/v1/users', admin, { id, displayName: `坐席${seat}`, role: 'agent', password: `${id}-password` })
  await api(url, 'PUT', `/v1/seats/${seat}`, admin, { agentId: id })
  const tok = (await api<{ token: string }>(url, 'POST', '/v1/auth/token', undefined, { username: id, password: `${id}-password` })).body.token
  const signIn = await api(url, 'POST', `/v1/agents/${id}/sign-in`, tok, { seat })
  if (signIn.status !== 200) throw new Error(`sign-in of ${id} failed: ${JSON.stringify(signIn.body)}`)
  if (ready && (await api(url, 'POST', `/v1/agents/${id}/ready`, tok)).status !== 200) throw new Error(`${id} not ready`)
}

t.test('a call placed while no node runs is answered by the PBX, held with audio, and queued from its arrival once a node starts', async (t) => {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  t.teardown(() => sql.end({ timeout: 5 }))
  const first = await spawnServer(t, env)
  await ready(first)
  const admin = (await api<{ token: string }>(first.url, 'POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token
  await registerSeats([{ seat: '1038', password: seatPassword(config.HOTLINE_SEAT_SECRET, '1038') }], 5097)
  startAgentPhone(t, 'uas-agent-answers.xml', 5097, { RING_MS: 300, TALK_MS: 3000 }, 2, 90)
  await signInAgent(first.url, admin, 'H1038', '1038', true)
  await first.kill('SIGKILL')
  t.pass('the only server node was killed (SIGKILL): no node serves the Stasis app')

  const rtp = await new RtpReceiver().start()
  t.teardown(() => rtp.close())
  const calledAt = Date.now()
  const carrier = callFromCarrier('uac-caller-listens.xml', '12345', ['13700137001'], { RTP_HOST: '127.0.0.1', RTP_PORT: rtp.port, MAX_WAIT_MS: 60000 }, { timeoutS: 80 })
  await sleep(6000)
  const heard = rtp.stats()
  t.ok(heard.packets >= 200, `the caller received audio while no node ran (${heard.packets} RTP packets in 6 s)`)
  t.ok(heard.loudWindows >= 4, `greeting and music, not silence (${heard.loudWindows} of ${heard.windows} half-seconds loud, rms ${heard.rms.toFixed(0)})`)
  t.equal(carrier.child.exitCode, null, 'the caller is still on the line')
  const before = await sql`select 1 from calls`
  t.equal(before.length, 0, 'no node has seen the call yet')

  const nodeStarted = Date.now()
  const second = await spawnServer(t, env)
  await ready(second)
  const row = await waitFor('the held call answered by the agent', async () => {
    const [r] = await sql<{ id: string; arrivedAt: Date; queuedAt: Date; answeredAt: Date | null; agentId: string | null }[]>`select id, arrived_at, queued_at, answered_at, agent_id from calls where caller_number = '13700137001'`
    return r?.answeredAt ? r : undefined
  }, 20000)
  const heldMs = nodeStarted - calledAt
  t.equal(row.agentId, 'H1038', 'the agent answered it')
  t.ok(Math.abs(row.arrivedAt.getTime() - calledAt) < 1000, `arrival is the moment of the call (${row.arrivedAt.getTime() - calledAt} ms after SIPp started), not when a node took it`)
  t.equal(row.queuedAt.getTime(), row.arrivedAt.getTime(), 'its place in the queue counts from the arrival')
  const waited = row.answeredAt!.getTime() - row.queuedAt.getTime()
  t.ok(waited >= heldMs, `recorded wait ${waited} ms includes the ${heldMs} ms the PBX held the caller`)
  const [answered] = await sql<{ waitMs: number }[]>`select wait_ms from queue_log where call_id = ${row.id} and event = 'answered'`
  t.equal(answered?.waitMs, waited, 'the queue log counts the same wait')
  t.comment(`held by the PBX ${heldMs} ms before the node started; node start to answer ${row.answeredAt!.getTime() - nodeStarted} ms; recorded wait ${waited} ms`)

  const run = await carrier.done
  t.equal(run.code, 0, `no failed call at the carrier (no 4xx/5xx/6xx) ${run.errors.slice(-500)}`)
  const closed = await waitFor('the call closed', async () => {
    const [r] = await sql<{ outcome: string }[]>`select outcome from calls where id = ${row.id} and ended_at is not null`
    return r
  }, 10000)
  t.equal(closed.outcome, 'answered', 'outcome answered')
})

t.test('callers who hang up while no node listens are not written as lost with the PBX', async (t) => {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  t.teardown(() => sql.end({ timeout: 5 }))
  const first = await spawnServer(t, env)
  await ready(first)
  const admin = (await api<{ token: string }>(first.url, 'POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token
  const rtp = await new RtpReceiver().start()
  t.teardown(() => rtp.close())
  // No agent is ready: the first caller waits in the queue, then the node dies under them.
  const waiting = callFromCarrier('uac-caller-listens.xml', '12345', ['13700137002'], { RTP_HOST: '127.0.0.1', RTP_PORT: rtp.port, MAX_WAIT_MS: 5000 }, { timeoutS: 30 })
  const queued = await waitFor('the first caller queued', async () => {
    const [r] = await sql<{ id: string; queuedAt: Date | null }[]>`select id, queued_at from calls where caller_number = '13700137002'`
    return r?.queuedAt ? r : undefined
  }, 10000)
  await first.kill('SIGKILL')
  // A second caller arrives while no node runs and gives up after 3 s of greeting and music.
  const unserved = callFromCarrier('uac-caller-listens.xml', '12345', ['13700137003'], { RTP_HOST: '127.0.0.1', RTP_PORT: rtp.port, MAX_WAIT_MS: 3000 }, { timeoutS: 30, port: 5082 })
  const [w, u] = await Promise.all([waiting.done, unserved.done])
  t.equal(w.code, 0, `the queued caller hung up normally ${w.errors.slice(-300)}`)
  t.equal(u.code, 0, `the caller who came while no node ran was answered by the PBX, no failed call ${u.errors.slice(-300)}`)
  const hungUpBy = Date.now()

  const second = await spawnServer(t, env)
  await ready(second)
  const row = await waitFor('the vanished caller closed by the new node', async () => {
    const [r] = await sql<{ outcome: string; endedBy: string; endedAt: Date | null }[]>`select outcome, ended_by, ended_at from calls where id = ${queued.id}`
    return r?.endedAt ? r : undefined
  }, 15000)
  t.equal(row.outcome, 'abandoned', 'the caller who hung up while no node listened is abandoned (Asterisk never restarted)')
  t.equal(row.endedBy, 'caller', 'ended by the caller')
  const log = await sql<{ event: string; waitMs: number | null }[]>`select event, wait_ms from queue_log where call_id = ${queued.id} order by id`
  t.same(log.map((l) => l.event), ['entered', 'abandoned'], 'queue log: entered, abandoned (no pbx-lost)')
  t.ok((log[1]?.waitMs ?? 0) >= 5000, `its wait is counted up to when the node saw it gone (${log[1]?.waitMs} ms; the caller hung up after about 5000 ms)`)
  t.ok(row.endedAt!.getTime() >= hungUpBy - 6000, 'closed after the hang-up, not before')
  const lost = await sql`select 1 from queue_log where event = 'pbx-lost'`
  t.equal(lost.length, 0, 'nothing is logged as lost with the PBX')
  const agents = (await api<unknown[]>(second.url, 'GET', '/v1/agents', admin)).body
  t.same(agents, [], 'no agent was involved')
})
