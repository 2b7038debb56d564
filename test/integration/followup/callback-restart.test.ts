/**
 * The callback offer survives a server crash: a caller is waiting when the server is killed
 * with SIGKILL (before their offer is due); the restarted server re-arms the offer from the
 * caller's original entry time (reconcile), the caller hears it, presses 1, and the booked
 * callback keeps the place they had before the crash (ahead of a caller who came later).
 */
import t from 'tap'
import { createSql } from '../../../src/db/sql.ts'
import { ADMIN_PASSWORD, resetWorld, waitFor } from '../../helpers/hotline.ts'
import { api, spawnServer } from '../../helpers/server-process.ts'
import { testConfig } from '../../helpers/services.ts'
import { callFromCarrier } from '../../helpers/sipp.ts'
import { keyPcap, resetDialer } from '../../helpers/dialer.ts'

const ASKS = '13866660001'
const LATER = '13866660002'
const OFFER_AFTER_S = 10

t.test('a caller waiting through a SIGKILL of the server still gets the callback offer and keeps their place', async (t) => {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  t.teardown(() => sql.end({ timeout: 5 }))
  await resetDialer(sql)
  const env = { HOTLINE_GREETING: 'sound:beep', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_CALLBACK_OFFER_AFTER_S: String(OFFER_AFTER_S) }
  const first = await spawnServer(t, env)
  await waitFor('server A ready', async () => (await api(first.url, 'GET', '/ready')).status === 200, 10000)
  const admin = (await api<{ token: string }>(first.url, 'POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token

  const queued = (number: string) => waitFor(`${number} to be queued`, async () => {
    const [r] = await sql<{ id: string; queuedAt: Date }[]>`select id, queued_at from calls where caller_number = ${number} and queued_at is not null`
    return r
  }, 15000)
  // No agent is signed in: both callers wait. The key comes well after the offer is due, so
  // only an offer re-armed by the restarted server makes it count.
  const asks = callFromCarrier('uac-caller-asks-callback.xml', '12345', [ASKS], { KEY_AFTER_MS: 22000, KEY_PCAP: keyPcap('1'), MAX_WAIT_MS: 20000 }, { timeoutS: 80, port: 5083 })
  const original = await queued(ASKS)
  const later = callFromCarrier('uac-caller-abandons.xml', '12345', [LATER], { ABANDON_AFTER_MS: 45000 }, { timeoutS: 80, port: 5084 })
  await queued(LATER)

  await first.kill('SIGKILL')
  const killedAt = Date.now()
  t.ok(killedAt - original.queuedAt.getTime() < OFFER_AFTER_S * 1000, `server killed ${killedAt - original.queuedAt.getTime()} ms into the wait, before the offer was due`)
  t.same(await sql`select 1 from queue_log where event = 'callback-offered'`, [], 'no offer was made before the crash')

  const second = await spawnServer(t, env)
  await waitFor('server B ready', async () => (await api(second.url, 'GET', '/ready')).status === 200, 20000)

  const offered = await waitFor('the offer after the restart', async () => {
    const [r] = await sql<{ at: Date }[]>`select at from queue_log where call_id = ${original.id} and event = 'callback-offered'`
    return r
  }, 20000, 100)
  t.ok(offered.at.getTime() >= killedAt, 'the offer was made by the restarted server')
  t.ok(offered.at.getTime() - original.queuedAt.getTime() >= OFFER_AFTER_S * 1000 - 50, `timed from the original entry (${offered.at.getTime() - original.queuedAt.getTime()} ms)`)

  const task = await waitFor('the callback to be booked', async () => {
    const [r] = await sql<{ id: string; reason: string; status: string; originalCallId: string; placeAt: Date }[]>`
      select id, reason, status, original_call_id, place_at from callback_tasks where caller_number = ${ASKS}`
    return r
  }, 30000, 100)
  t.match(task, { reason: 'requested', status: 'queued', originalCallId: original.id }, 'key 1 booked the callback from the original call')
  t.equal(task.placeAt.getTime(), original.queuedAt.getTime(), 'with the place the caller had before the crash')
  const run = await asks.done
  t.equal(run.code, 0, `the caller heard the confirmation and was hung up ${run.errors.slice(-500)}`)
  const [left] = await sql`select outcome, ended_by from calls where id = ${original.id}`
  t.same(left, { outcome: 'callback', endedBy: 'caller' }, 'the original call ended as a callback request')
  const log = await sql<{ event: string }[]>`select event from queue_log where call_id = ${original.id} and event like 'callback-%' order by id`
  t.same(log.map((l) => l.event), ['callback-offered', 'callback-requested'], 'one offer and the request in the queue log')

  const queues = (await api<{ id: string; waiting: number; longestWaitSeconds: number }[]>(second.url, 'GET', '/v1/queues', admin)).body
  const general = queues.find((q) => q.id === 'general')!
  t.equal(general.waiting, 2, 'two places: the kept one and the later caller')
  t.ok(general.longestWaitSeconds * 1000 >= Date.now() - original.queuedAt.getTime() - 1500, 'the oldest place is the original caller\'s, ahead of the later caller')
  await second.kill('SIGTERM')
  later.stop()
})
