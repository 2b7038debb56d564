/** The dialer kernel: where an open attempt stands against the PBX's channels. */
import t from 'tap'
import { attemptStanding } from '../../../src/dialer/rules.ts'

const up = new Set(['followup-1-1'])
/** When the channel list was asked for, in these cases (after every attempt was dialled, unless said). */
const listedAt = 5000

t.test('an attempt this process holds is left alone until it is placed and its channel is gone', async (t) => {
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: null }, up, true, listedAt), 'current', 'not placed yet: no channel to look for')
  t.equal(attemptStanding({ channelId: 'followup-1-1', dialledAt: 1000 }, up, true, listedAt), 'current', 'placed and still up')
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: 1000 }, up, true, listedAt), 'vanished', 'placed and gone: its end was lost in an event gap')
})

t.test('an attempt placed while the channel list was on its way is not vanished (follow-ups and callbacks alike)', async (t) => {
  // The race: the list is asked for (1000), an attempt is dialled (1000 or later), the open
  // attempts are read and this one is not in the list, which was made before its channel.
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: 1000 }, up, true, 1000), 'current', 'dialled as the list was asked for')
  t.equal(attemptStanding({ channelId: 'callback-3-2', dialledAt: 1400 }, up, true, 1000), 'current', 'a callback dialled after the list was asked for')
  t.equal(attemptStanding({ channelId: 'followup-2-1', dialledAt: 999 }, up, true, 1000), 'vanished', 'placed before the list was asked for')
  t.equal(attemptStanding({ channelId: 'callback-3-2', dialledAt: 999 }, up, true, 1000), 'vanished', 'a callback placed before the list was asked for')
})

t.test('an attempt nobody here holds is orphaned, whatever its channel', async (t) => {
  t.equal(attemptStanding({ channelId: 'followup-1-1', dialledAt: 1000 }, up, false, listedAt), 'orphaned')
  t.equal(attemptStanding({ channelId: 'callback-3-2', dialledAt: null }, up, false, listedAt), 'orphaned')
  t.equal(attemptStanding({ channelId: 'callback-3-2', dialledAt: 1400 }, up, false, 1000), 'orphaned', 'dialled during the list by another process: still not ours to call current')
})
