/** Ticket KPI rules, pure: rates from counts, the follow-up reconciliation, the ranking, periods, definitions. */
import t from 'tap'
import { zonedInstant } from '../../../src/domain/local-time.ts'
import {
  DEFAULT_WEIGHTS, KPI_COUNT_KEYS, RATE_DEFINITIONS, REPORT_COLUMNS, addCounts, buildRows, creditReturns, definitions, emptyCounts, flatRow, parseWeights, percent,
  periodBounds, rates, reconcile, score, type KpiCounts
} from '../../../src/ticket-kpis/rules.ts'

const counts = (over: Partial<KpiCounts>): KpiCounts => ({ ...emptyCounts(), ...over })

t.test('rates are numerator / denominator, null when there is nothing to judge', async (t) => {
  const c = counts({ accepted: 10, resolvedOnCall: 2, dispatched: 8, signedForInTime: 6, closed: 5, closedOnTime: 4, overdue: 2, returned: 1, repeats: 3, followedUp: 4, processEvaluated: 4, processSatisfied: 3, resultEvaluated: 4, resultSatisfied: 2, solvedAnswered: 4, solvedYes: 1 })
  t.same(rates(c), {
    resolvedOnCallRate: 0.2, signForTimelyRate: 0.75, onTimeRate: 0.8, overdueRate: 0.25, returnRate: 0.125, repeatRate: 0.3, followUpRate: 0.8,
    processSatisfactionRate: 0.75, resultSatisfactionRate: 0.5, solvedRate: 0.25
  })
  t.same(Object.values(rates(emptyCounts())).filter((v) => v !== null), [], 'no tickets: every rate is null, not 0 %')
  t.equal(percent(0.8125), '81.3%')
  t.equal(percent(null), '—')
})

t.test('the follow-up reconciliation: closed = followed up + pending + unreachable', async (t) => {
  t.same(reconcile(counts({ closed: 10, followedUp: 6, followUpPending: 3, unreachable: 1 })), { closed: 10, followedUp: 6, pending: 3, unreachable: 1, unaccounted: 0, balanced: true })
  t.match(reconcile(counts({ closed: 10, followedUp: 6, followUpPending: 3 })), { unaccounted: 1, balanced: false }, 'a closed ticket with no follow-up shows up')
})

t.test('the ranking: weighted, lower-is-better rates inverted, missing rates left out, ties share a rank', async (t) => {
  t.equal(score({ ...rates(emptyCounts()), signForTimelyRate: 1, onTimeRate: 0.5 }, { signForTimelyRate: 1, onTimeRate: 1 }), 75)
  t.equal(score({ ...rates(emptyCounts()), overdueRate: 0.2 }, { overdueRate: 1 }), 80, 'overdue 20 % scores 80')
  t.equal(score(rates(emptyCounts()), DEFAULT_WEIGHTS), null, 'nothing to judge: no score')
  const good = counts({ dispatched: 4, signedForInTime: 4, closed: 4, closedOnTime: 4, resultEvaluated: 4, resultSatisfied: 4, solvedAnswered: 4, solvedYes: 4 })
  const weak = counts({ dispatched: 4, signedForInTime: 2, closed: 4, closedOnTime: 1, resultEvaluated: 4, resultSatisfied: 1, solvedAnswered: 4, solvedYes: 0 })
  const rows = buildRows([
    { dimension: 'unit', key: 'weak', counts: weak }, { dimension: 'unit', key: 'good', counts: good }, { dimension: 'unit', key: 'twin', counts: good },
    { dimension: 'unit', key: 'idle', counts: emptyCounts() }, { dimension: 'category', key: 'housing', counts: good }, { dimension: 'center', key: 'center', counts: addCounts(good, weak) }
  ], DEFAULT_WEIGHTS)
  t.same(rows.map((r) => [r.dimension, r.key, r.rank]), [['center', 'center', null], ['unit', 'good', 1], ['unit', 'twin', 1], ['unit', 'weak', 3], ['unit', 'idle', null], ['category', 'housing', null]])
  t.equal(rows[1]!.score, 100)
  t.equal(rows[3]!.score, Math.round((20 * 0.5 + 30 * 0.25 + 30 * 0.25 + 20 * 0) / 100 * 10000) / 100)
  t.same(parseWeights('onTimeRate=50, solvedRate=50'), { onTimeRate: 50, solvedRate: 50 })
  t.throws(() => parseWeights('speed=1'), /unknown rate 'speed'/)
  t.throws(() => parseWeights('onTimeRate=-1'), /≥ 0/)
})

