/**
 * The center's KPIs (日统计) as pure functions over per-call facts and agent state rows. This is
 * the one place the definitions live: the daily reports and the wallboard both feed facts in
 * here, so they cannot disagree about what "answered within 15 s" means.
 *
 * Definitions (see design/domain.md, "How centers are judged"):
 * - offered: calls that entered a queue (a caller who hangs up during the greeting never did);
 * - short abandon: abandoned after waiting less than the grace period; such calls are removed
 *   from every rate's denominator (the caller misdialled or changed their mind);
 * - answer rate = answered / (offered − short abandons − still waiting);
 * - service level (15秒接通率) = answered within N s of entering the queue / the same denominator;
 *   exactly N s counts as within;
 * - abandon rate (呼损率) = (abandoned − short abandons) / the same denominator;
 * - ASA = mean wait of answered calls; AHT = mean talk time of answered calls that have ended;
 * - occupancy = (talking + on hold + wrap-up) / (signed-in time − not-ready time).
 * Calls still waiting have no outcome yet and are left out of the denominators, so today's
 * figures do not drop while a caller is merely in the queue.
 * - callback: the caller pressed 1 to be called back (回拨) and left the queue keeping their
 *   place. Not an abandon (the center still serves them) and not answered (nobody spoke to them
 *   on this call): it is counted apart (`callbacks`) and left out of the rate denominators,
 *   like a caller still waiting, because the callback is a call of its own in these figures
 *   (it enters the queue when the citizen answers) and is judged there; counting both would
 *   count one citizen twice. Its wait (entry to the request) counts for the longest wait.
 *   The request is the 'callback-requested' row of the original call in the queue log, so
 *   reports of days before this rule existed read right too.
 * Waits count from the first queue entered (an overflow keeps the caller's place in time,
 * and so does the wait the caller experiences).
 */
import type { AgentStateName } from '../agents/model.ts'

export interface KpiThresholds {
  /** Abandons shorter than this are not counted against the center. */
  shortAbandonSeconds: number
  /** Service level: answered within this many seconds of entering the queue. */
  serviceLevelSeconds: number
}

/** GB/T 33358-2016 asks for answer within 15 s; the grace period is the project's default. */
export const DEFAULT_THRESHOLDS: KpiThresholds = { shortAbandonSeconds: 5, serviceLevelSeconds: 15 }

export type CallEnd = 'completed' | 'abandoned' | 'pbx-lost' | 'callback-requested'

/** What the queue log says about one call that entered a queue. Times are epoch ms. */
export interface CallFact {
  callId: string
  /** Center-zone day (YYYY-MM-DD) the call entered its first queue. */
  day: string
  lineNumber: string | null
  /** Queues the caller waited in, in order: the one entered first, then each overflow target. */
  queues: readonly string[]
  enteredAt: number
  answeredAt: number | null
  answeredBy: string | null
  endedAt: number | null
  end: CallEnd | null
}

export type CallOutcome = 'answered' | 'abandoned' | 'lost' | 'callback' | 'waiting'
/** How a call left one queue: its own outcome, or overflowed to the next queue. */
export type QueueOutcome = CallOutcome | 'overflowed'

export function callOutcome(fact: CallFact): CallOutcome {
  if (fact.answeredAt !== null) return 'answered'
  if (fact.end === 'abandoned') return 'abandoned'
  if (fact.end === 'callback-requested') return 'callback'
  if (fact.end !== null) return 'lost'
  return 'waiting'
}

/** Wait from entering the first queue until answer or hang-up; null while still waiting. */
export function waitMs(fact: CallFact): number | null {
  const until = fact.answeredAt ?? fact.endedAt
  return until === null ? null : Math.max(0, until - fact.enteredAt)
}

/** Talk time of an answered call that has ended. */
export function talkMs(fact: CallFact): number | null {
  if (fact.answeredAt === null || fact.endedAt === null) return null
  return Math.max(0, fact.endedAt - fact.answeredAt)
}

export function isShortAbandon(fact: CallFact, th: KpiThresholds): boolean {
  if (callOutcome(fact) !== 'abandoned') return false
  return (waitMs(fact) ?? 0) < th.shortAbandonSeconds * 1000
}

