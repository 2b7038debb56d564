/** Line routing rules: opening hours in the center's zone, dual-number overflow, expected wait. */
import t from 'tap'
import type { LineConfig } from '../../../src/domain/lines.ts'
import { expectedWaitSeconds, isOpen, localTime, overflowPlan, routeArrival } from '../../../src/lines/rules.ts'

const TZ = 'Asia/Shanghai'
// 2026-11-23 is a Monday. 01:30Z = 09:30 in Beijing; 12:00Z = 20:00.
const mondayMorning = Date.parse('2026-11-23T01:30:00Z')
const mondayEvening = Date.parse('2026-11-23T12:00:00Z')
const saturdayMorning = Date.parse('2026-11-28T01:30:00Z')

const officeHours = [{ days: [1, 2, 3, 4, 5], open: '08:30', close: '17:30' }]
const dual: LineConfig = {
  number: '12358', name: '价格举报', kind: 'dual-number', queueId: 'price-reserved', greeting: null, priority: 0,
  hours: officeHours, closedDates: [], overflowQueueId: 'general', overflowAfterSeconds: 30
}

t.test('local time is read in the center zone, not the server zone', async (t) => {
  t.same(localTime(mondayMorning, TZ), { date: '2026-11-23', weekday: 1, minutes: 9 * 60 + 30 }, 'Monday 09:30 in Beijing')
  t.same(localTime(Date.parse('2026-11-22T17:00:00Z'), TZ), { date: '2026-11-23', weekday: 1, minutes: 60 }, 'Sunday 17:00Z is Monday 01:00 in Beijing')
})

t.test('opening hours', async (t) => {
  t.equal(isOpen(null, [], mondayEvening, TZ), true, 'no hours means always open')
  t.equal(isOpen(officeHours, [], mondayMorning, TZ), true, 'open on a weekday morning')
  t.equal(isOpen(officeHours, [], mondayEvening, TZ), false, 'closed at 20:00')
  t.equal(isOpen(officeHours, [], saturdayMorning, TZ), false, 'closed on Saturday')
  t.equal(isOpen(officeHours, ['2026-11-23'], mondayMorning, TZ), false, 'closed on a listed holiday')
  t.equal(isOpen(null, ['2026-11-23'], mondayMorning, TZ), false, 'a holiday closes even a 24-hour line')
  t.equal(isOpen([{ days: [1], open: '08:30', close: '09:30' }], [], mondayMorning, TZ), false, 'the closing minute itself is closed')
  t.equal(isOpen([{ days: [1], open: '09:30', close: '24:00' }], [], mondayMorning, TZ), true, 'the opening minute is open; 24:00 closes at midnight')
})

t.test('a dual-number line rings its reserved seats first and the 12345 pool otherwise', async (t) => {
  t.same(routeArrival(dual, mondayMorning, TZ, 2), { queueId: 'price-reserved', reason: 'line-queue' }, 'open with reserved seats signed in')
  t.same(routeArrival(dual, mondayMorning, TZ, 0), { queueId: 'general', reason: 'no-reserved-seat' }, 'no reserved seat signed in → pool')
  t.same(routeArrival(dual, mondayEvening, TZ, 2), { queueId: 'general', reason: 'out-of-hours' }, 'after hours → pool even with seats signed in')
  const merged: LineConfig = { ...dual, kind: 'merged', queueId: 'general', overflowQueueId: null, hours: null }
  t.same(routeArrival(merged, mondayEvening, TZ, 0), { queueId: 'general', reason: 'line-queue' }, 'a wholly merged line goes to its queue')
  const subCenter: LineConfig = { ...dual, kind: 'sub-center', queueId: 'branch', overflowQueueId: 'general' }
  t.same(routeArrival(subCenter, mondayMorning, TZ, 0), { queueId: 'branch', reason: 'line-queue' }, 'a sub-center with nobody signed in still queues for its own agents in hours')
  t.same(routeArrival(subCenter, mondayEvening, TZ, 0), { queueId: 'general', reason: 'out-of-hours' }, 'and overflows out of hours')
})

t.test('overflow while waiting: the sooner of the line wait and the queue max wait', async (t) => {
  const queue = { id: 'price-reserved', maxWaitSeconds: null, overflowQueueId: null }
  t.same(overflowPlan(dual, queue, 0), { afterMs: 30000, targetQueueId: 'general' }, 'reserved seats get 30 s')
  t.same(overflowPlan(dual, queue, 12000), { afterMs: 18000, targetQueueId: 'general' }, 'time already waited counts')
  t.same(overflowPlan(dual, queue, 45000), { afterMs: 0, targetQueueId: 'general' }, 'overdue overflows at once')
  t.same(overflowPlan(dual, { ...queue, maxWaitSeconds: 10, overflowQueueId: 'backup' }, 0), { afterMs: 10000, targetQueueId: 'backup' }, 'a shorter queue max wait wins')
  t.equal(overflowPlan(dual, { id: 'general', maxWaitSeconds: null, overflowQueueId: null }, 0), null, 'in the pool the line rule no longer applies')
  t.equal(overflowPlan(null, { id: 'general', maxWaitSeconds: 60, overflowQueueId: 'general' }, 0), null, 'a queue never overflows into itself')
})

t.test('expected wait', async (t) => {
  t.equal(expectedWaitSeconds(1, 1, 180), 180, 'next in line with one agent: one handle time')
  t.equal(expectedWaitSeconds(5, 2, 100), 300, 'five callers, two agents: three rounds')
  t.equal(expectedWaitSeconds(3, 0, 100), 300, 'no agent counts as one (someone will sign in)')
  t.equal(expectedWaitSeconds(0, 3, 100), 0, 'not waiting: no wait')
})
