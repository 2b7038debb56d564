/**
 * The ticket figures a 12345 center is judged on (日统计、月分析), pure: from per-ticket counts
 * (drawn from the ticket event log and the citizen's own follow-up answers, never from a field
 * anyone can set) to rates, the follow-up reconciliation and the units' ranking (综合评价).
 * The definitions below are printed with every report, in JSON, CSV and on the page.
 */

/** The counts one group of tickets (a unit, a category, a line, the center; a day or a month) adds up to. */
export interface KpiCounts {
  /** 受理: tickets accepted in the period. */
  accepted: number
  /** 即办: closed on the call they were accepted on. */
  resolvedOnCall: number
  /** 派单: sent to a unit at least once. */
  dispatched: number
  /** 签收 within the sign-for limit after the first dispatch. */
  signedForInTime: number
  /** 办结: closed now. */
  closed: number
  /** Closed, answered by the deadline in force (即办 counts as on time). */
  closedOnTime: number
  /** 逾期: answered after the deadline, or still unanswered past it. */
  overdue: number
  /** 退单: tickets whose unit asked to return them at least once (for a unit: the tickets it asked to return). */
  returned: number
  /** 改派: re-dispatches (a ticket moved to another unit or taken back), counted each time. */
  redispatches: number
  /** 复重: an earlier ticket of the same caller in the same category within the repeat window. */
  repeats: number
  /** 回访 of closed tickets: evaluated since the close, still pending, given up as unreachable. */
  followedUp: number
  followUpPending: number
  unreachable: number
  /** The citizen's answers: satisfied + basically satisfied, of those who answered. */
  processEvaluated: number
  processSatisfied: number
  resultEvaluated: number
  resultSatisfied: number
  solvedAnswered: number
  solvedYes: number
}

export const KPI_COUNT_KEYS: readonly (keyof KpiCounts)[] = [
  'accepted', 'resolvedOnCall', 'dispatched', 'signedForInTime', 'closed', 'closedOnTime', 'overdue', 'returned', 'redispatches', 'repeats',
  'followedUp', 'followUpPending', 'unreachable', 'processEvaluated', 'processSatisfied', 'resultEvaluated', 'resultSatisfied', 'solvedAnswered', 'solvedYes'
]

export type RateKey = 'resolvedOnCallRate' | 'signForTimelyRate' | 'onTimeRate' | 'overdueRate' | 'returnRate' | 'repeatRate' | 'followUpRate'
  | 'processSatisfactionRate' | 'resultSatisfactionRate' | 'solvedRate'

/** Each rate: its Chinese name, numerator / denominator over the counts, and the wording printed with the report. */
export const RATE_DEFINITIONS: readonly { key: RateKey; name: string; numerator: keyof KpiCounts; denominator: keyof KpiCounts; text: string }[] = [
  { key: 'resolvedOnCallRate', name: '即办率', numerator: 'resolvedOnCall', denominator: 'accepted', text: 'tickets closed on the call they were accepted on / tickets accepted' },
  { key: 'signForTimelyRate', name: '签收及时率', numerator: 'signedForInTime', denominator: 'dispatched', text: 'tickets signed for within the sign-for limit of their first dispatch / tickets dispatched' },
  { key: 'onTimeRate', name: '按时办结率', numerator: 'closedOnTime', denominator: 'closed', text: 'closed tickets whose reply came by the deadline in force (extensions approved by the center count; 即办 is on time) / closed tickets' },
  { key: 'overdueRate', name: '逾期率', numerator: 'overdue', denominator: 'dispatched', text: 'dispatched tickets answered after the deadline, or unanswered past it at report time / tickets dispatched' },
  { key: 'returnRate', name: '退单率', numerator: 'returned', denominator: 'dispatched', text: 'dispatched tickets a unit asked to return (退单申请) at least once / tickets dispatched; for a unit, the tickets it asked to return, wherever they went next' },
  { key: 'repeatRate', name: '复重率', numerator: 'repeats', denominator: 'accepted', text: 'tickets with an earlier ticket of the same caller in the same category within the repeat window / tickets accepted' },
  { key: 'followUpRate', name: '回访率', numerator: 'followedUp', denominator: 'closed', text: 'closed tickets whose citizen answered the follow-up since the close / closed tickets; closed = followed up + pending + unreachable' },
  { key: 'processSatisfactionRate', name: '过程满意率', numerator: 'processSatisfied', denominator: 'processEvaluated', text: "citizens satisfied or basically satisfied with the handling process / citizens who answered (their own answer: the dialer's key press or the agent's record on the follow-up call)" },
  { key: 'resultSatisfactionRate', name: '结果满意率', numerator: 'resultSatisfied', denominator: 'resultEvaluated', text: 'citizens satisfied or basically satisfied with the result / citizens who answered' },
  { key: 'solvedRate', name: '解决率', numerator: 'solvedYes', denominator: 'solvedAnswered', text: 'citizens who say the matter is solved / citizens who answered that question' }
]

