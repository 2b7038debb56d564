/**
 * Toll fraud through the dialer, tried on the real PBX: a supervisor can no longer point the
 * trunk's dial template anywhere (administrators only, a fixed shape naming a PBX trunk, every
 * change and refusal audited), and a follow-up to an international or premium-rate caller id is
 * never dialled (the number plan, local and mobile by default), while a mobile one is, as before.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { ADMIN_PASSWORD, createAgent, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { testConfig } from '../../helpers/services.ts'
import { CITIZEN_TEMPLATE, closedTicket, keysPcap, ManualClock, nextBeijingSevenAm, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'

t.test('dial templates are the administrators\', checked and audited; numbers outside the plan are never dialled', async (t) => {
  const clock = new ManualClock(nextBeijingSevenAm() + 2 * 3600_000)   // 09:00 Beijing time, inside the window
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_DIALER_TICK_MS: '0', HOTLINE_SURVEY_INPUT_TIMEOUT_S: '2', HOTLINE_GREETING: 'none' })
  await resetWorld(config)
  const hotline = await createHotline(config, { dialerClock: clock })
  t.teardown(() => hotline.close())
  await hotline.start()
  await resetDialer(hotline.sql)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const supervisor = await createAgent(hotline, admin, 'TF-SUP', { role: 'supervisor' })
  const putTrunk = (token: string, dialTemplate: string) => hotline.app.inject({
    method: 'PUT', url: '/v1/follow-ups/trunks/trunk', headers: { authorization: `Bearer ${token}` }, payload: { maxConcurrent: 20, callsPerSecond: 50, dialTemplate }
  })

  // The audit log is append-only (earlier runs' rows stay): look at this run's rows only.
  const since = (await hotline.sql<{ since: string }[]>`select coalesce(max(id), 0)::text as since from audit_log`)[0]!.since
  const bySupervisor = await putTrunk(supervisor, 'PJSIP/{number}@trunk')
  t.equal(bySupervisor.statusCode, 403, 'a supervisor may not change a dial template')
  t.equal((await putTrunk(supervisor, CITIZEN_TEMPLATE)).statusCode, 200, 'but still sets the limits (template unchanged)')
  const refused: [string, string][] = [
    ['PJSIP/0044909{number}@{trunk}', 'a premium prefix in front of every number'],
    ['PJSIP/{number}@1001', 'a seat instead of the trunk'],
    ['Local/{number}@from-seats', 'a Local channel into the dialplan'],
    ['PJSIP/{number}@{trunk}&PJSIP/16885678@trunk', 'a second, fixed destination']
  ]
  for (const [template, why] of refused) {
    const res = await putTrunk(admin, template)
    t.equal(res.statusCode, 400, `refused: ${why} (${res.json().message})`)
  }
  t.equal((await putTrunk(admin, 'PJSIP/{number}@{trunk}')).statusCode, 200, 'the plain shape is accepted')
  t.equal((await putTrunk(admin, CITIZEN_TEMPLATE)).statusCode, 200, 'and the fixed-address one')
  const trail = await hotline.sql<{ outcome: string; actor: string; details: { before?: string; after?: string; refused?: string } }[]>`
    select outcome, actor, details from audit_log where action = 'dialer.trunk-template' and target = 'trunk' and id > ${since} order by id`
  t.same(trail.map((r) => r.outcome), ['denied', 'denied', 'denied', 'denied', 'denied', 'success', 'success'], 'every refusal and change of the template is audited')
  t.match(trail[5], { actor: 'admin', details: { before: CITIZEN_TEMPLATE, after: 'PJSIP/{number}@{trunk}' } }, 'with the template before and after')
  t.match(trail[0], { actor: 'TF-SUP', details: { refused: 'PJSIP/{number}@trunk' } }, 'and what was refused, from whom')
  t.match(trail[1], { actor: 'admin', details: { refused: 'PJSIP/0044909{number}@{trunk}' } })

  // Follow-ups to an international and a premium caller id, and to a mobile.
  const phone = startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 1500, KEY_PCAP: keysPcap('111'), HANGUP_MS: 20000 }, 1, 60)
  const international = await closedTicket(hotline, '00447700900123')
  const premium = await closedTicket(hotline, '16885678')
  const mobile = await closedTicket(hotline, '13800000031')
  await hotline.followUps.dialer.tick()
  const outcome = (taskId: number) => waitFor(`attempt of task ${taskId} settled`, async () => {
    const [a] = await hotline.sql<{ outcome: string | null; state: string }[]>`select outcome, state from dial_attempts where kind = 'follow-up' and task_id = ${taskId} order by attempt_no limit 1`
    return a?.state === 'finished' ? a.outcome : undefined
  }, 45_000, 100)
  t.equal(await outcome(mobile.taskId), 'evaluated', 'the mobile caller was called and answered the survey')
  t.equal(await outcome(international.taskId), 'failed', 'the international number failed without a call')
  t.equal(await outcome(premium.taskId), 'failed', 'so did the premium-rate one')
  await phone.done
  const invites = (readFileSync(phone.messages, 'utf8').match(/^INVITE sip:[^ ]+/gm) ?? [])
  t.same(invites, ['INVITE sip:13800000031@127.0.0.5:5090'], 'the only INVITE that left the PBX was to the mobile number')
})
