import t from 'tap'
import { passwordProblem, renewMarginSeconds } from '../../../src/auth/rules.ts'

t.test('password rules: length, three classes, not the user id', async (t) => {
  const cases: [string, string, RegExp | null][] = [
    ['Sh0rt!', 'A001', /at least 10 characters/],
    ['alllowercase', 'A001', /three of/],
    ['lowercase-only', 'A001', /three of/],
    ['lowercase-123', 'A001', null],
    ['Harbour-Lights', 'A001', null],
    ['HARBOUR12345', 'A001', /three of/],
    ['Zhang.San-2026', 'zhang.san-2026', /must not be the user id/],
    ['A001-password', 'A001', null]
  ]
  for (const [password, userId, problem] of cases) {
    const got = passwordProblem(password, userId)
    if (problem) t.match(got, problem, `${password} for ${userId}: ${problem}`)
    else t.equal(got, null, `${password} for ${userId} is accepted`)
  }
})

t.test('renewal margin: a fifth of the lifetime, between 5 s and 2 minutes', async (t) => {
  t.equal(renewMarginSeconds(900), 120, '15 minutes: 2 minutes before')
  t.equal(renewMarginSeconds(300), 60, '5 minutes: 1 minute before')
  t.equal(renewMarginSeconds(15), 5, 'a 15 s test token: 5 s before')
  t.equal(renewMarginSeconds(3600), 120, 'never more than 2 minutes')
})
