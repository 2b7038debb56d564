/** KPI definitions: grace period, service-level boundary, zero division, overflow, agent time. */
import t from 'tap'
import {
  agentKpis, answeredWithinServiceLevel, callKpis, callOutcome, countsInRates, DailyReport, DEFAULT_THRESHOLDS, emptyAgentTally, emptyCallTally,
  isShortAbandon, queueOutcomes, stateMsByDay, tallyCall, type CallFact, type CallReportRow, type AgentReportRow, type DayBounds
} from '../../../src/statistics/rules.ts'
import { csvCell, toCsv } from '../../../src/domain/csv.ts'
import { addDays, daysBetweenInclusive } from '../../../src/domain/local-time.ts'

const T0 = Date.parse('2026-11-23T02:00:00Z') // 10:00 in Beijing
const s = (sec: number) => T0 + sec * 1000
const th = DEFAULT_THRESHOLDS

function answered(id: string, waitSec: number, talkSec: number | null, patch: Partial<CallFact> = {}): CallFact {
  return {
    callId: id, day: '2026-11-23', lineNumber: '12345', queues: ['general'], enteredAt: s(0), answeredAt: s(waitSec), answeredBy: 'A1',
    endedAt: talkSec === null ? null : s(waitSec + talkSec), end: talkSec === null ? null : 'completed', ...patch
  }
}
function abandoned(id: string, waitSec: number, patch: Partial<CallFact> = {}): CallFact {
  return { callId: id, day: '2026-11-23', lineNumber: '12345', queues: ['general'], enteredAt: s(0), answeredAt: null, answeredBy: null, endedAt: s(waitSec), end: 'abandoned', ...patch }
}
const waiting = (id: string): CallFact => ({ ...abandoned(id, 0), endedAt: null, end: null })

function kpis(facts: CallFact[]) {
  const tally = emptyCallTally()
  for (const f of facts) tallyCall(tally, f, callOutcome(f), th)
  return callKpis(tally)
}

t.test('short abandons: under the grace period only, excluded from every denominator', async (t) => {
  t.equal(isShortAbandon(abandoned('a', 4.999), th), true, '4.999 s is short')
  t.equal(isShortAbandon(abandoned('a', 5), th), false, 'exactly 5 s is a real abandon')
  t.equal(isShortAbandon(answered('a', 1, 10), th), false, 'an answered call is never an abandon')
  t.equal(isShortAbandon(abandoned('a', 8), { ...th, shortAbandonSeconds: 10 }), true, 'the grace period is a parameter')

  const k = kpis([answered('c1', 10, 60), answered('c2', 20, 120), abandoned('c3', 2), abandoned('c4', 40)])
  t.match(k, { offered: 4, answered: 2, abandoned: 2, shortAbandoned: 1 })
  t.equal(k.answerRate, 0.6667, '2 answered / (4 offered − 1 short)')
  t.equal(k.abandonRate, 0.3333, '1 counted abandon / 3')
  t.equal(k.serviceLevel15, 0.3333, 'one of three answered within 15 s')
})

t.test('service level boundary: exactly 15 s is within, 15.001 s is not', async (t) => {
  t.equal(answeredWithinServiceLevel(answered('a', 15, 10), th), true)
  t.equal(answeredWithinServiceLevel(answered('a', 15.001, 10), th), false)
  t.equal(answeredWithinServiceLevel(abandoned('a', 3), th), false, 'an abandon is never within the service level')
  t.equal(answeredWithinServiceLevel(answered('a', 18, 10), { ...th, serviceLevelSeconds: 20 }), true, 'threshold is a parameter')
  const k = kpis([answered('a', 15, 10), answered('b', 15.001, 10)])
  t.equal(k.serviceLevel15, 0.5)
  t.equal(k.answeredWithinSl, 1)
})

t.test('zero division gives null, not 0 % or NaN', async (t) => {
  const none = kpis([])
  t.same(none, {
    offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, overflowed: 0, lost: 0, callbacks: 0, waiting: 0, answeredWithinSl: 0,
    answerRate: null, serviceLevel15: null, abandonRate: null, asaSeconds: null, ahtSeconds: null, longestWaitSeconds: 0
  })
  const onlyShort = kpis([abandoned('a', 1), abandoned('b', 2)])
  t.match(onlyShort, { offered: 2, shortAbandoned: 2, answerRate: null, abandonRate: null, serviceLevel15: null, asaSeconds: null })
  const notEnded = kpis([answered('a', 3, null)])
  t.match(notEnded, { answered: 1, answerRate: 1, asaSeconds: 3, ahtSeconds: null }, 'a call still talking has no handle time yet')
})

t.test('ASA, AHT and longest wait', async (t) => {
  const k = kpis([answered('a', 4, 100), answered('b', 8, 200), answered('c', 9, null), abandoned('d', 70)])
  t.equal(k.asaSeconds, 7, '(4 + 8 + 9) / 3')
  t.equal(k.ahtSeconds, 150, 'only ended calls: (100 + 200) / 2')
  t.equal(k.longestWaitSeconds, 70, 'an abandon after 70 s is the longest wait')
})

