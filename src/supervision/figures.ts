/**
 * Today's wallboard figures from per-call facts, through the same rules as the daily report
 * (statistics/rules.ts): the same tallies, the same outcomes per queue, the same KPI formulas.
 * Pure: the service feeds it the facts it keeps and the clock.
 */
import {
  callKpis, callOutcome, countsInRates, emptyCallTally, queueOutcomes, tallyCall, answeredWithinServiceLevel,
  NO_KEY, type CallFact, type CallTally, type KpiThresholds
} from '../statistics/rules.ts'
import type { WallboardPoint, WallboardRow } from './model.ts'

/** Waiting callers listed per queue (the supervisor picks one to move or put first). */
export const WAITING_LISTED = 10

export interface NamedKey { key: string; name: string | null; queueId?: string; kind?: string }

export interface TodayFigures {
  lines: WallboardRow[]
  queues: WallboardRow[]
  /** Answered calls per agent today (the report's by=agent `answered`). */
  answeredByAgent: Map<string, number>
}

/**
 * Rows for every configured line and queue (zeros when nothing happened yet), plus any key the
 * facts name that is not configured any more, so a total on the wallboard never loses calls.
 */
export function todayFigures(facts: Iterable<CallFact>, lines: readonly NamedKey[], queues: readonly NamedKey[], th: KpiThresholds): TodayFigures {
  const byLine = new Map<string, CallTally>()
  const byQueue = new Map<string, CallTally>()
  const oldestLine = new Map<string, number>()
  const oldestQueue = new Map<string, number>()
  const answeredByAgent = new Map<string, number>()
  const waitingIn = new Map<string, CallFact[]>()
  const tally = (m: Map<string, CallTally>, key: string) => {
    let t = m.get(key)
    if (!t) { t = emptyCallTally(); m.set(key, t) }
    return t
  }
  const oldest = (m: Map<string, number>, key: string, at: number) => m.set(key, Math.min(m.get(key) ?? at, at))
  for (const fact of facts) {
    const line = fact.lineNumber ?? NO_KEY
    const outcome = callOutcome(fact)
    tallyCall(tally(byLine, line), fact, outcome, th)
    if (outcome === 'waiting') oldest(oldestLine, line, fact.enteredAt)
    for (const q of queueOutcomes(fact)) {
      tallyCall(tally(byQueue, q.queueId), fact, q.outcome, th)
      if (q.outcome === 'waiting') {
        oldest(oldestQueue, q.queueId, fact.enteredAt)
        waitingIn.set(q.queueId, [...(waitingIn.get(q.queueId) ?? []), fact])
      }
    }
    if (outcome === 'answered' && fact.answeredBy !== null) answeredByAgent.set(fact.answeredBy, (answeredByAgent.get(fact.answeredBy) ?? 0) + 1)
  }
  const rows = (keys: readonly NamedKey[], tallies: Map<string, CallTally>, oldestWait: Map<string, number>): WallboardRow[] => {
    const known = new Set(keys.map((k) => k.key))
    const all = [...keys, ...[...tallies.keys()].filter((k) => !known.has(k)).sort().map((key) => ({ key, name: null }))]
    return all.map((k) => ({ ...k, ...callKpis(tallies.get(k.key) ?? emptyCallTally()), oldestWaitingSince: oldestWait.get(k.key) ?? null }))
  }
  const queueRows = rows(queues, byQueue, oldestQueue).map((r) => ({
    ...r,
    waitingCalls: (waitingIn.get(r.key) ?? []).sort((a, b) => a.enteredAt - b.enteredAt).slice(0, WAITING_LISTED)
      .map((f) => ({ callId: f.callId, lineNumber: f.lineNumber, since: f.enteredAt }))
  }))
  return { lines: rows(lines, byLine, oldestLine), queues: queueRows, answeredByAgent }
}

/**
 * The day in intervals for the charts: callers waiting at the end of each interval (from each
 * call's wait span), and the service level of the calls that entered in it (same rule as the
 * report: short abandons and still-waiting calls are left out of the denominator).
 * Intervals after `now` are not returned.
 */
export function dayChart(facts: Iterable<CallFact>, dayStart: number, now: number, intervalMs: number, th: KpiThresholds): WallboardPoint[] {
  const n = Math.max(1, Math.ceil((Math.min(now, dayStart + 86_400_000) - dayStart) / intervalMs))
  const points: WallboardPoint[] = Array.from({ length: n }, (_, i) => ({ at: Math.min(dayStart + (i + 1) * intervalMs, now), waiting: 0, offered: 0, serviceLevel15: null }))
  const within = new Array<number>(n).fill(0)
  const judged = new Array<number>(n).fill(0)
  for (const f of facts) {
    const i = Math.floor((f.enteredAt - dayStart) / intervalMs)
    if (i >= 0 && i < n) {
      points[i]!.offered += 1
      if (countsInRates(f, th)) {
        judged[i]! += 1
        if (answeredWithinServiceLevel(f, th)) within[i]! += 1
      }
    }
    // Waiting from entering until answered or gone: count it at each interval end inside that span.
    const until = f.answeredAt ?? f.endedAt ?? Infinity
    const first = Math.max(0, Math.ceil((f.enteredAt - dayStart) / intervalMs) - 1)
    for (let k = first; k < n && points[k]!.at < until; k++) if (points[k]!.at >= f.enteredAt) points[k]!.waiting += 1
  }
  for (let i = 0; i < n; i++) points[i]!.serviceLevel15 = judged[i]! > 0 ? Math.round((within[i]! / judged[i]!) * 10_000) / 10_000 : null
  return points
}
