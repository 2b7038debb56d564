/**
 * Queueing (ACD), wired: the queue directory (PostgreSQL, cached), the callers' places (Redis),
 * the dispatcher that offers the next caller to the next agent, and the queue routes. An agent
 * who becomes ready asks the dispatcher to look.
 */
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import type { AgentRecords } from '../agents/store.ts'
import type { ClusterNode } from '../cluster/node.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { Redis } from '../redis/client.ts'
import { queueRoutes } from './routes.ts'
import { Acd } from './service.ts'
import { QueueDirectory, QueueWaitingStore } from './store.ts'

export interface Queueing extends Contribution {
  acd: Acd
  directory: QueueDirectory
  waiting: QueueWaitingStore
  /** Asks the dispatcher (on the node that drives the calls) to look for offers (coalesced; never waits). */
  requestDispatch(): void
  /** Callers waiting per queue (the /metrics gauge). */
  waitingByQueue(): Promise<Record<string, number>>
}

export function createQueueing(d: {
  config: Config; sql: Sql; redis: Redis; clock: Clock; log: Logger; agents: AgentService; agentRecords: AgentRecords
  /** Dispatch runs where the calls are driven: an agent made ready on a standby asks the holder. */
  cluster: Pick<ClusterNode, 'requestDispatch' | 'onDispatch'>
}): Queueing {
  const waiting = new QueueWaitingStore(d.redis)
  const directory = new QueueDirectory(d.sql)
  const acd = new Acd({ agents: d.agents, agentRecords: d.agentRecords, waiting, directory, log: d.log.child({ component: 'acd' }), defaultRingTimeoutSeconds: d.config.HOTLINE_RING_TIMEOUT_S })
  d.cluster.onDispatch(() => { void acd.request() })
  const requestDispatch = () => { d.cluster.requestDispatch() }
  d.agents.on('changed', ({ next }) => { if (next.state === 'ready') requestDispatch() })
  return {
    acd, directory, waiting, requestDispatch,
    async waitingByQueue() {
      const out: Record<string, number> = {}
      for (const id of (await directory.allQueues()).keys()) out[id] = await waiting.count(id)
      return out
    },
    routes: [queueRoutes({ directory, waiting, now: () => d.clock.now() })],
    start: () => directory.refresh(),
    stop: () => acd.stop()
  }
}
