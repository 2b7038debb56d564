/**
 * Queues (队列) and the callers waiting in them. A caller waits in a queue's holding bridge
 * until a ready agent who serves the queue is free.
 */

export type RoutingStrategy = 'longest-idle' | 'fewest-calls' | 'skill-level'

export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = ['longest-idle', 'fewest-calls', 'skill-level']

export interface QueueConfig {
  id: string
  name: string
  strategy: RoutingStrategy
  /** Skills an agent must hold to take this queue's calls (all of them). */
  requiredSkills: readonly string[]
  /** Wrap-up seconds after each call of this queue. */
  wrapUpSeconds: number
  /** Seconds an offer rings at a seat before ring-no-answer. */
  ringTimeoutSeconds: number
  /** Longest wait in seconds before the overflow target takes the caller (null: wait on). */
  maxWaitSeconds: number | null
  overflowQueueId: string | null
  /** Seconds between position / expected-wait announcements (null: music only). */
  announceEverySeconds: number | null
}

/** One waiting caller. */
export interface QueueEntry {
  callId: string
  queueId: string
  /** Higher is served first (e.g. the elderly-priority line); 0 is normal. */
  priority: number
  /** When the caller entered the queue (epoch ms); kept across re-queues so order is kept. */
  enteredAt: number
  /** Skills this caller needs beyond the queue's own (language or dialect seats). */
  skills: readonly string[]
  /**
   * 'callback': a place kept for a caller who hung up to be called back (src/callbacks/); when
   * its turn comes the reserved agent waits while the caller is dialled.
   */
  kind?: 'callback'
}

/** An agent as the router sees it: only what the choice depends on. */
export interface RoutableAgent {
  agentId: string
  idleSince: number
  callsToday: number
  /** Skill name → level (1 lowest … 10 highest). */
  skills: Readonly<Record<string, number>>
  /** Queues this agent serves. */
  queues: readonly string[]
}

export interface PlannedOffer {
  entry: QueueEntry
  agentId: string
}
