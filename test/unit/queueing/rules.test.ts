/** Call distribution: caller order, who may serve whom, agent ranking per strategy, the offer plan. */
import t from 'tap'
import type { QueueConfig, QueueEntry, RoutableAgent } from '../../../src/queueing/model.ts'
import { canServe, compareEntries, entryScore, planOffers, positionInQueue, rankAgents } from '../../../src/queueing/rules.ts'

const T0 = Date.parse('2026-11-23T01:00:00Z')

function queue(id: string, patch: Partial<QueueConfig> = {}): QueueConfig {
  return {
    id, name: id, strategy: 'longest-idle', requiredSkills: [], wrapUpSeconds: 10, ringTimeoutSeconds: 15,
    maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null, ...patch
  }
}
function entry(callId: string, queueId: string, enteredSec: number, patch: Partial<QueueEntry> = {}): QueueEntry {
  return { callId, queueId, priority: 0, enteredAt: T0 + enteredSec * 1000, skills: [], ...patch }
}
function agent(agentId: string, idleSinceSec: number, patch: Partial<RoutableAgent> = {}): RoutableAgent {
  return { agentId, idleSince: T0 + idleSinceSec * 1000, callsToday: 0, skills: {}, queues: ['general'], ...patch }
}
const ids = (agents: readonly RoutableAgent[]) => agents.map((a) => a.agentId)

t.test('caller order: priority first, then arrival, then call id', async (t) => {
  const early = entry('c-early', 'general', 0)
  const late = entry('c-late', 'general', 10)
  const elderlyLate = entry('c-elderly', 'general', 20, { priority: 5 })
  const sameTimeA = entry('a', 'general', 10)
  const sameTimeB = entry('b', 'general', 10)

  t.ok(compareEntries(early, late) < 0, 'first come first served within a priority')
  t.ok(compareEntries(late, early) > 0)
  t.ok(compareEntries(elderlyLate, early) < 0, 'a higher priority goes before an earlier caller')
  t.ok(compareEntries(sameTimeA, sameTimeB) < 0, 'same time: by call id, so the order is total')
  t.equal(compareEntries(early, { ...early }), 0)
  const sorted = [late, elderlyLate, sameTimeB, early, sameTimeA].sort(compareEntries).map((e) => e.callId)
  t.same(sorted, ['c-elderly', 'c-early', 'a', 'b', 'c-late'])
})

t.test('entryScore sorts like compareEntries (Redis sorted sets)', async (t) => {
  const entries = [
    entry('p0-late', 'general', 3600),
    entry('p0-early', 'general', 0),
    entry('p1-years-later', 'general', 10 * 365 * 86400, { priority: 1 }),
    entry('p2', 'general', 50, { priority: 2 }),
    entry('p1-early', 'general', 1, { priority: 1 })
  ]
  const byScore = [...entries].sort((a, b) => entryScore(a) - entryScore(b)).map((e) => e.callId)
  const byCompare = [...entries].sort(compareEntries).map((e) => e.callId)
  t.same(byScore, ['p2', 'p1-early', 'p1-years-later', 'p0-early', 'p0-late'])
  t.same(byScore, byCompare)
  t.ok(entryScore({ priority: 1, enteredAt: T0 + 10 * 365 * 86400_000 }) < entryScore({ priority: 0, enteredAt: 0 }), 'priority dominates any realistic arrival time')
})

t.test('canServe: the queue, its required skills, and the caller skills', async (t) => {
  const dialect = queue('dialect', { requiredSkills: ['cantonese'] })
  const general = queue('general')
  const plain = agent('plain', 0)
  const cantonese = agent('canto', 0, { queues: ['general', 'dialect'], skills: { cantonese: 3 } })
  t.equal(canServe(plain, general, entry('c', 'general', 0)), true)
  t.equal(canServe(plain, dialect, entry('c', 'dialect', 0)), false, 'not a member of the queue')
  t.equal(canServe(agent('member', 0, { queues: ['dialect'] }), dialect, entry('c', 'dialect', 0)), false, 'member without the required skill')
  t.equal(canServe(cantonese, dialect, entry('c', 'dialect', 0)), true)
  t.equal(canServe(cantonese, general, entry('c', 'general', 0, { skills: ['english'] })), false, 'caller needs a skill the agent lacks')
  t.equal(canServe(agent('en', 0, { skills: { english: 1 } }), general, entry('c', 'general', 0, { skills: ['english'] })), true)
  t.equal(canServe(agent('zero', 0, { skills: { english: 0 } }), general, entry('c', 'general', 0, { skills: ['english'] })), true, 'holding a skill at any level counts')
})

t.test('rankAgents: longest idle', async (t) => {
  const q = queue('general')
  const agents = [agent('b', 30), agent('a', 10), agent('c', 20), agent('other-queue', 0, { queues: ['x'] })]
  t.same(ids(rankAgents(agents, q, entry('c', 'general', 0))), ['a', 'c', 'b'], 'idle longest first; those who cannot serve are dropped')
  t.same(ids(rankAgents([agent('z', 5), agent('y', 5)], q, entry('c', 'general', 0))), ['y', 'z'], 'equal idle: by id')
  t.same(ids(agents), ['b', 'a', 'c', 'other-queue'], 'the input array is not reordered')
})