export interface KpiSettings {
  /** 签收时限: hours after the first dispatch within which signing for is timely. */
  signForLimitHours: number
  /** 复重 window in days. */
  repeatWindowDays: number
  /** 综合评价 weights per rate (higher is better; overdue and return rates count as 1 − rate). */
  weights: Partial<Record<RateKey, number>>
}

export const DEFAULT_WEIGHTS: Partial<Record<RateKey, number>> = { signForTimelyRate: 20, onTimeRate: 30, resultSatisfactionRate: 30, solvedRate: 20 }

/** Lower is better for these: the ranking scores them as 1 − rate. */
const LOWER_IS_BETTER: readonly RateKey[] = ['overdueRate', 'returnRate', 'repeatRate']

export const COUNT_DEFINITIONS: Readonly<Record<keyof KpiCounts, string>> = {
  accepted: '受理: tickets accepted in the period (by the center\'s calendar)',
  resolvedOnCall: '即办: closed on the call they were accepted on',
  dispatched: '派单: sent to a handling unit at least once',
  signedForInTime: '签收及时: signed for within the sign-for limit after the first dispatch',
  closed: '办结: closed at report time',
  closedOnTime: '按时办结: closed, with the reply by the deadline in force',
  overdue: '逾期: answered after the deadline, or unanswered past it',
  returned: '退单: a unit asked to return it at least once (counted for the unit that asked, not for the unit holding it now)',
  redispatches: '改派: re-dispatches, each time the ticket moved to another unit or was taken back',
  repeats: '复重: the same caller raised the same category within the repeat window before',
  followedUp: '已回访: the citizen answered the follow-up since the close',
  followUpPending: '待回访: the follow-up is still being dialled',
  unreachable: '无法联系: the follow-up gave up after its attempts',
  processEvaluated: 'answers on the handling process', processSatisfied: 'satisfied + basically satisfied with the process',
  resultEvaluated: 'answers on the result', resultSatisfied: 'satisfied + basically satisfied with the result',
  solvedAnswered: 'answers to "is it solved"', solvedYes: 'answered "solved"'
}

export type Rates = Record<RateKey, number | null>

/** A rate as a fraction, or null when its denominator is 0 (nothing to judge, not 0 %). */
export function rates(c: KpiCounts): Rates {
  const out = {} as Rates
  for (const d of RATE_DEFINITIONS) out[d.key] = c[d.denominator] === 0 ? null : c[d.numerator] / c[d.denominator]
  return out
}

export function emptyCounts(): KpiCounts {
  return Object.fromEntries(KPI_COUNT_KEYS.map((k) => [k, 0])) as unknown as KpiCounts
}

export function addCounts(a: KpiCounts, b: KpiCounts): KpiCounts {
  return Object.fromEntries(KPI_COUNT_KEYS.map((k) => [k, a[k] + b[k]])) as unknown as KpiCounts
}

/** 回访 reconciliation: every closed ticket is followed up, pending or unreachable; `unaccounted` must be 0. */
export function reconcile(c: KpiCounts): { closed: number; followedUp: number; pending: number; unreachable: number; unaccounted: number; balanced: boolean } {
  const unaccounted = c.closed - c.followedUp - c.followUpPending - c.unreachable
  return { closed: c.closed, followedUp: c.followedUp, pending: c.followUpPending, unreachable: c.unreachable, unaccounted, balanced: unaccounted === 0 }
}

/**
 * 综合评价: a score from 0 to 100, the weighted mean of the unit's rates (lower-is-better rates
 * as 1 − rate). A rate the unit has no tickets for is left out and the others re-weighted, so a
 * unit is judged on what it handled.
 */
export function score(r: Rates, weights: Partial<Record<RateKey, number>>): number | null {
  let sum = 0
  let total = 0
  for (const [key, w] of Object.entries(weights) as [RateKey, number][]) {
    const v = r[key]
    if (v === null || v === undefined || !(w > 0)) continue
    sum += w * (LOWER_IS_BETTER.includes(key) ? 1 - v : v)
    total += w
  }
  return total === 0 ? null : Math.round((sum / total) * 10_000) / 100
}

/** The counts of one group: a unit, a category, a line, or the center. */
export interface KpiGroup { dimension: 'center' | 'unit' | 'category' | 'line'; key: string; counts: KpiCounts }

/**
 * 退单 is the figure of the unit that asked to return a ticket (退单申请), not of the unit
 * holding it at report time (after a granted return that is another unit, which did nothing to
 * earn it). `requested` maps each unit to the tickets it asked to return; a unit's `returned`
 * is that, and a unit that holds none of the tickets but asked for returns gets a row of its
 * own. Categories, lines and the center keep counting tickets with a return request.
 */