export function answeredWithinServiceLevel(fact: CallFact, th: KpiThresholds): boolean {
  return callOutcome(fact) === 'answered' && (waitMs(fact) ?? Infinity) <= th.serviceLevelSeconds * 1000
}

/**
 * Whether a call is judged by the rates (their denominator): it has an outcome of its own in
 * this call, and it is not a short abandon. The wallboard's chart uses this too.
 */
export function countsInRates(fact: CallFact, th: KpiThresholds): boolean {
  const outcome = callOutcome(fact)
  return outcome !== 'waiting' && outcome !== 'callback' && !isShortAbandon(fact, th)
}

/** The outcome a call counts with in each queue it waited in. */
export function queueOutcomes(fact: CallFact): Array<{ queueId: string; outcome: QueueOutcome }> {
  const last = fact.queues.length - 1
  return fact.queues.map((queueId, i) => ({ queueId, outcome: i < last ? 'overflowed' : callOutcome(fact) }))
}

/** Running counts for one (day, line or queue); add calls with tallyCall, read with callKpis. */
export interface CallTally {
  offered: number
  answered: number
  answeredWithinSl: number
  abandoned: number
  shortAbandoned: number
  overflowed: number
  lost: number
  /** Left the queue for a callback (see the definitions above). */
  callbacks: number
  waiting: number
  answerWaitMs: number
  talkMs: number
  talkCalls: number
  longestWaitMs: number
}

export const emptyCallTally = (): CallTally => ({
  offered: 0, answered: 0, answeredWithinSl: 0, abandoned: 0, shortAbandoned: 0, overflowed: 0, lost: 0, callbacks: 0, waiting: 0,
  answerWaitMs: 0, talkMs: 0, talkCalls: 0, longestWaitMs: 0
})

/** Counts one call in one tally, with the outcome it has there (overflowed in an earlier queue). */
export function tallyCall(tally: CallTally, fact: CallFact, outcome: QueueOutcome, th: KpiThresholds): void {
  tally.offered += 1
  if (outcome === 'overflowed') { tally.overflowed += 1; return }
  if (outcome === 'waiting') { tally.waiting += 1; return }
  const wait = waitMs(fact) ?? 0
  tally.longestWaitMs = Math.max(tally.longestWaitMs, wait)
  if (outcome === 'lost') { tally.lost += 1; return }
  if (outcome === 'callback') { tally.callbacks += 1; return }
  if (outcome === 'abandoned') {
    tally.abandoned += 1
    if (isShortAbandon(fact, th)) tally.shortAbandoned += 1
    return
  }
  tally.answered += 1
  tally.answerWaitMs += wait
  if (answeredWithinServiceLevel(fact, th)) tally.answeredWithinSl += 1
  const talk = talkMs(fact)
  if (talk !== null) { tally.talkMs += talk; tally.talkCalls += 1 }
}

/** The tally's counts as they are, and the figures made from them. */
export interface CallKpis extends Pick<CallTally, 'offered' | 'answered' | 'abandoned' | 'shortAbandoned' | 'overflowed' | 'lost' | 'callbacks' | 'waiting' | 'answeredWithinSl'> {
  /** Fractions 0…1, rounded to 4 places; null when no call had an outcome (not 0 %: nothing to judge). */
  answerRate: number | null
  serviceLevel15: number | null
  abandonRate: number | null
  asaSeconds: number | null
  ahtSeconds: number | null
  longestWaitSeconds: number
}

const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null)
const seconds = (ms: number): number => Math.round(ms / 100) / 10
const mean = (totalMs: number, count: number): number | null => (count > 0 ? seconds(totalMs / count) : null)

/** Calls the rates are judged on: offered, less short abandons, callbacks requested and callers still waiting. */
export function rateDenominator(t: CallTally): number {
  return t.offered - t.shortAbandoned - t.callbacks - t.waiting
}

