import t from 'tap'
import { outcomeOfStatus, purgeCutoff } from '../../../src/audit/rules.ts'

t.test('an HTTP status as an audit outcome', async (t) => {
  const table: [number, string][] = [[200, 'success'], [201, 'success'], [204, 'success'], [302, 'success'], [400, 'failure'], [401, 'denied'], [403, 'denied'], [404, 'failure'], [409, 'failure'], [429, 'failure'], [500, 'failure']]
  for (const [status, outcome] of table) t.equal(outcomeOfStatus(status), outcome, `${status} → ${outcome}`)
})

t.test('the purge never reaches rows younger than 180 days', async (t) => {
  const now = Date.UTC(2026, 11, 1)
  const day = 86_400_000
  t.equal(purgeCutoff(now, 365).getTime(), now - 365 * day, 'a year kept when a year is set')
  t.equal(purgeCutoff(now, 180).getTime(), now - 180 * day, 'exactly six months')
  t.equal(purgeCutoff(now, 30).getTime(), now - 180 * day, 'a shorter setting is raised to 180 days')
  t.equal(purgeCutoff(now, 0).getTime(), now - 180 * day, 'zero does not mean "purge everything"')
})
