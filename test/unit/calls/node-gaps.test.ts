/** Callers while no node serves the Stasis app: the arrival stamp the dialplan passes, and the outcome of a caller gone unseen (pure rules, no PBX). */
import t from 'tap'
import { PBX_HOLD_LIMIT_MS, pbxArrival, vanishedCallerOutcome } from '../../../src/calls/node-gaps.ts'

const NOW = Date.parse('2026-12-01T22:00:00Z')

t.test('a call taken at once keeps its stamp and is not held', async (t) => {
  t.same(pbxArrival(String(NOW - 3), NOW), { arrivedAt: NOW - 3, heldByPbx: false })
})

t.test('a call the PBX held for 4 s arrives 4 s ago and counts as held', async (t) => {
  t.same(pbxArrival(String(NOW - 4000), NOW), { arrivedAt: NOW - 4000, heldByPbx: true })
})

t.test('no stamp (an older dialplan) or garbage: the call arrives now', async (t) => {
  for (const stamp of [undefined, '', 'abc', '12', '1764626400000x', '-1764626400000']) {
    t.same(pbxArrival(stamp, NOW), { arrivedAt: NOW, heldByPbx: false }, `stamp ${JSON.stringify(stamp)}`)
  }
})

t.test('a stamp from the future (clock drift) or older than a day is not believed', async (t) => {
  t.same(pbxArrival(String(NOW + 800), NOW), { arrivedAt: NOW, heldByPbx: false })
  t.same(pbxArrival(String(NOW - PBX_HOLD_LIMIT_MS - 1), NOW), { arrivedAt: NOW, heldByPbx: false })
})

t.test('a caller gone while no node listened: abandoned unless the PBX itself restarted', async (t) => {
  t.same(vanishedCallerOutcome('queued', false), { outcome: 'abandoned', logEvent: 'abandoned', endedBy: 'caller' })
  t.same(vanishedCallerOutcome('offered', false), { outcome: 'abandoned', logEvent: 'abandoned', endedBy: 'caller' })
  t.same(vanishedCallerOutcome('greeting', false), { outcome: 'abandoned', logEvent: null, endedBy: 'caller' })
  t.same(vanishedCallerOutcome('talking', false), { outcome: 'answered', logEvent: 'completed', endedBy: 'system' })
  t.same(vanishedCallerOutcome('queued', true), { outcome: 'pbx-lost', logEvent: 'pbx-lost', endedBy: 'system' })
  t.same(vanishedCallerOutcome('greeting', true), { outcome: 'pbx-lost', logEvent: 'pbx-lost', endedBy: 'system' })
  t.same(vanishedCallerOutcome('talking', true), { outcome: 'answered', logEvent: 'pbx-lost', endedBy: 'system' })
})
