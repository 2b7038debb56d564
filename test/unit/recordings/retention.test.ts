import t from 'tap'
import { retentionCutoff } from '../../../src/recordings/retention.ts'

t.test('the retention cutoff', async (t) => {
  const now = Date.parse('2026-12-01T00:00:00Z')
  t.equal(retentionCutoff(now, 365)?.toISOString(), '2025-12-01T00:00:00.000Z', '365 days back')
  t.equal(retentionCutoff(now, 1)?.toISOString(), '2026-11-30T00:00:00.000Z')
  t.equal(retentionCutoff(now, 0), null, '0: kept forever, nothing is due')
})
