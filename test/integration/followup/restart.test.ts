/**
 * SIGKILL of the server in the middle of a follow-up campaign: afterwards every task is done
 * (none lost, none stuck in progress) and no attempt was dialled twice. The citizen phone's
 * SIP trace is the witness: each INVITE carries its attempt (X-Hotline-Attempt), and each
 * attempt appears in exactly one dialog.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { ADMIN_PASSWORD, resetWorld, waitFor } from '../../helpers/hotline.ts'
import { spawnServer } from '../../helpers/server-process.ts'
import { testConfig } from '../../helpers/services.ts'
import { closedTicket, keysPcap, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'

const TASKS = 30

t.test('SIGKILL mid-campaign loses no task and dials no attempt twice', async (t) => {
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_DIALER_TICK_MS: '0' })
  await resetWorld(config)
  // A server that is never started: only its ticket service, to close the tickets.
  const seed = await createHotline(config)
  await resetDialer(seed.sql, { cps: 5, maxConcurrent: 8 })
  await seed.sql`update follow_up_campaigns set windows = '[{"from":"00:00","to":"24:00"}]', max_attempts = 5, retry_minutes = '{1}' where id = 'default'`
  const taskIds: number[] = []
  for (let i = 0; i < TASKS; i += 1) taskIds.push((await closedTicket(seed, `1390000${String(i).padStart(4, '0')}`)).taskId)
  const sql = seed.sql
  t.teardown(() => seed.close())

  const phone = startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 200, KEY_AFTER_MS: 400, KEY_PCAP: keysPcap('222'), HANGUP_MS: 15000 }, TASKS * 3, 150,
    ['-l', '40'])
  const env = { HOTLINE_DIALER_TICK_MS: '100', HOTLINE_SURVEY_INPUT_TIMEOUT_S: '2', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'warn' }
  const first = await spawnServer(t, env)
  await waitFor('a third of the campaign dialled', async () => {
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from dial_attempts where dialled_at is not null`
    return r!.n >= TASKS / 3 ? r : undefined
  }, 60_000, 50)
  await first.kill('SIGKILL')
  const [atKill] = await sql<{ open: number; done: number }[]>`select count(*) filter (where state <> 'finished')::int as open, count(*) filter (where state = 'finished')::int as done from dial_attempts`
  t.ok(atKill!.open > 0, `killed with ${atKill!.open} attempts in flight (${atKill!.done} finished)`)

  const second = await spawnServer(t, env)
  // Finished: every task settled and every call over (an evaluated call still says thank you).
  await waitFor('every task and every call to be finished', async () => {
    const [r] = await sql<{ n: number }[]>`select (select count(*) from follow_up_tasks where status in ('due', 'in-progress')) + (select count(*) from dial_attempts where state <> 'finished') as n`
    return Number(r!.n) === 0 ? r : undefined
  }, 120_000, 200)
  await second.kill('SIGTERM')
  phone.stop()
  await phone.done

  const tasks = await sql<{ id: string; status: string }[]>`select id, status from follow_up_tasks order by id`
  t.equal(tasks.length, TASKS, 'no task disappeared')
  t.same(tasks.filter((r) => r.status !== 'done'), [], 'every task is done')
  const evaluated = await sql<{ n: number }[]>`select count(*)::int as n from tickets where evaluation_result = 'basically-satisfied' and evaluation_digits like '%2'`
  t.equal(evaluated[0]!.n, TASKS, 'every ticket carries the citizen\'s answer')
  const twice = await sql`select ticket_id from ticket_events where action = 'evaluate' group by ticket_id having count(*) > 1`
  t.same(twice, [], 'no ticket was evaluated twice')
  const open = await sql`select id from dial_attempts where state <> 'finished'`
  t.same(open, [], 'no attempt is left open')
  const lost = await sql<{ n: number }[]>`select count(*)::int as n from dial_attempts where outcome = 'lost'`
  t.comment(`attempts closed as lost by the restart: ${lost[0]!.n}`)

  // The witness: each attempt's INVITE belongs to exactly one dialog (Call-ID) at the phone.
  const trace = readFileSync(phone.messages, 'utf8')
  const dialogs = new Map<string, Set<string>>()
  for (const block of trace.split(/\n(?=-{5,})/)) {
    if (!/^INVITE sip:/m.test(block)) continue
    const attempt = /^X-Hotline-Attempt:\s*(\S+)/mi.exec(block)?.[1]
    const callId = /^Call-ID:\s*(\S+)/mi.exec(block)?.[1]
    if (!attempt || !callId) continue
    if (!dialogs.has(attempt)) dialogs.set(attempt, new Set())
    dialogs.get(attempt)!.add(callId)
  }
  const [dialled] = await sql<{ n: number }[]>`select count(*)::int as n from dial_attempts where dialled_at is not null`
  t.ok(dialogs.size >= TASKS, `the phone saw ${dialogs.size} attempts (${dialled!.n} recorded as dialled)`)
  t.same([...dialogs].filter(([, ids]) => ids.size > 1).map(([a]) => a), [], 'no attempt was dialled twice')
  const recorded = new Set((await sql<{ channelId: string }[]>`select channel_id from dial_attempts`).map((r) => r.channelId))
  t.same([...dialogs.keys()].filter((a) => !recorded.has(a)), [], 'every call the phone saw was recorded as an attempt before it was dialled')
})
