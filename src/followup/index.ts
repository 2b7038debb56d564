/**
 * The follow-up capability, wired: store, dialer (scheduler + survey), REST routes and the
 * supervisors' page. The composition root calls attachFollowUps and hands ARI events to
 * `handle`.
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { CallFlow } from '../calls/service.ts'
import type { Clock } from '../domain/clock.ts'
import type { Sql } from '../db/sql.ts'
import type { AriEvent } from '../pbx/ari/events.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { TicketService } from '../tickets/service.ts'
import { followUpRoutes } from './routes.ts'
import { FOLLOW_UP_ENTRY, FollowUpDialer, type DialerSettings } from './scheduler.ts'
import { FollowUpStore } from './store.ts'

export interface FollowUps {
  store: FollowUpStore
  dialer: FollowUpDialer
  handle(event: AriEvent): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

export async function attachFollowUps(deps: {
  app: FastifyInstance; sql: Sql; rest: AriRest; calls: CallFlow; tickets: TicketService; clock: Clock; log: Logger; settings: DialerSettings
}): Promise<FollowUps> {
  const store = new FollowUpStore(deps.sql)
  const dialer = new FollowUpDialer({ store, rest: deps.rest, tickets: deps.tickets, clock: deps.clock, log: deps.log.child({ component: 'dialer' }), settings: deps.settings })
  deps.calls.registerEntry(FOLLOW_UP_ENTRY, (channel, args) => dialer.onAnswered(channel, args))
  await deps.app.register(followUpRoutes({ store, tickets: deps.tickets, timeZone: deps.settings.timeZone, now: () => deps.clock.now() }))
  return {
    store, dialer,
    handle: (event) => dialer.handle(event),
    async start() { dialer.start() },
    close: () => dialer.stop()
  }
}