t.test('periods are calendar days and months in the center\'s zone', async (t) => {
  const day = periodBounds('day', '2026-11-26', 'Asia/Shanghai', zonedInstant)!
  t.same([new Date(day.from).toISOString(), new Date(day.to).toISOString()], ['2026-11-25T16:00:00.000Z', '2026-11-26T16:00:00.000Z'])
  const month = periodBounds('month', '2026-12', 'Asia/Shanghai', zonedInstant)!
  t.same([new Date(month.from).toISOString(), new Date(month.to).toISOString()], ['2026-11-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z'], 'December runs into the next year')
  t.equal(periodBounds('day', '2026-02-30', 'Asia/Shanghai', zonedInstant), null, 'no 30 February')
  t.equal(periodBounds('month', '2026-13', 'Asia/Shanghai', zonedInstant), null)
})

t.test('definitions are printed with the report; a flat row has every column', async (t) => {
  const text = definitions({ signForLimitHours: 2, repeatWindowDays: 30, weights: DEFAULT_WEIGHTS })
  for (const d of RATE_DEFINITIONS) t.ok(text.some((line) => line.startsWith(d.name)), `${d.name} is defined`)
  t.ok(text.some((l) => /签收时限 = 2 h.*复重 window = 30 days/.test(l)), 'with the configured limits')
  const [row] = buildRows([{ dimension: 'center', key: 'center', counts: counts({ accepted: 3, resolvedOnCall: 1 }) }], DEFAULT_WEIGHTS)
  const flat = flatRow(row!)
  t.same(Object.keys(flat), [...REPORT_COLUMNS], 'the same columns as the CSV and the page')
  t.equal(flat.resolvedOnCallRate, 0.3333, 'rates to four places')
  t.equal(KPI_COUNT_KEYS.length, 19)
})

t.test('退单 counts for the unit that asked to return the ticket, not the unit holding it', async (t) => {
  // Roads asked to return a ticket that the center then gave to parks; parks asked for nothing.
  const held = counts({ accepted: 1, dispatched: 1, returned: 1 })
  const groups = creditReturns([
    { dimension: 'unit', key: 'parks', counts: held }, { dimension: 'unit', key: 'water', counts: counts({ accepted: 2, dispatched: 2 }) },
    { dimension: 'category', key: 'housing', counts: held }, { dimension: 'center', key: 'center', counts: held }
  ], { roads: 1, water: 1 })
  const of = (dimension: string, key: string) => groups.find((g) => g.dimension === dimension && g.key === key)?.counts
  t.equal(of('unit', 'parks')!.returned, 0, 'not the unit holding it now')
  t.match(of('unit', 'parks'), { accepted: 1, dispatched: 1 }, 'which keeps the rest of its counts')
  t.equal(of('unit', 'roads')!.returned, 1, 'the unit that asked, even with no ticket left in its hands')
  t.same(of('unit', 'roads'), { ...emptyCounts(), returned: 1 }, 'with a row of its own')
  t.equal(of('unit', 'water')!.returned, 1)
  t.equal(of('category', 'housing')!.returned, 1, 'categories, lines and the center still count tickets with a return request')
  t.equal(of('center', 'center')!.returned, 1)
  t.equal(creditReturns([{ dimension: 'unit', key: 'parks', counts: held }], {}).find((g) => g.key === 'parks')!.counts.returned, 0, 'no request, no 退单')
})
