/**
 * A waiting caller hears their position and expected wait (in Mandarin, from the prompts made at
 * set-up) at the queue's interval, then the music again, and keeps their place.
 */
import t from 'tap'
import type { AriEvent } from '../../../src/pbx/ari/events.ts'
import { ADMIN_PASSWORD, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier } from '../../helpers/sipp.ts'

t.test('position and expected-wait announcements while waiting', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const put = await hotline.app.inject({
    method: 'PUT', url: '/v1/queues/general', headers: { authorization: `Bearer ${admin}` },
    payload: { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: 10 }
  })
  t.equal(put.statusCode, 200, 'queue announces every 10 s')
  const playbacks: { type: string; id: string; uri: string; at: number }[] = []
  hotline.ari.on('event', (e: AriEvent) => {
    if ((e.type === 'PlaybackStarted' || e.type === 'PlaybackFinished') && e.playback.id.startsWith('announce-')) {
      playbacks.push({ type: e.type, id: e.playback.id, uri: e.playback.target_uri, at: Date.now() })
    }
  })
  // Two callers, nobody signed in: the second hears that one caller is ahead of them.
  const first = callFromCarrier('uac-caller-abandons.xml', '12345', ['13811110001'], { ABANDON_AFTER_MS: 16000 }, { rate: 1, timeoutS: 40, port: 5080 })
  await waitFor('first caller queued', async () => (await hotline.sql`select 1 from calls where caller_number = '13811110001' and queued_at is not null`).length > 0, 10000)
  const second = callFromCarrier('uac-caller-abandons.xml', '12345', ['13811110002'], { ABANDON_AFTER_MS: 15000 }, { rate: 1, timeoutS: 40, port: 5082 })
  const [secondCall] = await waitFor('second caller queued', async () => {
    const rows = await hotline.sql<{ id: string; queuedAt: Date }[]>`select id, queued_at from calls where caller_number = '13811110002' and queued_at is not null`
    return rows.length ? rows : undefined
  }, 10000)
  const finished = await waitFor('the second caller\'s announcement to play through', async () => {
    const done = playbacks.find((p) => p.type === 'PlaybackFinished' && p.id.startsWith(`announce-${secondCall!.id}`))
    return done
  }, 20000, 100)
  const started = playbacks.find((p) => p.type === 'PlaybackStarted' && p.id === finished.id)!
  const after = started.at - secondCall!.queuedAt.getTime()
  t.ok(after >= 9000 && after < 13000, `the announcement came about 10 s after queueing (${after} ms)`)
  t.ok(finished.at - started.at > 1500, `and played for a while (${finished.at - started.at} ms), not skipped`)
  const [r1, r2] = await Promise.all([first.done, second.done])
  t.equal(r1.code, 0, 'first caller hung up normally')
  t.equal(r2.code, 0, 'second caller hung up normally')
  const rows = await waitFor('both calls closed', async () => {
    const r = await hotline.sql<{ outcome: string }[]>`select outcome from calls where ended_at is not null`
    return r.length === 2 ? r : undefined
  }, 10000)
  t.ok(rows.every((r) => r.outcome === 'abandoned'), 'both were still waiting (abandoned) when they hung up, the announcement did not drop them')
  const announced = new Set(playbacks.filter((p) => p.type === 'PlaybackStarted').map((p) => p.id.split('-').slice(1, 6).join('-')))
  t.ok(announced.size >= 2, `both callers heard announcements (${announced.size})`)
})
