/**
 * The survey's recording can be downloaded: a follow-up call answered with 1 on the real PBX,
 * then GET /v1/follow-ups/attempts/{attemptId}/recording streams the WAV from Asterisk through
 * ARI to supervisors (non-empty audio: the prompts are in it); no token 401, agents 403, an
 * unknown attempt, an attempt without recording and a recording missing on the PBX 404.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { createHotline } from '../../../src/app.ts'
import { ADMIN_PASSWORD, createAgent, resetWorld, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { testConfig } from '../../helpers/services.ts'
import { closedTicket, keysPcap, ManualClock, nextBeijingSevenAm, resetDialer, startCitizenPhone } from '../../helpers/dialer.ts'
import { wavStats } from '../../helpers/wav.ts'

t.test('a survey recording is downloadable by supervisors', async (t) => {
  const clock = new ManualClock(nextBeijingSevenAm() + 2 * 3_600_000) // 09:00 Beijing time, inside the window
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_DIALER_TICK_MS: '0', HOTLINE_SURVEY_INPUT_TIMEOUT_S: '3', HOTLINE_GREETING: 'none' })
  await resetWorld(config)
  const hotline = await createHotline(config, { dialerClock: clock })
  t.teardown(() => hotline.close())
  await hotline.start()
  await resetDialer(hotline.sql)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'A6001')
  const supervisor = await createAgent(hotline, admin, 'S6001', { role: 'supervisor' })

  const { ticketId, taskId } = await closedTicket(hotline, '13888880001')
  const phone = startCitizenPhone(t, 'uas-citizen-answers.xml', { RING_MS: 300, KEY_AFTER_MS: 2500, KEY_PCAP: keysPcap('111'), HANGUP_MS: 20000 }, 1, 60)
  t.equal(await hotline.followUps.dialer.tick(), 1, 'the follow-up call is placed')
  const attempt = await waitFor('the attempt to be evaluated', async () => {
    const [r] = await hotline.sql<{ id: string; state: string; outcome: string | null; recordingName: string | null }[]>`
      select id, state, outcome, recording_name from dial_attempts where kind = 'follow-up' and task_id = ${taskId}`
    return r?.state === 'finished' ? r : undefined
  }, 45000, 100)
  t.match(attempt, { outcome: 'evaluated', recordingName: `followup-${taskId}-1` }, 'the survey was answered and recorded')
  const [link] = await hotline.sql`select recording_name from ticket_calls where ticket_id = ${ticketId}`
  t.equal(link?.recordingName, attempt.recordingName, 'the ticket links the recording')
  await phone.done

  const url = `/v1/follow-ups/attempts/${attempt.id}/recording`
  const get = (token: string | null, path = url) => hotline.app.inject({ method: 'GET', url: path, headers: token ? { authorization: `Bearer ${token}` } : {} })
  const res = await waitFor('the recording to be downloadable', async () => {
    const r = await get(supervisor)
    return r.statusCode === 200 ? r : undefined
  }, 10000, 200)
  t.match(res.headers['content-type'], /audio\/(x-)?wav/, 'a WAV file')
  t.match(res.headers['content-disposition'], `followup-${taskId}-1.wav`, 'named after the recording')
  const wav = wavStats(res.rawPayload)
  t.equal(wav.sampleRate, 8000, '8 kHz')
  t.ok(wav.durationS > 2, `it lasts the survey (${wav.durationS.toFixed(1)} s)`)
  t.ok(wav.loudWindows > 0 && wav.peak > 1000, `it is audio, not silence (peak ${wav.peak}, ${wav.loudWindows}/${wav.windows} loud half-seconds)`)
  t.equal((await get(admin)).statusCode, 200, 'admins too')

  t.equal((await get(null)).statusCode, 401, 'without a token: 401')
  const forbidden = await get(agent)
  t.equal(forbidden.statusCode, 403, 'agents: 403')
  t.equal((forbidden.json() as { code: string }).code, 'HOTLINE_AUTH_FORBIDDEN')
  const unknown = await get(admin, `/v1/follow-ups/attempts/${randomUUID()}/recording`)
  t.equal(unknown.statusCode, 404, 'an unknown attempt: 404')
  t.equal((unknown.json() as { code: string }).code, 'HOTLINE_FOLLOW_UP_NOT_FOUND')
  t.equal((await get(admin, '/v1/follow-ups/attempts/not-a-uuid/recording')).statusCode, 400, 'not an attempt id: 400')

  // Attempts that never got a recording, and one whose file is gone from the PBX.
  const unrecorded = randomUUID()
  const missing = randomUUID()
  await hotline.sql`insert into dial_attempts (id, kind, task_id, attempt_no, channel_id, trunk_id, phone_number, state, outcome, created_at)
    values (${unrecorded}, 'follow-up', ${taskId}, 90, ${`test-unrecorded-${unrecorded}`}, 'trunk', '13888880001', 'finished', 'busy', now()),
           (${missing}, 'follow-up', ${taskId}, 91, ${`test-missing-${missing}`}, 'trunk', '13888880001', 'finished', 'evaluated', now())`
  await hotline.sql`update dial_attempts set recording_name = ${`followup-gone-${missing}`} where id = ${missing}`
  t.equal((await get(admin, `/v1/follow-ups/attempts/${unrecorded}/recording`)).statusCode, 404, 'an attempt without recording: 404')
  t.equal((await get(admin, `/v1/follow-ups/attempts/${missing}/recording`)).statusCode, 404, 'a recording not stored on the PBX: 404')
})
