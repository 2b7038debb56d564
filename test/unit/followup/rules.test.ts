/** Dialer rules: calling windows in Beijing time, agreed time, back-off, pacing, the survey dialogue. */
import t from 'tap'
import {
  agreedTimeApplies, campaignForLine, interpretKey, startSurvey, surveyStep, followUpSurveyStep, startFollowUpSurvey, interpretSolvedKey,
  type FollowUpSurveyState, type SurveyInput
} from '../../../src/followup/rules.ts'
import { afterAttempt, concurrencyLeft, dialEndpoint, isWithinWindows, nextWindowOpening, takeToken, unansweredOutcome, windowsProblem } from '../../../src/dialer/rules.ts'
import { zonedInstant } from '../../../src/domain/local-time.ts'
import { percentiles } from '../../../src/domain/percentile.ts'
import { channelIdFor, parseDialerChannel } from '../../../src/dialer/model.ts'
import { parseNumberPlan } from '../../../src/number-plan/rules.ts'

const TZ = 'Asia/Shanghai'
const MIN = 60_000
const at = (local: string) => Date.parse(`${local}+08:00`)
const WINDOWS = [{ from: '08:30', to: '12:00' }, { from: '14:00', to: '20:30' }]
const policy = { maxAttempts: 3, retryMinutes: [30, 120], windows: WINDOWS }

t.test('calling windows in the center zone', async (t) => {
  t.ok(isWithinWindows(at('2026-11-26T08:30:00'), WINDOWS, TZ), '08:30 opens')
  t.notOk(isWithinWindows(at('2026-11-26T08:29:59'), WINDOWS, TZ), '08:29 is too early')
  t.notOk(isWithinWindows(at('2026-11-26T12:00:00'), WINDOWS, TZ), '12:00 is closed (end exclusive)')
  t.ok(isWithinWindows(at('2026-11-26T20:29:00'), WINDOWS, TZ), '20:29 is open')
  t.notOk(isWithinWindows(at('2026-11-26T13:00:00'), WINDOWS, TZ), 'lunch break')
  t.ok(isWithinWindows(at('2026-11-26T23:59:00'), [{ from: '00:00', to: '24:00' }], TZ), 'a whole-day window')
  t.equal(nextWindowOpening(at('2026-11-26T12:30:00'), WINDOWS, TZ), at('2026-11-26T14:00:00'), 'after lunch')
  t.equal(nextWindowOpening(at('2026-11-26T21:00:00'), WINDOWS, TZ), at('2026-11-27T08:30:00'), 'next morning')
  t.equal(nextWindowOpening(at('2026-11-26T03:00:00'), WINDOWS, TZ), at('2026-11-26T08:30:00'), 'early morning: same day')
  const inside = at('2026-11-26T09:00:00')
  t.equal(nextWindowOpening(inside, WINDOWS, TZ), inside, 'inside: now')
  t.equal(zonedInstant(2026, 11, 26, 8 * 60 + 30, TZ), at('2026-11-26T08:30:00'), 'wall clock to instant')
  t.equal(zonedInstant(2026, 7, 1, 9 * 60, 'Europe/Berlin'), Date.parse('2026-07-01T09:00:00+02:00'), 'summer time zone too')
})

t.test('windows are validated', async (t) => {
  t.equal(windowsProblem(WINDOWS), null)
  t.match(windowsProblem([]), /at least one/)
  t.match(windowsProblem([{ from: '8:30', to: '12:00' }]), /HH:MM/)
  t.match(windowsProblem([{ from: '12:00', to: '08:00' }]), /before/)
  t.match(windowsProblem([{ from: '08:00', to: '12:00' }, { from: '11:00', to: '13:00' }]), /overlap/)
})

t.test('a line uses its own campaign, else the default', async (t) => {
  const cs = [{ id: 'default', lineNumber: null }, { id: 'housing', lineNumber: '12329' }]
  t.equal(campaignForLine(cs, '12329')!.id, 'housing')
  t.equal(campaignForLine(cs, '12345')!.id, 'default')
  t.equal(campaignForLine(cs, null)!.id, 'default')
})

t.test('agreed time (约定回访时间)', async (t) => {
  const agreed = at('2026-11-26T21:00:00')
  t.notOk(agreedTimeApplies(agreed, 0, agreed - MIN), 'not before the agreed time')
  t.ok(agreedTimeApplies(agreed, 0, agreed + MIN), 'at the agreed time, even outside the windows')
  t.notOk(agreedTimeApplies(agreed, 0, agreed + 31 * MIN), 'missed by more than the tolerance: back to the windows')
  t.notOk(agreedTimeApplies(agreed, 1, agreed + MIN), 'retries follow the windows')
  t.notOk(agreedTimeApplies(null, 0, agreed), 'none agreed')
})