export function callKpis(t: CallTally): CallKpis {
  const base = rateDenominator(t)
  return {
    offered: t.offered, answered: t.answered, abandoned: t.abandoned, shortAbandoned: t.shortAbandoned,
    overflowed: t.overflowed, lost: t.lost, callbacks: t.callbacks, waiting: t.waiting, answeredWithinSl: t.answeredWithinSl,
    answerRate: ratio(t.answered, base),
    serviceLevel15: ratio(t.answeredWithinSl, base),
    abandonRate: ratio(t.abandoned - t.shortAbandoned, base),
    asaSeconds: mean(t.answerWaitMs, t.answered),
    ahtSeconds: mean(t.talkMs, t.talkCalls),
    longestWaitSeconds: seconds(t.longestWaitMs)
  }
}

// ---- agents -------------------------------------------------------------------------------

/** One row of agent_state_log: from `at` the agent was in `state` (until the next row). */
export interface StateRow { agentId: string; at: number; state: AgentStateName | string }

/** A center-zone day as an epoch-ms interval [start, end). */
export interface DayBounds { day: string; start: number; end: number }

export type StateSeconds = Record<'ready' | 'notReady' | 'ringing' | 'talking' | 'onHold' | 'wrapUp', number>

const STATE_FIELD: Partial<Record<string, keyof StateSeconds>> = {
  'ready': 'ready', 'not-ready': 'notReady', 'offered': 'ringing', 'talking': 'talking', 'on-hold': 'onHold', 'wrap-up': 'wrapUp'
}

export const emptyStateMs = (): StateSeconds => ({ ready: 0, notReady: 0, ringing: 0, talking: 0, onHold: 0, wrapUp: 0 })

/**
 * Time in each state per day for one agent. `rows` are that agent's state changes in time
 * order, starting with the last change before the first day (the state the agent was in at
 * midnight); each state lasts until the next row, the last one until `until` (now, for today).
 * A state spanning midnight is split between the two days.
 */
export function stateMsByDay(rows: readonly StateRow[], days: readonly DayBounds[], until: number): Map<string, StateSeconds> {
  const out = new Map<string, StateSeconds>()
  let d = 0
  rows.forEach((row, i) => {
    const field = STATE_FIELD[row.state]
    const from = row.at
    const to = Math.min(rows[i + 1]?.at ?? until, until)
    if (!field || to <= from) return
    while (d < days.length && days[d]!.end <= from) d += 1
    for (let k = d; k < days.length && days[k]!.start < to; k += 1) {
      const day = days[k]!
      const overlap = Math.min(to, day.end) - Math.max(from, day.start)
      if (overlap <= 0) continue
      const acc = out.get(day.day) ?? emptyStateMs()
      acc[field] += overlap
      out.set(day.day, acc)
    }
  })
  return out
}

export interface AgentTally {
  offers: number
  answered: number
  ringNoAnswer: number
  offerRejected: number
  talkMs: number
  talkCalls: number
  stateMs: StateSeconds
}

export const emptyAgentTally = (): AgentTally => ({ offers: 0, answered: 0, ringNoAnswer: 0, offerRejected: 0, talkMs: 0, talkCalls: 0, stateMs: emptyStateMs() })

/** An answered call counts for the agent who answered it, on the call's day. */
export function tallyAgentCall(tally: AgentTally, fact: CallFact): void {
  if (callOutcome(fact) !== 'answered') return
  tally.answered += 1
  const talk = talkMs(fact)
  if (talk !== null) { tally.talkMs += talk; tally.talkCalls += 1 }
}

export type OfferEvent = 'offered' | 'ring-no-answer' | 'offer-rejected'

export function tallyOfferEvent(tally: AgentTally, event: OfferEvent, count = 1): void {
  if (event === 'offered') tally.offers += count
  else if (event === 'ring-no-answer') tally.ringNoAnswer += count
  else tally.offerRejected += count
}

export function addStateMs(tally: AgentTally, ms: StateSeconds): void {
  for (const k of Object.keys(ms) as (keyof StateSeconds)[]) tally.stateMs[k] += ms[k]
}

