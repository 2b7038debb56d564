/**
 * The dialer's rules, pure: calling windows in the center's zone, the agreed time, back-off and
 * the attempt limit, pacing per trunk, and how the citizen's key presses become an evaluation
 * (three questions: process, result, solved).
 * Nothing here reads a clock: `now` is passed in, so tests move time without sleeping.
 */
import { HANGUP_CAUSE } from '../pbx/ari/events.ts'
import { localParts, zonedInstant } from '../domain/local-time.ts'
import type { AttemptOutcome, CallingWindow, Campaign, SurveyAnswer } from './model.ts'
import { numberPlanRefusal, type NumberPlan } from '../number-plan/rules.ts'

const MINUTE_MS = 60_000
const DAY_MINUTES = 24 * 60

const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$/

export function minutesOf(hhmm: string): number {
  if (!HHMM.test(hhmm)) throw new RangeError(`not a time of day: ${hhmm}`)
  const [h, m] = hhmm.split(':').map(Number)
  return h! * 60 + m!
}

/** Why a list of windows is unusable, or null. Windows must be ordered and must not overlap. */
export function windowsProblem(windows: readonly CallingWindow[]): string | null {
  if (windows.length === 0) return 'at least one calling window is needed'
  let end = -1
  for (const [i, w] of windows.entries()) {
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) return `window ${i + 1}: times are HH:MM (00:00 to 24:00)`
    const from = minutesOf(w.from)
    const to = minutesOf(w.to)
    if (from >= to) return `window ${i + 1}: 'from' must be before 'to'`
    if (from < end) return `window ${i + 1}: windows must be in order and must not overlap`
    end = to
  }
  return null
}

export function isWithinWindows(now: number, windows: readonly CallingWindow[], timeZone: string): boolean {
  const { minutes } = localParts(now, timeZone)
  return windows.some((w) => minutes >= minutesOf(w.from) && minutes < minutesOf(w.to))
}

/** `now` when inside a window, else the next window's opening (looks a week ahead). */
export function nextWindowOpening(now: number, windows: readonly CallingWindow[], timeZone: string): number {
  if (isWithinWindows(now, windows, timeZone)) return now
  const today = localParts(now, timeZone)
  for (let d = 0; d <= 7; d += 1) {
    const base = new Date(Date.UTC(today.year, today.month - 1, today.day + d))
    for (const w of windows) {
      const at = zonedInstant(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), minutesOf(w.from), timeZone)
      if (at > now) return at
    }
  }
  return now + DAY_MINUTES * MINUTE_MS
}

/** A line's own campaign, else 'default'. */
export function campaignForLine<C extends Pick<Campaign, 'id' | 'lineNumber'>>(campaigns: readonly C[], lineNumber: string | null): C | undefined {
  return campaigns.find((c) => lineNumber !== null && c.lineNumber === lineNumber) ?? campaigns.find((c) => c.id === 'default')
}

/**
 * 约定回访时间: a time agreed with the caller is honoured even outside the calling windows (the
 * caller chose it), for the first attempt and within `toleranceMs` of it; retries go back to
 * the windows.
 */
export const AGREED_TOLERANCE_MS = 30 * MINUTE_MS
export function agreedTimeApplies(agreedAt: number | null, attempts: number, now: number, toleranceMs = AGREED_TOLERANCE_MS): boolean {
  return agreedAt !== null && attempts === 0 && now >= agreedAt && now < agreedAt + toleranceMs
}

export type AttemptDecision =
  | { kind: 'done' }
  | { kind: 'cancelled' }
  | { kind: 'retry'; dueAt: number; tries: number }
  | { kind: 'unreachable'; reason: AttemptOutcome; tries: number }

/**
 * What becomes of a task after an attempt. `tries` counts the attempts that reached the
 * network before this one; a lost attempt (the server died, the outcome is unknown) is not
 * counted and the task is due again at once. Retries wait retryMinutes[tries-1] (the last
 * value repeats) and then for the next calling window.
 */