t.test('rankAgents: fewest calls, ties to the longest idle', async (t) => {
  const q = queue('general', { strategy: 'fewest-calls' })
  const agents = [
    agent('busy', 0, { callsToday: 40 }),
    agent('fresh-recent', 50, { callsToday: 2 }),
    agent('fresh-idle', 10, { callsToday: 2 }),
    agent('newcomer', 90, { callsToday: 0 })
  ]
  t.same(ids(rankAgents(agents, q, entry('c', 'general', 0))), ['newcomer', 'fresh-idle', 'fresh-recent', 'busy'])
})

t.test('rankAgents: skill level over the queue and caller skills, ties to the longest idle', async (t) => {
  const q = queue('tax', { strategy: 'skill-level', requiredSkills: ['tax'] })
  const member = (id: string, idle: number, skills: Record<string, number>) => agent(id, idle, { queues: ['tax'], skills })
  const agents = [
    member('novice', 0, { tax: 1, english: 1 }),
    member('expert', 50, { tax: 9 }),
    member('bilingual', 40, { tax: 5, english: 5 }),
    member('also-9', 20, { tax: 9 })
  ]
  t.same(ids(rankAgents(agents, q, entry('c', 'tax', 0))), ['also-9', 'expert', 'bilingual', 'novice'], 'by tax level; equal levels by idle time')
  t.same(ids(rankAgents(agents, q, entry('c', 'tax', 0, { skills: ['english'] }))), ['bilingual', 'novice'], 'caller skill counts and filters: 5+5 > 1+1')
})

t.test('planOffers', async (t) => {
  const queues = new Map([
    ['general', queue('general')],
    ['dialect', queue('dialect', { requiredSkills: ['minnan'] })],
    ['vip', queue('vip', { strategy: 'fewest-calls' })]
  ])

  await t.test('strict order across queues: the earliest caller gets the one free agent', async (t) => {
    const both = agent('both', 0, { queues: ['general', 'vip'] })
    const plan = planOffers([entry('g-late', 'general', 20), entry('v-early', 'vip', 5), entry('g-early', 'general', 10)], [both], queues)
    t.same(plan.map((p) => [p.entry.callId, p.agentId]), [['v-early', 'both']])
  })

  await t.test('priority beats arrival across queues', async (t) => {
    const both = agent('both', 0, { queues: ['general', 'vip'] })
    const plan = planOffers([entry('g-early', 'general', 0), entry('v-prio', 'vip', 60, { priority: 3 })], [both], queues)
    t.same(plan.map((p) => p.entry.callId), ['v-prio'])
  })

  await t.test('never offers one agent twice; each caller gets the best agent still free', async (t) => {
    const agents = [agent('a', 10), agent('b', 0), agent('c', 20)]
    const plan = planOffers([entry('c1', 'general', 0), entry('c2', 'general', 1), entry('c3', 'general', 2), entry('c4', 'general', 3)], agents, queues)
    t.same(plan.map((p) => [p.entry.callId, p.agentId]), [['c1', 'b'], ['c2', 'a'], ['c3', 'c']], 'three agents, three offers, longest idle first')
    t.equal(new Set(plan.map((p) => p.agentId)).size, plan.length)
  })

  await t.test('a caller nobody free can serve does not block those behind', async (t) => {
    const agents = [agent('mandarin', 0), agent('minnan', 5, { queues: ['dialect'], skills: { minnan: 5 } })]
    const waiting = [
      entry('needs-english', 'general', 0, { skills: ['english'] }),
      entry('dialect-caller', 'dialect', 1),
      entry('mandarin-caller', 'general', 2)
    ]
    const plan = planOffers(waiting, agents, queues)
    t.same(plan.map((p) => [p.entry.callId, p.agentId]), [['dialect-caller', 'minnan'], ['mandarin-caller', 'mandarin']])
  })

  await t.test('an entry for an unknown queue is skipped, not fatal', async (t) => {
    const plan = planOffers([entry('ghost', 'gone', 0), entry('real', 'general', 1)], [agent('a', 0)], queues)
    t.same(plan.map((p) => p.entry.callId), ['real'])
  })

  await t.test('nothing to plan', async (t) => {
    t.same(planOffers([], [agent('a', 0)], queues), [])
    t.same(planOffers([entry('c1', 'general', 0)], [], queues), [])
  })
})

t.test('positionInQueue counts only callers of the same queue ahead of or at the caller', async (t) => {
  const waiting = [
    entry('g2', 'general', 20),
    entry('d1', 'dialect', 0),
    entry('g1', 'general', 10),
    entry('g-prio', 'general', 30, { priority: 1 }),
    entry('g3', 'general', 40)
  ]
  t.equal(positionInQueue(waiting, 'g-prio'), 1, 'a priority caller is first')
  t.equal(positionInQueue(waiting, 'g1'), 2)
  t.equal(positionInQueue(waiting, 'g2'), 3)
  t.equal(positionInQueue(waiting, 'g3'), 4)
  t.equal(positionInQueue(waiting, 'd1'), 1, 'other queues do not count')
  t.equal(positionInQueue(waiting, 'absent'), null)
})