t.test('callers still waiting and calls lost with the PBX', async (t) => {
  const lost: CallFact = { ...abandoned('l', 30), end: 'pbx-lost' }
  t.equal(callOutcome(lost), 'lost')
  t.equal(callOutcome(waiting('w')), 'waiting')
  t.equal(callOutcome({ ...answered('x', 5, 10), end: 'pbx-lost' }), 'answered', 'lost after answer is still answered')
  const k = kpis([answered('a', 5, 10), lost, waiting('w')])
  t.match(k, { offered: 3, answered: 1, lost: 1, waiting: 1, abandoned: 0 })
  t.equal(k.answerRate, 0.5, 'the waiting caller has no outcome yet; the lost one counts against the center')
})

t.test('a caller who left for a callback: its own outcome, neither abandoned nor waiting, out of the rates', async (t) => {
  const left: CallFact = { ...abandoned('cb', 90), end: 'callback-requested' }
  t.equal(callOutcome(left), 'callback', 'the request ends the call')
  t.equal(isShortAbandon({ ...left, endedAt: s(2) }, th), false, 'a request after 2 s is not a short abandon')
  t.equal(answeredWithinServiceLevel(left, th), false)
  t.equal(countsInRates(left, th), false, 'not judged by the rates')
  t.equal(countsInRates(waiting('w'), th), false)
  t.equal(countsInRates(abandoned('s', 1), th), false)
  t.equal(countsInRates(abandoned('a', 30), th), true)
  t.equal(callOutcome({ ...answered('x', 5, 10), end: 'callback-requested' }), 'answered', 'an answer comes first')

  // One answered in 10 s, one abandoned after 20 s, one who asked to be called back after 90 s,
  // and the callback itself (a call of its own, answered when the agent picks up).
  const k = kpis([answered('a', 10, 60), abandoned('b', 20), left, answered('cb-call', 4, 120)])
  t.match(k, { offered: 4, answered: 2, abandoned: 1, shortAbandoned: 0, callbacks: 1, waiting: 0, lost: 0 })
  t.equal(k.answerRate, 0.6667, '2 answered / (4 offered − 1 callback request)')
  t.equal(k.abandonRate, 0.3333, 'the request is not an abandon')
  t.equal(k.serviceLevel15, 0.6667)
  t.equal(k.longestWaitSeconds, 90, 'the wait until the request counts as a wait')
  t.equal(k.asaSeconds, 7, 'ASA of the answered calls only')

  const byQueue = new DailyReport('queue')
  byQueue.addCall({ ...left, queues: ['price-reserved', 'general'] })
  t.same((byQueue.rows() as CallReportRow[]).map((r) => [r.key, r.offered, r.overflowed, r.callbacks, r.waiting]),
    [['general', 1, 0, 1, 0], ['price-reserved', 1, 1, 0, 0]], 'by queue: a callback in the queue it left, overflowed in the one before')
})

t.test('overflow: overflowed in the first queue, final outcome in the last', async (t) => {
  const moved = answered('m', 40, 60, { queues: ['price-reserved', 'general'] })
  t.same(queueOutcomes(moved), [{ queueId: 'price-reserved', outcome: 'overflowed' }, { queueId: 'general', outcome: 'answered' }])
  const report = new DailyReport('queue')
  report.addCall(moved)
  report.addCall(answered('g', 3, 30))
  const rows = report.rows() as CallReportRow[]
  t.same(rows.map((r) => [r.key, r.offered, r.answered, r.overflowed]), [['general', 2, 2, 0], ['price-reserved', 1, 0, 1]])
  t.equal(rows[1]!.answerRate, 0, 'the reserved queue answered none of the calls it was offered')
  t.equal(rows[0]!.serviceLevel15, 0.5, 'the overflowed caller waited 40 s from the first queue')

  const byLine = new DailyReport('line')
  byLine.addCall(moved)
  byLine.addCall(answered('g', 3, 30, { lineNumber: '12358' }))
  byLine.addCall(answered('n', 3, 30, { lineNumber: null }))
  t.same((byLine.rows() as CallReportRow[]).map((r) => [r.key, r.offered, r.overflowed]), [['-', 1, 0], ['12345', 1, 0], ['12358', 1, 0]], 'by line each call counts once')
})

t.test('daily report rows are per day and key, sorted', async (t) => {
  const report = new DailyReport('line')
  report.addCall(answered('b', 3, 30, { day: '2026-11-24' }))
  report.addCall(answered('a', 3, 30, { day: '2026-11-23', lineNumber: '12358' }))
  report.addCall(abandoned('c', 30, { day: '2026-11-23' }))
  const rows = report.rows() as CallReportRow[]
  t.same(rows.map((r) => [r.day, r.key, r.offered, r.answered, r.abandoned]), [
    ['2026-11-23', '12345', 1, 0, 1], ['2026-11-23', '12358', 1, 1, 0], ['2026-11-24', '12345', 1, 1, 0]
  ])
})

