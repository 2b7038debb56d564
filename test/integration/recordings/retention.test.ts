/**
 * Recording retention on the real PBX: two recordings in Asterisk's spool, one of a call that
 * ended 400 days ago, one of yesterday's. With a 365-day retention the purge deletes the old
 * one through ARI (gone from ARI and from the spool, its download answers 404), keeps the recent
 * one, and audits the deletion with the call it belonged to.
 */
import { randomUUID } from 'node:crypto'
import { copyFileSync, existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ADMIN_PASSWORD, startHotline, tokenFor } from '../../helpers/hotline.ts'
import { serviceEnv } from '../../helpers/services.ts'

const DAY = 86_400_000

t.test('recordings past HOTLINE_RECORDING_RETENTION_DAYS are deleted from the PBX, each deletion audited', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_RECORDING_RETENTION_DAYS: '365' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const env = serviceEnv()
  const spool = env.HOTLINE_RECORDINGS_DIR!
  const sounds = path.join(env.HOTLINE_PBX_ROOT!, 'usr/share/asterisk/sounds/hotline')
  const sample = path.join(sounds, readdirSync(sounds).find((f) => f.endsWith('.wav'))!)
  const calls = [
    { id: randomUUID(), name: `retention-old-${Date.now()}`, endedAt: new Date(Date.now() - 400 * DAY) },
    { id: randomUUID(), name: `retention-new-${Date.now()}`, endedAt: new Date(Date.now() - 1 * DAY) }
  ]
  for (const c of calls) {
    copyFileSync(sample, path.join(spool, `${c.name}.wav`))
    await hotline.sql`insert into calls (id, caller_number, dialled_number, line_number, caller_channel_id, arrived_at, answered_at, ended_at, outcome, recording_name)
      values (${c.id}, '13800000041', '12345', '12345', ${'ch-' + c.id}, ${c.endedAt}, ${c.endedAt}, ${c.endedAt}, 'answered', ${c.name})`
    t.equal((await hotline.ari.rest.storedRecording(c.name)).format, 'wav', `${c.name} is a stored recording on the PBX`)
  }
  t.teardown(async () => { for (const c of calls) await hotline.sql`delete from calls where id = ${c.id}` })
  const since = (await hotline.sql<{ since: string }[]>`select coalesce(max(id), 0)::text as since from audit_log`)[0]!.since
  const download = (id: string) => hotline.app.inject({ method: 'GET', url: `/v1/calls/${id}/recording`, headers: { authorization: `Bearer ${admin}` } })
  t.equal((await download(calls[0]!.id)).statusCode, 200, 'the old recording downloads before the purge')

  t.ok((await hotline.recordingRetention.purge()) >= 1, 'the purge deleted recordings')

  const [old, recent] = calls
  await t.rejects(hotline.ari.rest.storedRecording(old!.name), { name: 'AriNotFound' }, 'the 400-day-old recording is gone from ARI')
  t.notOk(existsSync(path.join(spool, `${old!.name}.wav`)), 'and from the spool')
  t.equal((await download(old!.id)).statusCode, 404, 'its download answers 404')
  t.equal((await hotline.ari.rest.storedRecording(recent!.name)).format, 'wav', "yesterday's recording is kept")
  t.equal((await download(recent!.id)).statusCode, 200)
  const trail = await hotline.sql<{ target: string; outcome: string; details: { callId: string; retentionDays: number } }[]>`
    select target, outcome, details from audit_log where action = 'recording.purge' and id > ${since} order by id`
  const mine = trail.filter((r) => r.target === old!.name)
  t.equal(mine.length, 1, 'the deletion is audited once')
  t.match(mine[0], { outcome: 'success', details: { callId: old!.id, retentionDays: 365 } }, 'with the call and the rule')
  t.notOk(trail.some((r) => r.target === recent!.name), 'nothing for the kept one')
  await hotline.ari.rest.request('DELETE', `/recordings/stored/${recent!.name}`)
})