export function afterAttempt(input: {
  outcome: AttemptOutcome
  tries: number
  now: number
  policy: Pick<Campaign, 'maxAttempts' | 'retryMinutes' | 'windows'>
  timeZone: string
  /** Callbacks are not bound to the follow-up windows. */
  ignoreWindows?: boolean
}): AttemptDecision {
  const { outcome, now, policy } = input
  if (outcome === 'evaluated' || outcome === 'connected') return { kind: 'done' }
  if (outcome === 'cancelled' || outcome === 'ticket-changed') return { kind: 'cancelled' }
  if (outcome === 'lost') return { kind: 'retry', dueAt: now, tries: input.tries }
  const tries = input.tries + 1
  if (tries >= policy.maxAttempts) return { kind: 'unreachable', reason: outcome, tries }
  const waits = policy.retryMinutes.length > 0 ? policy.retryMinutes : [30]
  const wait = waits[Math.min(tries, waits.length) - 1]! * MINUTE_MS
  const earliest = now + wait
  const dueAt = input.ignoreWindows ? earliest : nextWindowOpening(earliest, policy.windows, input.timeZone)
  return { kind: 'retry', dueAt, tries }
}

/** How an originated call that never answered ended, from its Q.850 cause. */
export function unansweredOutcome(cause: number | null): AttemptOutcome {
  if (cause === HANGUP_CAUSE.userBusy || cause === HANGUP_CAUSE.callRejected) return 'busy'
  if (cause === HANGUP_CAUSE.noAnswer || cause === HANGUP_CAUSE.noUserResponse || cause === HANGUP_CAUSE.normalClearing || cause === 0 || cause === null) return 'no-answer'
  return 'failed'
}

/** A token bucket per trunk: `rate` calls per second, bursts of at most `burst`. */
export interface Bucket { tokens: number; at: number }

/**
 * Half a second's worth of calls: a scheduler pass that ran late (a busy machine) may catch up
 * within that, but never bursts a whole second's calls onto the trunk at once.
 */
export const burstFor = (rate: number): number => Math.max(1, Math.ceil(rate / 2))

/** The bucket filled up to `now` (nothing taken). */
export function refill(bucket: Bucket | undefined, now: number, rate: number, burst = burstFor(rate)): Bucket {
  const start = bucket ?? { tokens: burst, at: now }
  return { tokens: Math.min(burst, start.tokens + (Math.max(0, now - start.at) / 1000) * rate), at: Math.max(now, start.at) }
}

export function takeToken(bucket: Bucket | undefined, now: number, rate: number, burst = burstFor(rate)): { ok: boolean; bucket: Bucket } {
  const { tokens } = refill(bucket, now, rate, burst)
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now } }
  return { ok: false, bucket: { tokens, at: now } }
}

/** How many attempts may start now on a trunk: the concurrency left, at most. */
export function concurrencyLeft(maxConcurrent: number, active: number): number {
  return Math.max(0, maxConcurrent - active)
}

export const SURVEY_KEYS: Readonly<Record<string, SurveyAnswer>> = { 1: 'satisfied', 2: 'basically-satisfied', 3: 'unsatisfied' }

export function interpretKey(digit: string): SurveyAnswer | null {
  return SURVEY_KEYS[digit] ?? null
}

/** 是否解决: 1 solved, 2 not solved. */
export const SOLVED_KEYS: Readonly<Record<string, boolean>> = { 1: true, 2: false }

export function interpretSolvedKey(digit: string): boolean | null {
  return SOLVED_KEYS[digit] ?? null
}

/**
 * One question of the survey: it is asked, then repeated once on no input or a wrong key; a
 * valid key is confirmed. `digits` keeps every key as pressed (the evidence). `interpret` maps
 * a key to the answer (the satisfaction keys by default).
 */
export interface SurveyState<A = SurveyAnswer> { asked: number; digits: string; answer: A | null; finished: boolean }
export type SurveyInput = { type: 'key'; digit: string } | { type: 'silence' }
export type SurveyAction<A = SurveyAnswer> = { type: 'confirm'; answer: A } | { type: 'ask-again'; reason: 'invalid' | 'silence' } | { type: 'give-up'; reason: 'no-input' } | { type: 'ignore' }

export const SURVEY_MAX_ASKS = 2

export function startSurvey<A = SurveyAnswer>(): SurveyState<A> {
  return { asked: 1, digits: '', answer: null, finished: false }
}

