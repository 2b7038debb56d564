/**
 * The ARI router: each event reaches its owner once, by Stasis entry or by the ids the server
 * made; a call's events run one at a time in its lane. Events are hand-made ARI JSON (pure
 * routing logic; no PBX), and the logger is a silent pino.
 */
import t from 'tap'
import { pino } from 'pino'
import type { AriChannel, AriEvent } from '../../../src/pbx/ari/events.ts'
import { channelIds, playbackIds, STASIS_ENTRY } from '../../../src/pbx/ari/ids.ts'
import { AriRouter } from '../../../src/pbx/ari/router.ts'

const CALL = '0b9c3a52-52f7-4f0e-9a3c-4a1e2f6b7c8d'
const base = { application: 'hotline', timestamp: '2026-12-01T08:00:00.000+0000' }
const channel = (id: string): AriChannel => ({ id, name: `PJSIP/x-${id}`, state: 'Up', caller: { name: '', number: '13800000000' } })
const start = (id: string, args: string[]): AriEvent => ({ ...base, type: 'StasisStart', args, channel: channel(id) })
const destroyed = (id: string, cause = 16): AriEvent => ({ ...base, type: 'ChannelDestroyed', channel: channel(id), cause, cause_txt: '' })
const log = pino({ level: 'silent' })

t.test('StasisStart goes to the entry its channel was sent with; no entry is the inbound call', async (t) => {
  const router = new AriRouter(log)
  const seen: string[] = []
  router.onEntry(STASIS_ENTRY.agentLeg, async (ch, args) => { seen.push(`agent-leg ${ch.id} ${args.join(',')}`) })
  router.onUnknownEntry(async (ch, args) => { seen.push(`unknown ${ch.id} [${args.join(',')}]`) })
  await router.dispatch(start('seat-x', [STASIS_ENTRY.agentLeg, CALL]))
  await router.dispatch(start('1764600000.1', []))
  t.same(seen, [`agent-leg seat-x ${CALL}`, 'unknown 1764600000.1 []'])
  t.throws(() => router.onEntry(STASIS_ENTRY.agentLeg, async () => {}), /has a handler already/, 'one owner per entry')
})

t.test("a call's channels reach the call's handlers, by id or through the call that adopted them", async (t) => {
  const router = new AriRouter(log)
  const seen: string[] = []
  router.resolveCallsWith(async (id) => (id === '1764600000.7' ? CALL : null))
  router.onCallChannel(async (e, callId, ref) => { seen.push(`${e.type} ${callId} ${ref?.kind ?? 'asterisk-id'}`) })
  router.onOwnedChannel('followup', async (e) => { seen.push(`dialer ${e.type}`) })
  await router.dispatch(destroyed(channelIds.agentLeg(CALL, 1)))
  await router.dispatch(destroyed('1764600000.7'))
  await router.dispatch(destroyed('1764600000.8'))
  await router.dispatch(destroyed(channelIds.dialer('followup', 3, 1)))
  t.same(seen, [`ChannelDestroyed ${CALL} agent-leg`, `ChannelDestroyed ${CALL} asterisk-id`, 'dialer ChannelDestroyed'],
    'a channel nobody owns is dropped; a dialer channel no call adopted goes to the dialer only')
})

t.test("one lane per call: a call's events and commands never interleave, other calls run beside", async (t) => {
  const router = new AriRouter(log)
  const order: string[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => { release = r })
  const slow = router.inCallLane(CALL, async () => { order.push('answer: start'); await gate; order.push('answer: done') })
  router.onCallChannel(async (e) => { order.push(`hang-up: ${e.type}`) })
  const hangup = router.dispatch(destroyed(channelIds.agentLeg(CALL, 1)))
  const other = router.inCallLane('another-call', async () => { order.push('other call') })
  await other
  t.same(order, ['answer: start', 'other call'], 'the hang-up waits for the answer; another call does not')
  release()
  await Promise.all([slow, hangup])
  t.same(order, ['answer: start', 'other call', 'answer: done', 'hang-up: ChannelDestroyed'])
})

t.test('a playback end reaches whoever waits for it; a failing handler does not stop the others', async (t) => {
  const router = new AriRouter(log)
  const seen: string[] = []
  router.onPlayback('greeting', async (ref) => { seen.push(JSON.stringify(ref)) })
  await router.dispatch({ ...base, type: 'PlaybackFinished', playback: { id: playbackIds.greeting(CALL), target_uri: '', state: 'done' } })
  await router.dispatch({ ...base, type: 'PlaybackFinished', playback: { id: 'nobody-s', target_uri: '', state: 'done' } })
  t.same(seen, [JSON.stringify({ kind: 'greeting', callId: CALL })])
  router.onCallChannel(async () => { throw new Error('boom') })
  router.onCallChannel(async (e) => { seen.push(`second ${e.type}`) })
  await router.dispatch(destroyed(channelIds.consult(CALL, 1)))
  t.same(seen.at(-1), 'second ChannelDestroyed')
})
