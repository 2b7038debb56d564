/**
 * Routing administration, wired: queues, lines (号码) and agents' routing profiles and the
 * not-ready reasons over REST. The reasons an agent may give are loaded at start and re-read
 * every minute (another node's administrator may change them).
 */
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import type { Sql } from '../db/sql.ts'
import type { Contribution } from '../domain/module.ts'
import type { QueueDirectory } from '../queueing/store.ts'
import { routingRoutes } from './routes.ts'
import { RoutingRecords } from './store.ts'

const REASONS_RELOAD_MS = 60_000

export function createRouting(d: { sql: Sql; log: Logger; agents: AgentService; directory: QueueDirectory }): Contribution {
  const records = new RoutingRecords(d.sql)
  const loadNotReadyReasons = async () => { d.agents.setNotReadyReasons((await records.notReadyReasons()).map((r) => r.code)) }
  let timer: NodeJS.Timeout | undefined
  return {
    routes: [routingRoutes({ records, directory: d.directory, onReasonsChanged: loadNotReadyReasons })],
    async start() {
      await loadNotReadyReasons()
      timer = setInterval(() => { loadNotReadyReasons().catch((err) => d.log.warn({ err }, 'reloading not-ready reasons failed')) }, REASONS_RELOAD_MS)
      timer.unref()
    },
    stop() { clearInterval(timer) }
  }
}
