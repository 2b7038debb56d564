/**
 * Where a caller of a line waits, decided from the line, the time and who is signed in. The
 * 12345 service is 7×24 with a human (GB/T 33358): a departmental line's closed hours or empty
 * reserved seats never leave a caller unanswered; they send the caller to the pool.
 */
import { localDay, localParts } from '../domain/local-time.ts'
import type { ArrivalRoute, LineConfig, OpeningHours } from './model.ts'

interface LocalTime { date: string; weekday: number; minutes: number }

export function localTime(now: number, timeZone: string): LocalTime {
  const { weekday, minutes } = localParts(now, timeZone)
  return { date: localDay(now, timeZone), weekday, minutes }
}

const toMinutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number)
  return h! * 60 + m!
}

export function isOpen(hours: OpeningHours[] | null, closedDates: readonly string[], now: number, timeZone: string): boolean {
  const t = localTime(now, timeZone)
  if (closedDates.includes(t.date)) return false
  if (hours === null) return true
  return hours.some((h) => h.days.includes(t.weekday) && t.minutes >= toMinutes(h.open) && t.minutes < toMinutes(h.close))
}

/**
 * The queue a new caller enters. `ownSeatsSignedIn` counts signed-in agents serving the line's
 * own queue (for a dual-number line: its reserved seats).
 */
export function routeArrival(line: LineConfig, now: number, timeZone: string, ownSeatsSignedIn: number): ArrivalRoute {
  const overflow = line.overflowQueueId
  if (!overflow || overflow === line.queueId) return { queueId: line.queueId, reason: 'line-queue' }
  if (!isOpen(line.hours, line.closedDates, now, timeZone)) return { queueId: overflow, reason: 'out-of-hours' }
  if (line.kind === 'dual-number' && ownSeatsSignedIn === 0) return { queueId: overflow, reason: 'no-reserved-seat' }
  return { queueId: line.queueId, reason: 'line-queue' }
}

/**
 * When and where a waiting caller overflows: the sooner of the line's reserved-seat wait (for
 * the line's own queue) and the queue's maximum wait. Null when the caller just waits on.
 */
export function overflowPlan(
  line: Pick<LineConfig, 'queueId' | 'overflowQueueId' | 'overflowAfterSeconds'> | null,
  queue: { id: string; maxWaitSeconds: number | null; overflowQueueId: string | null },
  waitedMs: number
): { afterMs: number; targetQueueId: string } | null {
  const options: { afterMs: number; targetQueueId: string }[] = []
  if (line && line.queueId === queue.id && line.overflowQueueId && line.overflowAfterSeconds !== null && line.overflowQueueId !== queue.id) {
    options.push({ afterMs: line.overflowAfterSeconds * 1000, targetQueueId: line.overflowQueueId })
  }
  if (queue.maxWaitSeconds !== null && queue.overflowQueueId && queue.overflowQueueId !== queue.id) {
    options.push({ afterMs: queue.maxWaitSeconds * 1000, targetQueueId: queue.overflowQueueId })
  }
  if (options.length === 0) return null
  const soonest = options.reduce((a, b) => (b.afterMs < a.afterMs ? b : a))
  return { afterMs: Math.max(0, soonest.afterMs - waitedMs), targetQueueId: soonest.targetQueueId }
}

/**
 * Expected wait for the caller at `position` (1 = next): the callers ahead are served by the
 * agents of the queue at the recent average handle time each.
 */
export function expectedWaitSeconds(position: number, agentsServing: number, averageHandleSeconds: number): number {
  if (position <= 0) return 0
  const servers = Math.max(1, agentsServing)
  return Math.ceil(position / servers) * averageHandleSeconds
}
