/** The dialer kernel: where an open attempt stands against the PBX's channels. */
import t from 'tap'
import { attemptStanding } from '../../../src/dialer/rules.ts'

const up = new Set(['followup-1-1'])

t.test('an attempt this process holds is left alone until it is placed and its channel is gone', async (t) => {
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: null }, up, true), 'current', 'not placed yet: no channel to look for')
  t.equal(attemptStanding({ channelId: 'followup-1-1', dialledAt: 1000 }, up, true), 'current', 'placed and still up')
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: 1000 }, up, true), 'vanished', 'placed and gone: its end was lost in an event gap')
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: 1000 }, up, true, 1000), 'current', 'placed while the channel list was on its way')
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: 999 }, up, true, 1000), 'vanished', 'placed before the list was asked for')
})

t.test('an attempt nobody here holds is orphaned, whatever its channel', async (t) => {
  t.equal(attemptStanding({ channelId: 'followup-1-1', dialledAt: 1000 }, up, false), 'orphaned')
  t.equal(attemptStanding({ channelId: 'callback-3-2', dialledAt: null }, up, false), 'orphaned')
})