t.test('back-off and the attempt limit', async (t) => {
  const now = at('2026-11-26T10:00:00')
  t.same(afterAttempt({ outcome: 'busy', tries: 0, now, policy, timeZone: TZ }), { kind: 'retry', dueAt: now + 30 * MIN, tries: 1 }, 'busy: 30 minutes')
  t.same(afterAttempt({ outcome: 'no-answer', tries: 1, now, policy, timeZone: TZ }), { kind: 'retry', dueAt: at('2026-11-26T14:00:00'), tries: 2 }, '2 h lands in lunch: next window')
  t.same(afterAttempt({ outcome: 'failed', tries: 2, now, policy, timeZone: TZ }), { kind: 'unreachable', reason: 'failed', tries: 3 }, 'third failure: unreachable with the reason')
  t.same(afterAttempt({ outcome: 'no-answer', tries: 1, now: at('2026-11-26T19:30:00'), policy, timeZone: TZ }), { kind: 'retry', dueAt: at('2026-11-27T08:30:00'), tries: 2 }, 'evening: next morning')
  t.same(afterAttempt({ outcome: 'lost', tries: 2, now, policy, timeZone: TZ }), { kind: 'retry', dueAt: now, tries: 2 }, 'a lost attempt is not counted and due again at once')
  t.same(afterAttempt({ outcome: 'evaluated', tries: 0, now, policy, timeZone: TZ }), { kind: 'done' })
  t.same(afterAttempt({ outcome: 'ticket-changed', tries: 0, now, policy, timeZone: TZ }), { kind: 'cancelled' })
  t.same(afterAttempt({ outcome: 'busy', tries: 1, now: at('2026-11-26T19:30:00'), policy, timeZone: TZ, ignoreWindows: true }), { kind: 'retry', dueAt: at('2026-11-26T21:30:00'), tries: 2 }, 'callbacks ignore the windows')
  t.same(afterAttempt({ outcome: 'busy', tries: 5, now, policy: { ...policy, maxAttempts: 10 }, timeZone: TZ, ignoreWindows: true }), { kind: 'retry', dueAt: now + 120 * MIN, tries: 6 }, 'the last wait repeats')
})

t.test('hang-up causes of unanswered calls', async (t) => {
  t.equal(unansweredOutcome(17), 'busy', '486 → user busy')
  t.equal(unansweredOutcome(21), 'busy', 'rejected')
  t.equal(unansweredOutcome(19), 'no-answer')
  t.equal(unansweredOutcome(0), 'no-answer')
  t.equal(unansweredOutcome(1), 'failed', 'unallocated number')
  t.equal(unansweredOutcome(38), 'failed', 'network out of order')
})

t.test('pacing: a token bucket per trunk', async (t) => {
  let b = takeToken(undefined, 0, 2, 1)
  t.ok(b.ok, 'first call goes')
  b = takeToken(b.bucket, 100, 2, 1)
  t.notOk(b.ok, '100 ms later at 2/s: wait')
  b = takeToken(b.bucket, 500, 2, 1)
  t.ok(b.ok, '500 ms later: go')
  let granted = 0
  let bucket = undefined as ReturnType<typeof takeToken>['bucket'] | undefined
  for (let now = 0; now < 10_000; now += 50) {
    const r = takeToken(bucket, now, 5)
    bucket = r.bucket
    if (r.ok) granted += 1
  }
  t.ok(granted >= 50 && granted <= 53, `5/s over 10 s grants ${granted} (50 plus the initial burst of 3)`)
  t.equal(concurrencyLeft(10, 7), 3)
  t.equal(concurrencyLeft(10, 12), 0)
})

