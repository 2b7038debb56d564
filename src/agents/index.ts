/**
 * Agents (坐席), wired: live state in Redis and records in PostgreSQL behind one AgentService,
 * the commands agents and supervisors send (sign-in checks the seat assignment), the REST
 * routes, and the per-state gauge of /metrics.
 */
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { Redis } from '../redis/client.ts'
import { AgentCommands, type SeatAccess } from './commands.ts'
import { AGENT_STATES, DEFAULT_NOT_READY_REASONS } from './model.ts'
import { agentRoutes } from './routes.ts'
import { AgentService } from './service.ts'
import { AgentLiveStore, AgentRecords } from './store.ts'

/** The longest wrap-up a queue may set (its own wrap_up_seconds, PUT /v1/queues). */
const MAX_WRAP_UP_SECONDS = 600

export interface Agents extends Contribution {
  agents: AgentService
  live: AgentLiveStore
  records: AgentRecords
  commands: AgentCommands
  /** Signed-in agents per state, every state but signed-out present (the /metrics gauge). */
  countByState(): Promise<Record<string, number>>
}

export function createAgents(d: { config: Config; sql: Sql; redis: Redis; clock: Clock; log: Logger; seats: SeatAccess }): Agents {
  const live = new AgentLiveStore(d.redis)
  const records = new AgentRecords(d.sql)
  const agents = new AgentService({
    live, records, clock: d.clock, timeZone: d.config.HOTLINE_TIMEZONE, log: d.log.child({ component: 'agents' }),
    policy: { notReadyReasons: DEFAULT_NOT_READY_REASONS, maxWrapUpSeconds: MAX_WRAP_UP_SECONDS }
  })
  const commands = new AgentCommands({ agents, live, records, seats: d.seats })
  return {
    agents, live, records, commands,
    async countByState() {
      const out: Record<string, number> = Object.fromEntries(AGENT_STATES.filter((s) => s !== 'signed-out').map((s) => [s, 0]))
      for (const a of await agents.listSignedIn()) out[a.state] = (out[a.state] ?? 0) + 1
      return out
    },
    routes: [agentRoutes({ commands, agents })],
    // Wrap-up ends that were due while no node ran.
    start: () => agents.rearmTimers(),
    stop: () => agents.close()
  }
}