export function surveyStep<A = SurveyAnswer>(state: SurveyState<A>, input: SurveyInput,
  interpret: (digit: string) => A | null = interpretKey as unknown as (digit: string) => A | null): { state: SurveyState<A>; action: SurveyAction<A> } {
  if (state.finished) return { state, action: { type: 'ignore' } }
  const digits = input.type === 'key' ? state.digits + input.digit : state.digits
  const answer = input.type === 'key' ? interpret(input.digit) : null
  if (answer !== null) return { state: { ...state, digits, answer, finished: true }, action: { type: 'confirm', answer } }
  if (state.asked >= SURVEY_MAX_ASKS) return { state: { ...state, digits, finished: true }, action: { type: 'give-up', reason: 'no-input' } }
  return { state: { ...state, digits, asked: state.asked + 1 }, action: { type: 'ask-again', reason: input.type === 'key' ? 'invalid' : 'silence' } }
}

/**
 * The follow-up survey the seeds ask for, in this order: satisfaction with the handling process
 * (服务过程), with the result (办理结果), and whether the matter is solved (是否解决). Each is one
 * question as above (asked again once); the evaluation is complete only with all three answers.
 */
export type SurveyQuestion = 'process' | 'result' | 'solved'
export const SURVEY_QUESTIONS: readonly SurveyQuestion[] = ['process', 'result', 'solved']
export interface SurveyAnswers { process: SurveyAnswer; result: SurveyAnswer; solved: boolean }

export interface FollowUpSurveyState {
  /** The question being asked (index into SURVEY_QUESTIONS). */
  at: number
  question: SurveyState<SurveyAnswer | boolean>
  /** Every key of the call, as pressed, over all questions. */
  digits: string
  answers: Partial<SurveyAnswers>
  /** All three answered. */
  complete: boolean
  finished: boolean
}

export type FollowUpSurveyAction =
  | { type: 'ask'; question: SurveyQuestion; reason: 'next' | 'invalid' | 'silence' }
  | { type: 'answered'; answers: SurveyAnswers }
  | { type: 'give-up'; reason: 'no-input' }
  | { type: 'ignore' }

export function startFollowUpSurvey(): FollowUpSurveyState {
  return { at: 0, question: startSurvey(), digits: '', answers: {}, complete: false, finished: false }
}

const interpreterOf = (q: SurveyQuestion): ((digit: string) => SurveyAnswer | boolean | null) => (q === 'solved' ? interpretSolvedKey : interpretKey)

export function followUpSurveyStep(state: FollowUpSurveyState, input: SurveyInput): { state: FollowUpSurveyState; action: FollowUpSurveyAction } {
  if (state.finished) return { state, action: { type: 'ignore' } }
  const question = SURVEY_QUESTIONS[state.at]!
  const step = surveyStep(state.question, input, interpreterOf(question))
  const digits = input.type === 'key' ? state.digits + input.digit : state.digits
  const next = { ...state, question: step.state, digits }
  switch (step.action.type) {
    case 'confirm': {
      const answers = { ...state.answers, [question]: step.action.answer } as Partial<SurveyAnswers>
      const at = state.at + 1
      if (at >= SURVEY_QUESTIONS.length) {
        return { state: { ...next, answers, at, complete: true, finished: true }, action: { type: 'answered', answers: answers as SurveyAnswers } }
      }
      return { state: { ...next, answers, at, question: startSurvey() }, action: { type: 'ask', question: SURVEY_QUESTIONS[at]!, reason: 'next' } }
    }
    case 'ask-again':
      return { state: next, action: { type: 'ask', question, reason: step.action.reason } }
    case 'give-up':
      return { state: { ...next, finished: true }, action: { type: 'give-up', reason: 'no-input' } }
    default:
      return { state, action: { type: 'ignore' } }
  }
}

/** Fills a trunk's dial template: PJSIP/{number}@{trunk}. Only dialable characters pass. */
export function dialEndpoint(template: string, trunkId: string, number: string, plan: NumberPlan): string {
  if (!/^\+?[0-9*#]{2,32}$/.test(number)) throw new RangeError(`not a dialable number: ${number}`)
  // The number plan (HOTLINE_NUMBER_PLAN) is the last word on every number the dialer places.
  const refusal = numberPlanRefusal(plan, number)
  if (refusal) throw new RangeError(refusal)
  return template.replaceAll('{number}', number).replaceAll('{trunk}', trunkId)
}