t.test('the survey: 1/2/3, one repeat, confirm', async (t) => {
  t.equal(interpretKey('1'), 'satisfied')
  t.equal(interpretKey('2'), 'basically-satisfied')
  t.equal(interpretKey('3'), 'unsatisfied')
  t.equal(interpretKey('4'), null)
  let s = startSurvey()
  let r = surveyStep(s, { type: 'key', digit: '1' })
  t.same(r.action, { type: 'confirm', answer: 'satisfied' }, 'a valid key is confirmed')
  t.equal(r.state.digits, '1')
  t.same(surveyStep(r.state, { type: 'key', digit: '3' }).action, { type: 'ignore' }, 'keys after the answer change nothing')
  s = startSurvey()
  r = surveyStep(s, { type: 'key', digit: '9' })
  t.same(r.action, { type: 'ask-again', reason: 'invalid' }, 'wrong key: asked again')
  r = surveyStep(r.state, { type: 'key', digit: '3' })
  t.same(r.action, { type: 'confirm', answer: 'unsatisfied' })
  t.equal(r.state.digits, '93', 'every key is kept as pressed')
  r = surveyStep(startSurvey(), { type: 'silence' })
  t.same(r.action, { type: 'ask-again', reason: 'silence' }, 'no input: asked again once')
  r = surveyStep(r.state, { type: 'silence' })
  t.same(r.action, { type: 'give-up', reason: 'no-input' }, 'then given up')
})

t.test('the follow-up survey: process, result, solved in turn; complete only with all three', async (t) => {
  const press = (keys: string, from: FollowUpSurveyState = startFollowUpSurvey()) => {
    let state = from
    const actions = []
    for (const k of keys) {
      const input: SurveyInput = k === '_' ? { type: 'silence' } : { type: 'key', digit: k }
      const r = followUpSurveyStep(state, input)
      state = r.state
      actions.push(r.action)
    }
    return { state, actions }
  }
  t.equal(interpretSolvedKey('1'), true)
  t.equal(interpretSolvedKey('2'), false)
  t.equal(interpretSolvedKey('3'), null, 'the solved question has two keys')
  let r = press('211')
  t.same(r.actions, [
    { type: 'ask', question: 'result', reason: 'next' }, { type: 'ask', question: 'solved', reason: 'next' },
    { type: 'answered', answers: { process: 'basically-satisfied', result: 'satisfied', solved: true } }
  ], 'each answer moves to the next question; the third completes the evaluation')
  t.match(r.state, { digits: '211', complete: true, finished: true })
  t.same(followUpSurveyStep(r.state, { type: 'key', digit: '3' }).action, { type: 'ignore' }, 'keys after the last answer change nothing')
  r = press('193_2')
  t.same(r.actions.map((a) => a.type === 'ask' ? `${a.question}:${a.reason}` : a.type), ['result:next', 'result:invalid', 'solved:next', 'solved:silence', 'answered'],
    'a wrong key or silence asks the same question again')
  t.match(r.state, { digits: '1932', answers: { process: 'satisfied', result: 'unsatisfied', solved: false } }, 'every key kept as pressed')
  r = press('3', startFollowUpSurvey())
  r = press('3__', r.state)
  t.same(r.actions.at(-1), { type: 'give-up', reason: 'no-input' }, 'a question unanswered twice ends the survey')
  t.match(r.state, { complete: false, finished: true, answers: { process: 'unsatisfied', result: 'unsatisfied' } }, 'unfinished: no evaluation, the keys are kept')
  t.equal(r.state.answers.solved, undefined)
  r = press('113', startFollowUpSurvey())
  t.same(r.actions.at(-1), { type: 'ask', question: 'solved', reason: 'invalid' }, '3 is no answer to "solved"')
})

t.test('dial strings and channel ids', async (t) => {
  const plan = parseNumberPlan('local,mobile')
  t.equal(dialEndpoint('PJSIP/{number}@{trunk}', 'trunk', '13800138000', plan), 'PJSIP/13800138000@trunk')
  t.equal(dialEndpoint('PJSIP/trunk/sip:{number}@127.0.0.5:5090', 'trunk', '+8613800138000', plan), 'PJSIP/trunk/sip:+8613800138000@127.0.0.5:5090')
  t.throws(() => dialEndpoint('PJSIP/{number}@{trunk}', 'trunk', '138;x', plan), RangeError, 'no injection through the number')
  t.throws(() => dialEndpoint('PJSIP/{number}@{trunk}', 'trunk', '00447700900123', plan), /international number, outside the number plan/, 'an international caller id is never called back')
  t.throws(() => dialEndpoint('PJSIP/{number}@{trunk}', 'trunk', '16885678', plan), /premium number/, 'nor a premium-rate one')
  t.equal(channelIdFor('followup', 12, 3), 'followup-12-3')
  t.same(parseDialerChannel('callback-7-1'), { kind: 'callback', taskId: 7, attemptNo: 1 })
  t.equal(parseDialerChannel('0f6e…'), null)
  t.same(percentiles([5, 1, 3, 2, 4]), { median: 3, p99: 5 })
  t.same(percentiles([]), { median: null, p99: null })
})