// Two Beijing days: 2026-11-23 starts at 2026-11-22T16:00Z.
const days: DayBounds[] = [
  { day: '2026-11-23', start: Date.parse('2026-11-22T16:00:00Z'), end: Date.parse('2026-11-23T16:00:00Z') },
  { day: '2026-11-24', start: Date.parse('2026-11-23T16:00:00Z'), end: Date.parse('2026-11-24T16:00:00Z') }
]
const midnight = days[1]!.start
const at = (sec: number) => midnight + sec * 1000

t.test('agent state time: split at midnight, carried in from before the range, cut at now', async (t) => {
  const rows = [
    { agentId: 'A1', at: days[0]!.start - 3600_000, state: 'ready' }, // before the range: counts from midnight
    { agentId: 'A1', at: at(-600), state: 'talking' },
    { agentId: 'A1', at: at(300), state: 'wrap-up' }, // talking spans midnight: 600 s + 300 s
    { agentId: 'A1', at: at(330), state: 'not-ready' },
    { agentId: 'A1', at: at(930), state: 'signed-out' },
    { agentId: 'A1', at: at(2000), state: 'ready' }
  ]
  const ms = stateMsByDay(rows, days, at(2100))
  t.same(ms.get('2026-11-23'), { ready: 86400_000 - 600_000, notReady: 0, ringing: 0, talking: 600_000, onHold: 0, wrapUp: 0 })
  t.same(ms.get('2026-11-24'), { ready: 100_000, notReady: 600_000, ringing: 0, talking: 300_000, onHold: 0, wrapUp: 30_000 }, 'signed-out time is not counted; the last state runs to now')
  t.equal(stateMsByDay([{ agentId: 'A1', at: days[0]!.start - 5000, state: 'signed-out' }], days, at(10)).size, 0, 'signed out all along: nothing')
})

t.test('agent KPIs and occupancy', async (t) => {
  const tally = emptyAgentTally()
  tally.stateMs = { ready: 300_000, notReady: 600_000, ringing: 20_000, talking: 500_000, onHold: 100_000, wrapUp: 80_000 }
  const k = agentKpis(tally)
  t.match(k, { readySeconds: 300, notReadySeconds: 600, ringingSeconds: 20, talkingSeconds: 600, wrapUpSeconds: 80, signedInSeconds: 1600 })
  // (talking 500 + on hold 100 + wrap-up 80) / (signed in 1600 − not ready 600). Leaving out hold
  // would give 0.58; keeping not-ready in the denominator would give 0.425.
  t.equal(k.occupancy, 0.68)
  t.equal(agentKpis(emptyAgentTally()).occupancy, null, 'never signed in: no occupancy')
})

t.test('agent report: answered calls, talk, offers and misses, state time', async (t) => {
  const report = new DailyReport('agent')
  report.addCall(answered('a', 3, 100, { answeredBy: 'A1' }))
  report.addCall(answered('b', 3, 50, { answeredBy: 'A1' }))
  report.addCall(answered('c', 3, 40, { answeredBy: 'A2' }))
  report.addCall(abandoned('d', 30))
  report.addOfferEvents('2026-11-23', 'A1', 'offered', 3)
  report.addOfferEvents('2026-11-23', 'A1', 'ring-no-answer', 1)
  report.addOfferEvents('2026-11-23', 'A2', 'offer-rejected', 2)
  report.addAgentStates('A1', [{ agentId: 'A1', at: days[0]!.start + 1000, state: 'ready' }], days, days[0]!.start + 61_000)
  const rows = report.rows() as AgentReportRow[]
  t.same(rows.map((r) => [r.key, r.offers, r.answered, r.ringNoAnswer, r.offerRejected, r.talkSeconds, r.ahtSeconds, r.readySeconds]), [
    ['A1', 3, 2, 1, 0, 150, 75, 60], ['A2', 0, 1, 0, 2, 40, 40, 0]
  ])
})

t.test('CSV: BOM, header, quoting, formulas neutralised', async (t) => {
  const csv = toCsv(['day', 'name', 'rate', 'none'], [{ day: '2026-11-23', name: '价格, "举报"', rate: 0.95, none: null }, { day: '2026-11-24', name: '=HYPERLINK("x")', rate: 1, none: undefined }])
  t.ok(csv.startsWith('\uFEFF'), 'starts with a byte-order mark')
  t.equal(csv, '\uFEFFday,name,rate,none\r\n2026-11-23,"价格, ""举报""",0.95,\r\n2026-11-24,"\'=HYPERLINK(""x"")",1,\r\n')
  t.equal(csvCell(-3), '-3', 'numbers are not treated as formulas')
  t.equal(csvCell('a\nb'), '"a\nb"')
})

t.test('calendar helpers', async (t) => {
  t.equal(addDays('2026-12-31', 1), '2027-01-01')
  t.equal(addDays('2028-02-28', 1), '2028-02-29')
  t.equal(daysBetweenInclusive('2026-11-23', '2026-11-23'), 1)
  t.equal(daysBetweenInclusive('2028-01-01', '2028-12-31'), 366)
})
