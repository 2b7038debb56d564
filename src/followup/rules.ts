/**
 * The follow-up rules, pure: which campaign covers a line, the agreed time, and how the
 * citizen's key presses become an evaluation
 * (three questions: process, result, solved). Calling windows, back-off, pacing and the dial
 * string are the dialer kernel's (src/dialer/rules.ts), shared with callbacks.
 * Nothing here reads a clock: `now` is passed in, so tests move time without sleeping.
 */
import type { Campaign, SurveyAnswer } from './model.ts'

const MINUTE_MS = 60_000

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
