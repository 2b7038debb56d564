/** Statistics (报表), wired: the daily report per line, queue or agent over REST (JSON and CSV). */
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import { statisticsRoutes } from './routes.ts'
import { StatisticsStore } from './store.ts'

export function createStatistics(d: { config: Config; sql: Sql; clock: Clock }): Contribution {
  return { routes: [statisticsRoutes({ store: new StatisticsStore(d.sql), timeZone: d.config.HOTLINE_TIMEZONE, now: () => d.clock.now() })] }
}
