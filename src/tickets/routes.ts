/**
 * Tickets over REST: accept, search, read with the audit trail, and one POST per life-cycle
 * step. Every step names the version it was decided on; a stale version is a 409.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { bearerSecurity, requireRole, type Role } from '../auth/plugin.ts'
import {
  EVALUATION_METHODS, EVALUATION_RESULTS, SUPERVISE_METHODS, TICKET_CHANNELS, TICKET_STATUSES, UNIT_KINDS, URGENCIES,
  type Actor, type Ticket, type TicketAction
} from './model.ts'
import { isOverdue, rolesFor } from './rules.ts'
import type { TicketService } from './service.ts'

const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Enum = <T extends string>(values: readonly T[], description?: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) })
const Ts = Nullable(Type.String({ format: 'date-time' }))

const UnitId = Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: 'unit id' })
const PhoneNumber = Type.String({ pattern: '^[0-9+*#]{2,32}$' })
const TicketNumberPattern = '[0-9]{3,8}-[0-9]{8}-[0-9]{6,}'
const TicketRef = Type.Object({
  id: Type.String({ pattern: `^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|${TicketNumberPattern})$`, description: 'ticket id (uuid) or ticket number' })
})
const Version = Type.Integer({ minimum: 1, description: 'the ticket version the change was decided on (optimistic concurrency)' })
const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) })

const TicketSchema = Type.Object({
  id: Type.String(), number: Type.String(), status: Enum(TICKET_STATUSES), callerNumber: Type.String(), callerName: Nullable(Type.String()),
  channel: Enum(TICKET_CHANNELS), lineNumber: Nullable(Type.String()), categoryCode: Type.String(), content: Type.String(), address: Nullable(Type.String()),
  urgency: Enum(URGENCIES), limitHours: Type.Integer(), deadline: Type.String({ format: 'date-time' }), overdue: Type.Boolean(), open: Type.Boolean(),
  resolvedOnCall: Type.Boolean(), leadUnitId: Nullable(Type.String()), coUnitIds: Type.Array(Type.String()), acceptedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }), dispatchedAt: Ts, signedForAt: Ts, repliedAt: Ts, reply: Nullable(Type.String()), closedAt: Ts,
  version: Type.Integer(), redispatchCount: Type.Integer(), reopenCount: Type.Integer(), keySupervision: Type.Boolean(), repeatOf: Nullable(Type.String()),
  evaluationResult: Nullable(Enum(EVALUATION_RESULTS)), evaluationDigits: Nullable(Type.String()), evaluatedAt: Ts, evaluationMethod: Nullable(Enum(EVALUATION_METHODS))
})

const EventSchema = Type.Object({
  id: Type.Integer(), at: Type.String({ format: 'date-time' }), actorId: Type.String(), actorRole: Type.String(), action: Type.String(),
  fromStatus: Nullable(Type.String()), toStatus: Nullable(Type.String()), detail: Type.Record(Type.String(), Type.Unknown())
})

const AcceptBody = Type.Object({
  callerNumber: PhoneNumber,
  callerName: Type.Optional(Type.String({ maxLength: 100 })),
  channel: Type.Optional(Enum(TICKET_CHANNELS, 'how the request came in; default phone')),
  lineNumber: Type.Optional(PhoneNumber),
  categoryCode: Type.String({ pattern: '^[a-z0-9_-]{1,40}$', description: 'a code from GET /v1/ticket-categories' }),
  content: Text(10_000, 'what the caller asks or reports'),
  address: Type.Optional(Type.String({ maxLength: 500 })),
  urgency: Type.Optional(Enum(URGENCIES, 'default normal')),
  callId: Type.Optional(Type.String({ format: 'uuid', description: 'the call the ticket is accepted on; linked with its recording' })),
  resolvedOnCall: Type.Optional(Type.Boolean({ description: '即办: answered on the call, closed at once and queued for follow-up' })),
  note: Type.Optional(Type.String({ maxLength: 2000 }))
}, { additionalProperties: false })

/** Bodies of the life-cycle steps; each maps to one TicketAction. */
const steps = {
  dispatch: {
    summary: 'Dispatch (派单) to a lead unit (主办) and co-units (协办); on a dispatched or returned ticket this is a re-dispatch (改派)',
    body: Type.Object({ version: Version, leadUnitId: UnitId, coUnitIds: Type.Optional(Type.Array(UnitId, { maxItems: 20 })), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    action: (b: { leadUnitId: string; coUnitIds?: string[]; note?: string }): TicketAction => ({ type: 'dispatch', leadUnitId: b.leadUnitId, coUnitIds: b.coUnitIds ?? [], ...(b.note ? { note: b.note } : {}) })
  },
  'sign-for': {
    summary: 'Sign for (签收) a dispatched ticket (its lead unit)',
    body: Type.Object({ version: Version }, { additionalProperties: false }),
    action: (): TicketAction => ({ type: 'sign-for' })
  },
  reply: {
    summary: "Reply (答复) as the lead unit; a co-unit's reply is recorded as its note to the lead unit",
    body: Type.Object({ version: Version, content: Text(10_000) }, { additionalProperties: false }),
    action: (b: { content: string }): TicketAction => ({ type: 'reply', content: b.content })
  },
  return: {
    summary: 'Return (退单) the ticket to the center, with the reason',
    body: Type.Object({ version: Version, reason: Text(2000) }, { additionalProperties: false }),
    action: (b: { reason: string }): TicketAction => ({ type: 'return', reason: b.reason })
  },
  close: {
    summary: "Close (办结) a replied ticket; queues the follow-up call (回访)",
    body: Type.Object({ version: Version, note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    action: (b: { note?: string }): TicketAction => ({ type: 'close', ...(b.note ? { note: b.note } : {}) })
  },
  reopen: {
    summary: 'Reopen (退回重办) a closed ticket or a reply that does not meet the standard',
    body: Type.Object({ version: Version, reason: Text(2000) }, { additionalProperties: false }),
    action: (b: { reason: string }): TicketAction => ({ type: 'reopen', reason: b.reason })
  },
  supervise: {
    summary: 'Supervise (督办) an open ticket: recorded in its audit trail',
    body: Type.Object({ version: Version, note: Text(2000), method: Type.Optional(Enum(SUPERVISE_METHODS)) }, { additionalProperties: false }),
    action: (b: { note: string; method?: (typeof SUPERVISE_METHODS)[number] }): TicketAction => ({ type: 'supervise', note: b.note, ...(b.method ? { method: b.method } : {}) })
  },
  evaluate: {
    summary: "Record the caller's evaluation (评价) of a closed ticket; unsatisfied reopens it",
    body: Type.Object({
      version: Version, result: Enum(EVALUATION_RESULTS),
      digits: Type.Optional(Type.String({ pattern: '^[0-9*#]{1,8}$', description: 'the keys the caller pressed' })),
      method: Type.Optional(Enum(EVALUATION_METHODS, 'default agent-call'))
    }, { additionalProperties: false }),
    action: (b: { result: (typeof EVALUATION_RESULTS)[number]; digits?: string; method?: (typeof EVALUATION_METHODS)[number] }): TicketAction =>
      ({ type: 'evaluate', result: b.result, digits: b.digits ?? null, method: b.method ?? 'agent-call' })
  }
} as const

export function presentTicket(t: Ticket, now: number) {
  const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString())
  return {
    ...t, deadline: new Date(t.deadline).toISOString(), createdAt: new Date(t.createdAt).toISOString(), dispatchedAt: iso(t.dispatchedAt),
    signedForAt: iso(t.signedForAt), repliedAt: iso(t.repliedAt), closedAt: iso(t.closedAt), evaluatedAt: iso(t.evaluatedAt),
    overdue: isOverdue(t, now), open: t.status !== 'closed'
  }
}

export function actorOf(request: FastifyRequest): Actor {
  return { id: request.user.sub, role: request.user.role, unitId: request.user.unitId ?? null }
}

export function ticketRoutes(deps: { tickets: TicketService; now: () => number }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const staff = requireRole('agent', 'supervisor', 'admin')
    const anyone = requireRole('agent', 'supervisor', 'admin', 'unit')
    const tags = ['tickets']

    app.post('/v1/tickets', {
      preHandler: staff,
      schema: { tags, security: bearerSecurity, summary: 'Accept (受理) a ticket; with resolvedOnCall it is closed at once (即办)', body: AcceptBody, response: { 201: TicketSchema, ...errors } }
    }, async (request, reply) => {
      const b = request.body
      const ticket = await deps.tickets.accept({
        callerNumber: b.callerNumber, callerName: b.callerName ?? null, channel: b.channel ?? 'phone', lineNumber: b.lineNumber ?? null,
        categoryCode: b.categoryCode, content: b.content, address: b.address ?? null, urgency: b.urgency ?? 'normal',
        ...(b.callId ? { callId: b.callId } : {}), ...(b.resolvedOnCall ? { resolvedOnCall: true } : {}), ...(b.note ? { note: b.note } : {})
      }, actorOf(request))
      return reply.code(201).send(presentTicket(ticket, deps.now()))
    })

    app.get('/v1/tickets', {
      preHandler: anyone,
      schema: {
        tags, security: bearerSecurity, summary: 'Search tickets, newest first (units see only their own)',
        querystring: Type.Object({
          callerNumber: Type.Optional(PhoneNumber), number: Type.Optional(Type.String({ pattern: `^${TicketNumberPattern}$` })),
          status: Type.Optional(Enum(TICKET_STATUSES)), from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ tickets: Type.Array(TicketSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }), ...errors }
      }
    }, async (request) => {
      const q = request.query
      const { tickets, total } = await deps.tickets.search({
        ...(q.callerNumber ? { callerNumber: q.callerNumber } : {}), ...(q.number ? { number: q.number } : {}), ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { from: Date.parse(q.from) } : {}), ...(q.to ? { to: Date.parse(q.to) } : {}), limit: q.limit, offset: q.offset
      }, actorOf(request))
      const now = deps.now()
      return { tickets: tickets.map((t) => presentTicket(t, now)), total, limit: q.limit, offset: q.offset }
    })

    app.get('/v1/tickets/:id', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: 'One ticket, by id or number', params: TicketRef, response: { 200: TicketSchema, ...errors } }
    }, async (request) => presentTicket(await deps.tickets.get(request.params.id, actorOf(request)), deps.now()))

    app.get('/v1/tickets/:id/events', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: "The ticket's audit trail, oldest first", params: TicketRef, response: { 200: Type.Array(EventSchema), ...errors } }
    }, async (request) => {
      const { events } = await deps.tickets.events(request.params.id, actorOf(request))
      return events.map((e) => ({ id: e.id, at: new Date(e.at).toISOString(), actorId: e.actorId, actorRole: e.actorRole, action: e.action, fromStatus: e.fromStatus, toStatus: e.toStatus, detail: e.detail }))
    })

    for (const [name, step] of Object.entries(steps)) {
      const roles = rolesFor(name as keyof typeof steps).filter((r): r is Role => r !== 'system')
      app.post(`/v1/tickets/:id/${name}`, {
        preHandler: requireRole(...roles),
        schema: { tags, security: bearerSecurity, summary: `${step.summary} [${roles.join(', ')}]`, params: TicketRef, body: step.body, response: { 200: TicketSchema, ...errors } }
      }, async (request) => {
        const body = request.body as { version: number } & Record<string, unknown>
        const action = (step.action as (b: unknown) => TicketAction)(body)
        const ticket = await deps.tickets.act((request.params as { id: string }).id, body.version, action, actorOf(request))
        return presentTicket(ticket, deps.now())
      })
    }

    app.get('/v1/units', {
      preHandler: anyone,
      schema: { tags: ['units'], security: bearerSecurity, summary: 'Handling units (联动单位)', response: { 200: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), kind: Enum(UNIT_KINDS), active: Type.Boolean() })), ...errors } }
    }, async () => deps.tickets.units())

    app.post('/v1/units', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['units'], security: bearerSecurity, summary: 'Create a handling unit',
        body: Type.Object({ id: UnitId, name: Text(100), kind: Enum(UNIT_KINDS) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), ...errors }
      }
    }, async (request, reply) => {
      await deps.tickets.createUnit(request.body)
      return reply.code(201).send({ id: request.body.id })
    })

    app.get('/v1/ticket-categories', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: 'Ticket categories and their handling time limits', response: { 200: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), limitHours: Type.Integer(), active: Type.Boolean() })), ...errors } }
    }, async () => deps.tickets.categories())
  }
}
