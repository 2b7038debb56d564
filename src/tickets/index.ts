/**
 * Tickets (工单), wired: the ticket service on its store, the REST routes, the units' workspace
 * pages and their /unit Socket.IO namespace (inbox pushes and the reminder sweep).
 */
import type { Logger } from 'pino'
import type { Server } from 'socket.io'
import type { AuditLog } from '../audit/index.ts'
import type { SocketSessions } from '../auth/socket-sessions.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import { ticketRoutes } from './routes.ts'
import { TicketService, ticketSettings } from './service.ts'
import { TicketStore } from './store.ts'
import { attachUnitWorkspace, registerWorkspacePages } from './workspace.ts'

export interface Tickets extends Contribution {
  tickets: TicketService
}

export function createTickets(d: { config: Config; sql: Sql; clock: Clock; log: Logger; audit: AuditLog }): Tickets {
  const tickets = new TicketService(ticketSettings(d.config, new TicketStore(d.sql), d.clock, d.log.child({ component: 'tickets' })))
  const now = () => d.clock.now()
  let workspace: { close(): void } | undefined
  return {
    tickets,
    routes: [ticketRoutes({ tickets, now, attachmentMaxBytes: d.config.HOTLINE_ATTACHMENT_MAX_BYTES, audit: d.audit }), registerWorkspacePages],
    sockets(realtime: { io: Server; sessions: SocketSessions }) {
      workspace = attachUnitWorkspace({ io: realtime.io, sessions: realtime.sessions, tickets, now, log: d.log.child({ component: 'unit-workspace' }), reminderSweepMs: d.config.HOTLINE_REMINDER_SWEEP_S * 1000 })
    },
    stop() { workspace?.close() }
  }
}