export interface AgentKpis {
  offers: number
  answered: number
  ringNoAnswer: number
  offerRejected: number
  talkSeconds: number
  ahtSeconds: number | null
  readySeconds: number
  notReadySeconds: number
  ringingSeconds: number
  /** Talking and on hold: the time the agent was with a caller. */
  talkingSeconds: number
  wrapUpSeconds: number
  signedInSeconds: number
  occupancy: number | null
}

export function agentKpis(t: AgentTally): AgentKpis {
  const s = t.stateMs
  const withCaller = s.talking + s.onHold
  const signedIn = s.ready + s.notReady + s.ringing + withCaller + s.wrapUp
  return {
    offers: t.offers, answered: t.answered, ringNoAnswer: t.ringNoAnswer, offerRejected: t.offerRejected,
    talkSeconds: seconds(t.talkMs), ahtSeconds: mean(t.talkMs, t.talkCalls),
    readySeconds: seconds(s.ready), notReadySeconds: seconds(s.notReady), ringingSeconds: seconds(s.ringing),
    talkingSeconds: seconds(withCaller), wrapUpSeconds: seconds(s.wrapUp), signedInSeconds: seconds(signedIn),
    occupancy: ratio(withCaller + s.wrapUp, signedIn - s.notReady)
  }
}

// ---- daily report ---------------------------------------------------------------------------

export type ReportBy = 'line' | 'queue' | 'agent'
export const REPORT_BY: readonly ReportBy[] = ['line', 'queue', 'agent']

/** Key used when a call has no line (should not happen: such calls never reach a queue). */
export const NO_KEY = '-'

export type CallReportRow = { day: string; key: string } & CallKpis
export type AgentReportRow = { day: string; key: string } & AgentKpis

/**
 * Accumulates one daily report. Facts can be fed in any order and in chunks (the store streams
 * them), so memory grows with days × keys, not with calls.
 */
export class DailyReport {
  private readonly calls = new Map<string, CallTally>()
  private readonly agents = new Map<string, AgentTally>()

  constructor(readonly by: ReportBy, readonly thresholds: KpiThresholds = DEFAULT_THRESHOLDS) {}

  private callTally(day: string, key: string): CallTally {
    const id = `${day}\u0000${key}`
    let t = this.calls.get(id)
    if (!t) { t = emptyCallTally(); this.calls.set(id, t) }
    return t
  }

  private agentTally(day: string, agentId: string): AgentTally {
    const id = `${day}\u0000${agentId}`
    let t = this.agents.get(id)
    if (!t) { t = emptyAgentTally(); this.agents.set(id, t) }
    return t
  }

  addCall(fact: CallFact): void {
    if (this.by === 'line') tallyCall(this.callTally(fact.day, fact.lineNumber ?? NO_KEY), fact, callOutcome(fact), this.thresholds)
    else if (this.by === 'queue') for (const q of queueOutcomes(fact)) tallyCall(this.callTally(fact.day, q.queueId), fact, q.outcome, this.thresholds)
    else if (fact.answeredBy !== null) tallyAgentCall(this.agentTally(fact.day, fact.answeredBy), fact)
  }

  addOfferEvents(day: string, agentId: string, event: OfferEvent, count: number): void {
    if (this.by === 'agent') tallyOfferEvent(this.agentTally(day, agentId), event, count)
  }

  /** One agent's state rows (see stateMsByDay). */
  addAgentStates(agentId: string, rows: readonly StateRow[], days: readonly DayBounds[], until: number): void {
    if (this.by !== 'agent') return
    for (const [day, ms] of stateMsByDay(rows, days, until)) addStateMs(this.agentTally(day, agentId), ms)
  }

  /** Rows sorted by day, then key. */
  rows(): CallReportRow[] | AgentReportRow[] {
    const split = (id: string) => { const [day, key] = id.split('\u0000') as [string, string]; return { day, key } }
    const byDayKey = (a: { day: string; key: string }, b: { day: string; key: string }) =>
      a.day < b.day ? -1 : a.day > b.day ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0
    if (this.by === 'agent') return [...this.agents].map(([id, t]) => ({ ...split(id), ...agentKpis(t) })).sort(byDayKey)
    return [...this.calls].map(([id, t]) => ({ ...split(id), ...callKpis(t) })).sort(byDayKey)
  }
}
