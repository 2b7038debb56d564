/**
 * The wallboard's figures are the daily report's: the same facts through todayFigures and
 * through DailyReport give the same KPIs per line and per queue; the day chart places calls in
 * their intervals and counts waiting callers at interval ends; callers are masked.
 */
import t from 'tap'
import { DailyReport, DEFAULT_THRESHOLDS, type CallFact } from '../../../src/statistics/rules.ts'
import { dayChart, todayFigures } from '../../../src/supervision/figures.ts'
import { maskCaller } from '../../../src/supervision/model.ts'

const DAY = '2026-03-02'
const T0 = Date.parse('2026-03-02T00:00:00+08:00')
const at = (min: number, s = 0) => T0 + min * 60_000 + s * 1000
let n = 0
const fact = (f: Partial<CallFact>): CallFact => ({
  callId: `c${++n}`, day: DAY, lineNumber: '12345', queues: ['general'], enteredAt: at(10), answeredAt: null, answeredBy: null, endedAt: null, end: null, ...f
})

const facts: CallFact[] = [
  fact({ answeredAt: at(10, 3), answeredBy: 'A1', endedAt: at(14), end: 'completed' }),
  fact({ enteredAt: at(20), answeredAt: at(20, 40), answeredBy: 'A2', endedAt: at(25), end: 'completed' }),
  fact({ enteredAt: at(30, 1), endedAt: at(30, 3), end: 'abandoned' }),
  fact({ enteredAt: at(31), endedAt: at(31, 30), end: 'abandoned' }),
  fact({ enteredAt: at(40), queues: ['dept', 'general'], lineNumber: '12319', answeredAt: at(41), answeredBy: 'A1', endedAt: null }),
  fact({ enteredAt: at(50), lineNumber: '12319', queues: ['dept'] }),
  fact({ enteredAt: at(52), endedAt: at(53), end: 'pbx-lost' })
]

t.test('wallboard rows equal the daily report rows for the same facts', async (t) => {
  const figures = todayFigures(facts, [{ key: '12345', name: '主线' }, { key: '12319', name: '城建' }, { key: '12366', name: '空闲线路' }],
    [{ key: 'general', name: '综合' }, { key: 'dept', name: '保留座席' }], DEFAULT_THRESHOLDS)
  for (const by of ['line', 'queue'] as const) {
    const report = new DailyReport(by)
    for (const f of facts) report.addCall(f)
    const live = by === 'line' ? figures.lines : figures.queues
    for (const row of report.rows()) {
      const mine = live.find((r) => r.key === row.key)!
      const { day: _day, key: _key, ...kpis } = row
      t.match(mine, kpis, `${by} ${row.key}`)
    }
  }
  t.match(figures.lines.find((l) => l.key === '12366'), { offered: 0, answerRate: null, oldestWaitingSince: null }, 'a configured line with no calls has a zero row')
  t.equal(figures.lines.find((l) => l.key === '12319')?.oldestWaitingSince, at(50), 'longest waiting caller of the line')
  t.same(figures.queues.find((q) => q.key === 'dept')?.waitingCalls, [{ callId: facts[5]!.callId, lineNumber: '12319', since: at(50) }], 'waiting callers listed per queue')
  t.same(Object.fromEntries(figures.answeredByAgent), { A1: 2, A2: 1 }, 'answered per agent')
})

t.test('a caller who left for a callback is not waiting on the wallboard, and the board still equals the report', async (t) => {
  const withCallback = [
    fact({ enteredAt: at(5), endedAt: at(6), end: 'callback-requested' }),
    fact({ enteredAt: at(7), answeredAt: at(7, 10), answeredBy: 'A1', endedAt: at(9), end: 'completed' })
  ]
  const figures = todayFigures(withCallback, [{ key: '12345', name: '主线' }], [{ key: 'general', name: '综合' }], DEFAULT_THRESHOLDS)
  const line = figures.lines.find((l) => l.key === '12345')!
  t.match(line, { offered: 2, answered: 1, callbacks: 1, waiting: 0, answerRate: 1, serviceLevel15: 1, oldestWaitingSince: null }, 'counted as a callback, not waiting')
  t.same(figures.queues.find((q) => q.key === 'general')?.waitingCalls, [], 'not listed among the waiting callers')
  const report = new DailyReport('line')
  for (const f of withCallback) report.addCall(f)
  const { day: _day, key: _key, ...kpis } = (report.rows() as object[])[0] as { day: string; key: string }
  t.match(line, kpis, 'the same figures as the daily report')
  const points = dayChart(withCallback, T0, at(30), 15 * 60_000, DEFAULT_THRESHOLDS)
  t.same(points.map((p) => p.waiting), [0, 0], 'no longer waiting once the callback is booked')
  t.same(points.map((p) => p.serviceLevel15), [1, null], 'judged like the report: the request is out of the rates')
})

t.test('day chart', async (t) => {
  const points = dayChart(facts, T0, at(60), 15 * 60_000, DEFAULT_THRESHOLDS)
  t.equal(points.length, 4, 'intervals up to now')
  t.same(points.map((p) => p.offered), [1, 1, 3, 2], 'calls by the interval they entered')
  t.same(points.map((p) => p.waiting), [0, 0, 0, 1], 'waiting at each interval end')
  // 00:00-00:15: one answered in 3 s; 00:15-00:30: answered after 40 s; 00:30-00:45: short abandon (out), abandon, answered in 60 s.
  t.same(points.map((p) => p.serviceLevel15), [1, 0, 0, 0], 'service level per interval')
})

t.test('masking', async (t) => {
  t.equal(maskCaller('13800138000', true), '138****8000')
  t.equal(maskCaller('13800138000', false), '13800138000')
  t.equal(maskCaller('110', true), '1*0')
  t.equal(maskCaller('anonymous', true), 'ano****mous')
})

t.test('masking landlines: 7- and 8-digit numbers no longer show whole or nearly whole', async (t) => {
  const cases: [string, string][] = [
    ['6512345', '*****45'],          // was 651****2345: all seven digits, stars added
    ['65123456', '******56'],        // was 651****3456: seven of eight
    ['02165123456', '021******56'],  // Shanghai, area code and last 2
    ['01065123456', '010******56'],  // Beijing
    ['075512345678', '0755******78'], // Shenzhen: four-digit area code
    ['05718123456', '0571*****56'],  // Hangzhou with a 7-digit local number
    ['+8613800138000', '+86138****8000'],
    ['8613800138000', '86138****8000'],
    ['12345', '1***5'],
    ['95588', '9***8'],
    ['7', '*'],
    ['', '']
  ]
  for (const [number, shown] of cases) t.equal(maskCaller(number, true), shown, `${number} → ${shown}`)
  for (const [number] of cases) {
    const digits = number.replace(/^(\+86|0086|86(?=1))/, '')
    const visible = maskCaller(number, true).replace(/^(\+86|0086|86(?=1))/, '').replace(/\*/g, '').length
    if (digits.length >= 7) t.ok(visible * 100 <= digits.length * 64, `${number}: at most ~64% of the digits visible (${visible}/${digits.length})`)
    t.equal(maskCaller(number, true).length, number.length, `${number}: one star per hidden digit`)
  }
})
