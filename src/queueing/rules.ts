/**
 * Automatic call distribution as pure functions: order of waiting callers, which agent takes
 * which caller. The service runs these on every event that can change the answer (a caller
 * arrives, an agent becomes ready, an offer fails) instead of polling on a timer.
 */
import type { PlannedOffer, QueueConfig, QueueEntry, RoutableAgent } from './model.ts'

/** Callers with a higher priority go first; within a priority, first come first served. */
export function compareEntries(a: QueueEntry, b: QueueEntry): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  if (a.enteredAt !== b.enteredAt) return a.enteredAt - b.enteredAt
  return a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0
}

/**
 * A sortable number for Redis sorted sets that gives the same order as compareEntries:
 * priority dominates (steps of 1e13 ms, about 317 years), then arrival time.
 */
export function entryScore(entry: Pick<QueueEntry, 'priority' | 'enteredAt'>): number {
  return -entry.priority * 1e13 + entry.enteredAt
}

export function canServe(agent: RoutableAgent, queue: QueueConfig, entry: QueueEntry): boolean {
  if (!agent.queues.includes(queue.id)) return false
  for (const skill of queue.requiredSkills) if (!(skill in agent.skills)) return false
  for (const skill of entry.skills) if (!(skill in agent.skills)) return false
  return true
}

function skillScore(agent: RoutableAgent, queue: QueueConfig, entry: QueueEntry): number {
  let total = 0
  for (const skill of [...queue.requiredSkills, ...entry.skills]) total += agent.skills[skill] ?? 0
  return total
}

/** Orders candidate agents for one caller by the queue's strategy; ties go to the longest idle. */
export function rankAgents(agents: readonly RoutableAgent[], queue: QueueConfig, entry: QueueEntry): RoutableAgent[] {
  const byIdle = (a: RoutableAgent, b: RoutableAgent) => a.idleSince - b.idleSince || (a.agentId < b.agentId ? -1 : 1)
  const ranked = agents.filter((a) => canServe(a, queue, entry))
  switch (queue.strategy) {
    case 'longest-idle':
      return ranked.sort(byIdle)
    case 'fewest-calls':
      return ranked.sort((a, b) => a.callsToday - b.callsToday || byIdle(a, b))
    case 'skill-level':
      return ranked.sort((a, b) => skillScore(b, queue, entry) - skillScore(a, queue, entry) || byIdle(a, b))
    default: {
      const exhaustive: never = queue.strategy
      return exhaustive
    }
  }
}

/**
 * Pairs waiting callers with ready agents. Callers are served strictly in order (priority, then
 * arrival) across all queues; each gets the best agent its queue's strategy picks among those
 * still free. A caller no free agent can serve does not block the callers behind it who can
 * be served (a dialect caller waiting for a dialect seat must not hold up Mandarin callers).
 */
export function planOffers(
  waiting: readonly QueueEntry[],
  readyAgents: readonly RoutableAgent[],
  queues: ReadonlyMap<string, QueueConfig>
): PlannedOffer[] {
  const free = new Map(readyAgents.map((a) => [a.agentId, a]))
  const offers: PlannedOffer[] = []
  for (const entry of [...waiting].sort(compareEntries)) {
    if (free.size === 0) break
    const queue = queues.get(entry.queueId)
    if (!queue) continue
    const [best] = rankAgents([...free.values()], queue, entry)
    if (!best) continue
    offers.push({ entry, agentId: best.agentId })
    free.delete(best.agentId)
  }
  return offers
}

/** Position (1-based) of a caller among those waiting in the same queue. */
export function positionInQueue(waiting: readonly QueueEntry[], callId: string): number | null {
  const entry = waiting.find((e) => e.callId === callId)
  if (!entry) return null
  return waiting.filter((e) => e.queueId === entry.queueId && compareEntries(e, entry) <= 0).length
}
