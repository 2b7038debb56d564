/**
 * The units' workspace (联动单位工作台): the /unit Socket.IO namespace (the same session check as every namespace, src/auth/socket-sessions.ts) that pushes a unit's
 * inbox changes (dispatched, returned, reminded, escalated…) and the page that shows them, plus
 * the reminder sweep (催办). A unit user's socket joins only its own unit's room, from the
 * verified token; every command checks the unit may read what it asks for.
 *
 * A notice carries no personal data (ticket id, number, status, why): the page fetches the
 * ticket over REST, where the caller's number is withheld unless contact is allowed.
 */
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { Namespace, Server } from 'socket.io'
import type { SocketSessions } from '../auth/socket-sessions.ts'
import type { SessionClientToServer } from '../realtime/contract.ts'
import type { TokenClaims } from '../auth/plugin.ts'
import { describeError } from '../http/errors.ts'
import { inboxItem, presentTicket } from './views.ts'
import type { TicketNotice, TicketService } from './service.ts'

export const WORKSPACE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workspace')

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }

/** Server → unit page. */
export interface UnitServerToClient {
  'ticket:notice': (notice: { ticketId: string; number: string; status: string; reason: TicketNotice['reason']; deadline: string; at: string }) => void
}
/** Unit page → server; always acknowledged. */
export interface UnitClientToServer extends SessionClientToServer {
  /** The earliest-due 200 of each section (GET /v1/units/me/inbox pages further). */
  'inbox:get': (ack: (res: Ack<{ section: string; ticket: ReturnType<typeof inboxItem> }[]>) => void) => void
  'ticket:get': (body: { id: string }, ack: (res: Ack<ReturnType<typeof presentTicket>>) => void) => void
}

export const unitRoom = (unitId: string) => `unit:${unitId}`

function fail<T>(err: unknown): Ack<T> {
  return { ok: false, error: describeError(err as Error).body }
}

export function attachUnitWorkspace(deps: { io: Server; sessions: SocketSessions; tickets: TicketService; now: () => number; log: Logger; reminderSweepMs: number }): { close(): void } {
  const { io, sessions, tickets, log } = deps
  const ns: Namespace<UnitClientToServer, UnitServerToClient> = io.of('/unit')
  sessions.protect(ns as unknown as Namespace, (user) => (user.role === 'unit' && user.unitId ? null : `role '${user.role}' may not join the units' workspace`))
  ns.on('connection', (socket) => {
    const user = socket.data.user as TokenClaims
    const actor = { id: user.sub, role: user.role, unitId: user.unitId ?? null }
    void socket.join(unitRoom(user.unitId!))
    socket.on('inbox:get', async (ack) => {
      if (typeof ack !== 'function') return
      try {
        ack({ ok: true, data: (await tickets.inbox(actor)).tickets.map((e) => ({ section: e.section, ticket: inboxItem(e.ticket) })) })
      } catch (err) { ack(fail(err)) }
    })
    socket.on('ticket:get', async (body, ack) => {
      if (typeof ack !== 'function') return
      const id = (body as { id?: unknown } | null)?.id
      if (typeof id !== 'string' || id.length > 64) return ack({ ok: false, error: { code: 'HOTLINE_BAD_REQUEST', message: 'body.id: a ticket id or number is required', details: { field: 'body.id' } } })
      try { ack({ ok: true, data: presentTicket(await tickets.get(id, actor), deps.now(), actor) }) } catch (err) { ack(fail(err)) }
    })
  })

  const onNotice = ({ ticket, unitIds, reason }: TicketNotice) => {
    const notice = { ticketId: ticket.id, number: ticket.number, status: ticket.status, reason, deadline: new Date(ticket.deadline).toISOString(), at: new Date(deps.now()).toISOString() }
    for (const unitId of unitIds) ns.to(unitRoom(unitId)).emit('ticket:notice', notice)
  }
  tickets.on('notice', onNotice)

  let timer: NodeJS.Timeout | undefined
  if (deps.reminderSweepMs > 0) {
    timer = setInterval(() => {
      tickets.sendDueReminders().then((n) => { if (n > 0) log.info({ sent: n }, 'reminders sent') }).catch((err) => log.warn({ err }, 'reminder sweep failed'))
    }, deps.reminderSweepMs)
    timer.unref()
  }
  return {
    close() {
      clearInterval(timer)
      tickets.off('notice', onNotice)
    }
  }
}

/** The pages: the units' workspace, the supervisors' review desk and the ticket KPI report. */
export async function registerWorkspacePages(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: WORKSPACE_DIR, prefix: '/workspace/', index: ['index.html'], decorateReply: false })
}