export function creditReturns(groups: readonly KpiGroup[], requested: Readonly<Record<string, number>>): KpiGroup[] {
  const out = groups.map((g) => (g.dimension === 'unit' ? { ...g, counts: { ...g.counts, returned: requested[g.key] ?? 0 } } : g))
  const seen = new Set(out.filter((g) => g.dimension === 'unit').map((g) => g.key))
  for (const [unit, n] of Object.entries(requested)) {
    if (!seen.has(unit) && n > 0) out.push({ dimension: 'unit', key: unit, counts: { ...emptyCounts(), returned: n } })
  }
  return out
}

export interface KpiRow { dimension: 'center' | 'unit' | 'category' | 'line'; key: string; counts: KpiCounts; rates: Rates; score: number | null; rank: number | null }

/** Rows with rates and scores; units ranked by score (ties share a rank; unscored units last, unranked). */
export function buildRows(groups: readonly { dimension: KpiRow['dimension']; key: string; counts: KpiCounts }[], weights: Partial<Record<RateKey, number>>): KpiRow[] {
  const rows: KpiRow[] = groups.map((g) => {
    const r = rates(g.counts)
    return { ...g, rates: r, score: g.dimension === 'unit' ? score(r, weights) : null, rank: null }
  })
  const units = rows.filter((r) => r.dimension === 'unit' && r.score !== null).sort((a, b) => b.score! - a.score! || a.key.localeCompare(b.key))
  units.forEach((u, i) => { u.rank = i > 0 && units[i - 1]!.score === u.score ? units[i - 1]!.rank : i + 1 })
  const order = { center: 0, unit: 1, category: 2, line: 3 }
  return rows.sort((a, b) => order[a.dimension] - order[b.dimension] || (a.rank ?? 1e9) - (b.rank ?? 1e9) || a.key.localeCompare(b.key))
}

/** Parses "signForTimelyRate=20,onTimeRate=30": the configured ranking weights. */
export function parseWeights(text: string): Partial<Record<RateKey, number>> {
  const out: Partial<Record<RateKey, number>> = {}
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=')
    if (!RATE_DEFINITIONS.some((d) => d.key === k)) throw new RangeError(`unknown rate '${k}' in the ranking weights`)
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`weight of '${k}' must be a number ≥ 0`)
    out[k as RateKey] = n
  }
  return out
}

/** The definitions printed with every report. */
export function definitions(settings: KpiSettings): string[] {
  return [
    ...RATE_DEFINITIONS.map((d) => `${d.name} (${d.key}) = ${d.text}`),
    `签收时限 = ${settings.signForLimitHours} h after the first dispatch; 复重 window = ${settings.repeatWindowDays} days`,
    `综合评价 (score) = weighted mean of ${Object.entries(settings.weights).map(([k, w]) => `${k}×${w}`).join(', ')} (overdue, return and repeat rates as 1 − rate), 0–100; rates without tickets are left out`,
    'Counts come from the ticket event log (accept, dispatch, sign-for, reply, close, return, reopen, evaluate) and the citizen\'s own follow-up answers; a ticket is counted in the period it was accepted in'
  ]
}

/** A percentage for people: one decimal, or '—' when there is nothing to judge. */
export function percent(v: number | null): string {
  return v === null ? '—' : `${(Math.round(v * 1000) / 10).toFixed(1)}%`
}

export type PeriodKind = 'day' | 'month'

/**
 * [from, to) of a calendar day (YYYY-MM-DD) or month (YYYY-MM) in the center's zone, or null
 * when the text is not one.
 */
export function periodBounds(kind: PeriodKind, text: string, timeZone: string, instant: (y: number, m: number, d: number, minutes: number, tz: string) => number): { from: number; to: number } | null {
  const m = kind === 'day' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) : /^(\d{4})-(\d{2})$/.exec(text)
  if (!m) return null
  const y = Number(m[1])
  const mo = Number(m[2])
  const d = kind === 'day' ? Number(m[3]) : 1
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null
  const start = new Date(Date.UTC(y, mo - 1, d))
  if (start.getUTCMonth() !== mo - 1 || start.getUTCDate() !== d) return null
  const end = kind === 'day' ? new Date(Date.UTC(y, mo - 1, d + 1)) : new Date(Date.UTC(y, mo, 1))
  return {
    from: instant(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate(), 0, timeZone),
    to: instant(end.getUTCFullYear(), end.getUTCMonth() + 1, end.getUTCDate(), 0, timeZone)
  }
}

/** The columns of the CSV and the page, in order: dimension, key, the counts, the rates, score and rank. */
export const REPORT_COLUMNS: readonly string[] = ['dimension', 'key', ...KPI_COUNT_KEYS, ...RATE_DEFINITIONS.map((d) => d.key), 'score', 'rank']

/** A row flattened for CSV and the page: rates as fractions rounded to 4 places. */
export function flatRow(r: KpiRow): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = { dimension: r.dimension, key: r.key }
  for (const k of KPI_COUNT_KEYS) out[k] = r.counts[k]
  for (const d of RATE_DEFINITIONS) out[d.key] = r.rates[d.key] === null ? null : Math.round(r.rates[d.key]! * 10_000) / 10_000
  out.score = r.score
  out.rank = r.rank
  return out
}
