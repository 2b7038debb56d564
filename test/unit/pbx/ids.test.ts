/** The ids the server gives to PBX objects, and reading them back (pure; no PBX). */
import t from 'tap'
import { bridgeIds, channelIds, parseChannelId, parsePlaybackId, playbackIds, recordingNames } from '../../../src/pbx/ari/ids.ts'

const CALL = '0b9c3a52-52f7-4f0e-9a3c-4a1e2f6b7c8d'
const SESSION = '5d1c2b3a-1111-4222-8333-944455556666'

t.test('every channel id the server makes names its owner and call', async (t) => {
  t.same(parseChannelId(channelIds.agentLeg(CALL, 2)), { kind: 'agent-leg', callId: CALL })
  t.same(parseChannelId(channelIds.rejoin(CALL, 1_764_600_000_000)), { kind: 'rejoin', callId: CALL })
  t.same(parseChannelId(channelIds.consult(CALL, 1_764_600_000_000)), { kind: 'consult', callId: CALL })
  t.same(parseChannelId(channelIds.dialer('followup', 12, 3)), { kind: 'followup', taskId: 12, attemptNo: 3 })
  t.same(parseChannelId(channelIds.dialer('callback', 7, 1)), { kind: 'callback', taskId: 7, attemptNo: 1 })
  t.same(parseChannelId(channelIds.supervisorSeat(SESSION)), { kind: 'supervisor', sessionId: SESSION })
  t.same(parseChannelId(channelIds.snoop(SESSION)), { kind: 'snoop', sessionId: SESSION })
  t.not(channelIds.agentLeg(CALL, 1), channelIds.agentLeg(CALL, 2), 'a re-offer gets a new seat channel')
})

t.test('ids Asterisk made (a citizen calling in) say nothing', async (t) => {
  t.equal(parseChannelId('1764600000.42'), null)
  t.equal(parseChannelId('seat-not-a-call-1'), null)
  t.equal(parseChannelId(`consult-${CALL}`), null, 'a consult id needs its suffix')
})

t.test('playbacks name whom their end concerns', async (t) => {
  t.same(parsePlaybackId(playbackIds.greeting(CALL)), { kind: 'greeting', callId: CALL })
  t.same(parsePlaybackId(playbackIds.announcement(CALL, 1_764_600_000_000)), { kind: 'announcement', callId: CALL })
  t.same(parsePlaybackId(playbackIds.callbackOffer(CALL)), { kind: 'callback-offer', callId: CALL })
  t.same(parsePlaybackId(playbackIds.callbackConfirm('1764600000.42')), { kind: 'callback-confirm', channelId: '1764600000.42' })
  t.same(parsePlaybackId(playbackIds.survey('followup-12-3', 4)), { kind: 'survey', channelId: 'followup-12-3' })
  t.equal(parsePlaybackId('something-else'), null)
})

t.test('bridges and recordings keep the names the records and tests know', async (t) => {
  t.equal(bridgeIds.queueHold('general'), 'queue-general-hold')
  t.equal(bridgeIds.call(CALL), `call-${CALL}-mix`)
  t.equal(bridgeIds.callHold(CALL), `call-${CALL}-hold`)
  t.equal(recordingNames.call(CALL), `call-${CALL}`)
})
