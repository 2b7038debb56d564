/** Ticket KPIs (工单考核), wired: the monthly report and analysis over REST, unit names from the ticket service. */
import type { AuditLog } from '../audit/index.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { TicketService } from '../tickets/service.ts'
import { ticketKpiRoutes } from './routes.ts'
import { parseWeights } from './rules.ts'
import { TicketKpiStore } from './store.ts'

export function createTicketKpis(d: { config: Config; sql: Sql; clock: Clock; audit: AuditLog; tickets: TicketService }): Contribution {
  const { config } = d
  return {
    routes: [ticketKpiRoutes({
      store: new TicketKpiStore(d.sql), timeZone: config.HOTLINE_TIMEZONE, now: () => d.clock.now(), audit: d.audit,
      settings: { signForLimitHours: config.HOTLINE_KPI_SIGN_FOR_LIMIT_H, repeatWindowDays: config.HOTLINE_REPEAT_WINDOW_DAYS, weights: parseWeights(config.HOTLINE_KPI_WEIGHTS) },
      unitNames: async () => new Map((await d.tickets.units()).map((u) => [u.id, u.name]))
    })]
  }
}
