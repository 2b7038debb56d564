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
import { INBOX_SECTIONS, rolesFor } from './rules.ts'
import { inboxItem, presentTicket } from './views.ts'
import { TicketErrors } from './errors.ts'
import type { TicketService } from './service.ts'
import type { AttachmentMeta } from './store.ts'
import { auditContext, type AuditLog } from '../audit/index.ts'
import { ErrorBodyWithDetails } from '../http/errors.ts'

const ErrorBody = ErrorBodyWithDetails
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Enum = <T extends string>(values: readonly T[], description?: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) })
const Ts = Nullable(Type.String({ format: 'date-time' }))

const UnitId = Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: 'unit id' })
const PhoneNumber = Type.String({ pattern: '^[0-9+*#]{2,32}$' })
const TicketNumberPattern = '[0-9]{3,8}-[0-9]{8}-[0-9]{6,}'
const TicketRefPattern = `^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|${TicketNumberPattern})$`
const TicketRef = Type.Object({ id: Type.String({ pattern: TicketRefPattern, description: 'ticket id (uuid) or ticket number' }) })
const Version = Type.Integer({ minimum: 1, description: 'the ticket version the change was decided on (optimistic concurrency)' })
const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) })

const TicketSchema = Type.Object({
  id: Type.String(), number: Type.String(), status: Enum(TICKET_STATUSES), callerNumber: Type.String(), callerName: Nullable(Type.String()),
  channel: Enum(TICKET_CHANNELS), lineNumber: Nullable(Type.String()), categoryCode: Type.String(), content: Type.String(), address: Nullable(Type.String()),
  urgency: Enum(URGENCIES), limitHours: Type.Integer(), deadline: Type.String({ format: 'date-time' }), overdue: Type.Boolean(), open: Type.Boolean(),
  resolvedOnCall: Type.Boolean(), leadUnitId: Nullable(Type.String()), coUnitIds: Type.Array(Type.String()), acceptedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }), dispatchedAt: Ts, signedForAt: Ts, repliedAt: Ts, reply: Nullable(Type.String()), closedAt: Ts,
  version: Type.Integer(), redispatchCount: Type.Integer(), reopenCount: Type.Integer(), keySupervision: Type.Boolean(), repeatOf: Nullable(Type.String()),
  evaluationResult: Nullable(Enum(EVALUATION_RESULTS)), evaluationDigits: Nullable(Type.String()), evaluatedAt: Ts, evaluationMethod: Nullable(Enum(EVALUATION_METHODS)),
  evaluationProcess: Nullable(Enum(EVALUATION_RESULTS)), evaluationSolved: Nullable(Type.Boolean()), evaluationRecordedBy: Nullable(Type.String()),
  evaluationAttemptId: Nullable(Type.String()), evaluationCallId: Nullable(Type.String()),
  contactAllowed: Type.Boolean(), callerHidden: Type.Boolean({ description: "true when the viewer is a unit and the caller did not allow contact: number and name are withheld" }),
  complaintUnitId: Nullable(Type.String()),
  pendingRequest: Nullable(Type.Object({ kind: Type.String(), unitId: Type.String(), reason: Type.String(), hours: Type.Optional(Type.Integer()), at: Type.String({ format: 'date-time' }) })),
  subUnitId: Nullable(Type.String()), subReply: Nullable(Type.Object({ unitId: Type.String(), content: Type.String(), at: Type.String({ format: 'date-time' }) })),
  coReplies: Type.Array(Type.String()), waitingForCoUnits: Type.Array(Type.String()), assignedUserId: Nullable(Type.String()), backupUserId: Nullable(Type.String()),
  mergedInto: Nullable(Type.String()), remindedBeforeAt: Ts, remindedAfterAt: Ts, escalated: Type.Boolean()
})
const TicketView = Type.Object({ ...TicketSchema.properties, callerNumber: Nullable(Type.String()) })

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
  note: Type.Optional(Type.String({ maxLength: 2000 })),
  contactAllowed: Type.Optional(Type.Boolean({ description: "the caller allows the handling unit to contact them: only then do units see the number (default false)" })),
  complaintUnitId: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: 'a complaint (投诉) about this unit' }))
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
      method: Type.Optional(Enum(EVALUATION_METHODS, "default agent-call; 'phone-dtmf' and the citizen channels are the dialer's alone")),
      process: Type.Optional(Enum(EVALUATION_RESULTS, '服务过程满意度: satisfaction with the handling process')),
      solved: Type.Optional(Type.Boolean({ description: '是否解决: false reopens the ticket' })),
      callId: Type.Optional(Type.String({ format: 'uuid', description: 'your follow-up call with the citizen (found by itself when omitted)' }))
    }, { additionalProperties: false }),
    action: (b: { result: (typeof EVALUATION_RESULTS)[number]; digits?: string; method?: (typeof EVALUATION_METHODS)[number]; process?: (typeof EVALUATION_RESULTS)[number]; solved?: boolean; callId?: string }): TicketAction =>
      ({
        type: 'evaluate', result: b.result, digits: b.digits ?? null, method: b.method ?? 'agent-call', ...(b.process ? { process: b.process } : {}),
        ...(b.solved !== undefined ? { solved: b.solved } : {}), ...(b.callId ? { callId: b.callId } : {})
      })
  },
  progress: {
    summary: 'Record handling progress (办理过程): a note the center sees',
    body: Type.Object({ version: Version, note: Text(5000) }, { additionalProperties: false }),
    action: (b: { note: string }): TicketAction => ({ type: 'progress', note: b.note })
  },
  'rule-return': {
    summary: "Rule on a unit's return request (派单异议审核): re-dispatch to another unit, or send it back with the ruling (首办负责)",
    body: Type.Object({
      version: Version, decision: Enum(['redispatch', 'reject'] as const), ruling: Text(2000),
      leadUnitId: Type.Optional(UnitId), coUnitIds: Type.Optional(Type.Array(UnitId, { maxItems: 20 }))
    }, { additionalProperties: false }),
    action: (b: { decision: 'redispatch' | 'reject'; ruling: string; leadUnitId?: string; coUnitIds?: string[] }): TicketAction => {
      if (b.decision === 'reject') return { type: 'rule-return', decision: 'reject', ruling: b.ruling }
      if (!b.leadUnitId) throw new TicketErrors.invalid('body.leadUnitId: a re-dispatch names the unit it goes to')
      return { type: 'rule-return', decision: 'redispatch', ruling: b.ruling, leadUnitId: b.leadUnitId, coUnitIds: b.coUnitIds ?? [] }
    }
  },
  'request-extension': {
    summary: 'Ask the center for more time (延期申请), with the reason; the deadline moves only when approved',
    body: Type.Object({ version: Version, reason: Text(2000), hours: Type.Integer({ minimum: 1, maximum: 720 }) }, { additionalProperties: false }),
    action: (b: { reason: string; hours: number }): TicketAction => ({ type: 'request-extension', reason: b.reason, hours: b.hours })
  },
  'rule-extension': {
    summary: 'Approve or refuse an extension request (延期审批)',
    body: Type.Object({ version: Version, approve: Type.Boolean(), ruling: Text(2000) }, { additionalProperties: false }),
    action: (b: { approve: boolean; ruling: string }): TicketAction => ({ type: 'rule-extension', approve: b.approve, ruling: b.ruling })
  },
  transfer: {
    summary: 'Pass the ticket to a unit beneath the lead unit (转办); its reply comes back for review',
    body: Type.Object({ version: Version, subUnitId: UnitId, note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    action: (b: { subUnitId: string; note?: string }): TicketAction => ({ type: 'transfer', subUnitId: b.subUnitId, subUnitParentId: null, ...(b.note ? { note: b.note } : {}) })
  },
  'review-sub-reply': {
    summary: "Review (审核) the reply of the unit beneath: approved, it leaves as the lead unit's reply; refused, it goes back",
    body: Type.Object({ version: Version, approve: Type.Boolean(), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    action: (b: { approve: boolean; note?: string }): TicketAction => ({ type: 'review-sub-reply', approve: b.approve, ...(b.note ? { note: b.note } : {}) })
  },
  assign: {
    summary: 'Assign the ticket to a user of the lead unit (A角), with a backup (B角) who sees and acts on it too',
    body: Type.Object({ version: Version, userId: Type.String({ minLength: 1, maxLength: 64 }), backupUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false }),
    action: (b: { userId: string; backupUserId?: string }): TicketAction => ({ type: 'assign', userId: b.userId, backupUserId: b.backupUserId ?? null })
  },
  merge: {
    summary: 'Merge (并单) a newly accepted request into an open ticket about the same matter: handled once, every citizen gets the reply and a follow-up',
    body: Type.Object({ version: Version, intoTicket: Type.String({ pattern: TicketRefPattern, description: 'the ticket (id or number) it joins' }), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    action: (b: { intoTicket: string; note?: string }): TicketAction => ({ type: 'merge', intoTicketId: b.intoTicket, intoNumber: '', ...(b.note ? { note: b.note } : {}) })
  },
  remind: {
    summary: 'Remind (催办) the unit handling the ticket, before or after its deadline',
    body: Type.Object({ version: Version, when: Enum(['before-deadline', 'after-deadline'] as const), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    action: (b: { when: 'before-deadline' | 'after-deadline'; note?: string }): TicketAction => ({ type: 'remind', when: b.when, ...(b.note ? { note: b.note } : {}) })
  },
  escalate: {
    summary: 'Raise the ticket for escalated supervision (升级督办)',
    body: Type.Object({ version: Version, reason: Text(2000) }, { additionalProperties: false }),
    action: (b: { reason: string }): TicketAction => ({ type: 'escalate', reason: b.reason })
  }
} as const

export function actorOf(request: FastifyRequest): Actor {
  return { id: request.user.sub, role: request.user.role, unitId: request.user.unitId ?? null }
}

export function ticketRoutes(deps: { tickets: TicketService; now: () => number; attachmentMaxBytes: number; audit: AuditLog }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const staff = requireRole('agent', 'supervisor', 'admin')
    const anyone = requireRole('agent', 'supervisor', 'admin', 'unit')
    const tags = ['tickets']

    app.post('/v1/tickets', {
      preHandler: staff,
      schema: { tags, security: bearerSecurity, summary: 'Accept (受理) a ticket; with resolvedOnCall it is closed at once (即办)', body: AcceptBody, response: { 201: TicketView, ...errors } }
    }, async (request, reply) => {
      const b = request.body
      const ticket = await deps.tickets.accept({
        callerNumber: b.callerNumber, callerName: b.callerName ?? null, channel: b.channel ?? 'phone', lineNumber: b.lineNumber ?? null,
        categoryCode: b.categoryCode, content: b.content, address: b.address ?? null, urgency: b.urgency ?? 'normal',
        ...(b.callId ? { callId: b.callId } : {}), ...(b.resolvedOnCall ? { resolvedOnCall: true } : {}), ...(b.note ? { note: b.note } : {}),
        contactAllowed: b.contactAllowed ?? false, complaintUnitId: b.complaintUnitId ?? null
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
        response: { 200: Type.Object({ tickets: Type.Array(TicketView), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }), ...errors }
      }
    }, async (request) => {
      const q = request.query
      // A unit must not learn a withheld number by searching for it.
      if (request.user.role === 'unit' && q.callerNumber) throw new TicketErrors.forbidden("units do not search by the caller's number")
      const { tickets, total } = await deps.tickets.search({
        ...(q.callerNumber ? { callerNumber: q.callerNumber } : {}), ...(q.number ? { number: q.number } : {}), ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { from: Date.parse(q.from) } : {}), ...(q.to ? { to: Date.parse(q.to) } : {}), limit: q.limit, offset: q.offset
      }, actorOf(request))
      const now = deps.now()
      return { tickets: tickets.map((t) => presentTicket(t, now, request.user)), total, limit: q.limit, offset: q.offset }
    })

    app.get('/v1/tickets/:id', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: 'One ticket, by id or number', params: TicketRef, response: { 200: TicketView, ...errors } }
    }, async (request) => presentTicket(await deps.tickets.get(request.params.id, actorOf(request)), deps.now(), request.user))

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
        schema: { tags, security: bearerSecurity, summary: `${step.summary} [${roles.join(', ')}]`, params: TicketRef, body: step.body, response: { 200: TicketView, ...errors } }
      }, async (request) => {
        const body = request.body as { version: number } & Record<string, unknown>
        const action = (step.action as (b: unknown) => TicketAction)(body)
        const ticket = await deps.tickets.act((request.params as { id: string }).id, body.version, action, actorOf(request))
        return presentTicket(ticket, deps.now(), request.user)
      })
    }

    app.get('/v1/units', {
      preHandler: anyone,
      schema: { tags: ['units'], security: bearerSecurity, summary: 'Handling units (联动单位)', response: { 200: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), kind: Enum(UNIT_KINDS), active: Type.Boolean(), parentId: Nullable(Type.String()) })), ...errors } }
    }, async () => deps.tickets.units())

    app.post('/v1/units', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['units'], security: bearerSecurity, summary: 'Create a handling unit',
        body: Type.Object({ id: UnitId, name: Text(100), kind: Enum(UNIT_KINDS), parentId: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: 'the unit above it (转办 goes down this line)' })) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), ...errors }
      }
    }, async (request, reply) => {
      await deps.tickets.createUnit(request.body)
      return reply.code(201).send({ id: request.body.id })
    })

    // The inbox lists what a card shows (a unit may hold 10,000 tickets); the detail is GET /v1/tickets/{id}.
    const InboxItem = Type.Object({
      id: Type.String(), number: Type.String(), status: Enum(TICKET_STATUSES), version: Type.Integer(), categoryCode: Type.String(),
      content: Type.String({ description: 'the first 60 characters' }), urgency: Enum(URGENCIES), deadline: Type.String({ format: 'date-time' }),
      leadUnitId: Nullable(Type.String()), escalated: Type.Boolean(), keySupervision: Type.Boolean(), reopenCount: Type.Integer(),
      pendingRequest: Nullable(Type.String({ description: "'return' or 'extension' waiting for the center" })), subReplyWaiting: Type.Boolean(), waitingForCoUnits: Type.Array(Type.String())
    })
    app.get('/v1/units/me/inbox', {
      preHandler: requireRole('unit'),
      schema: {
        tags: ['units'], security: bearerSecurity,
        summary: "The unit's inbox: how many tickets it handles in each section (new, signed-for, due-soon, overdue, returned, pending-request, review, co-handling), counted over all of them, and the earliest-due perSection of each; section and offset page further through one section",
        querystring: Type.Object({
          perSection: Type.Integer({ minimum: 1, maximum: 20000, default: 200, description: 'cards per section' }),
          section: Type.Optional(Enum(INBOX_SECTIONS)),
          offset: Type.Integer({ minimum: 0, default: 0, description: 'skip this many of each section (earliest due first): the next page of a section is ?section=…&offset=<cards shown>' })
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ unitId: Type.String(), now: Type.String({ format: 'date-time' }), sections: Type.Record(Type.String(), Type.Integer()), tickets: Type.Array(Type.Object({ section: Type.String(), ticket: InboxItem })) }), ...errors }
      }
    }, async (request) => {
      const actor = actorOf(request)
      const now = deps.now()
      const { perSection, offset, section } = request.query
      const inbox = await deps.tickets.inbox(actor, { perSection, offset, section })
      await deps.audit.record({ ...auditContext(request), action: 'ticket.inbox-read', target: actor.unitId, outcome: 'success', details: { tickets: inbox.tickets.length, ...(section ? { section } : {}), ...(offset ? { offset } : {}) } })
      return { unitId: actor.unitId!, now: new Date(now).toISOString(), sections: inbox.sections, tickets: inbox.tickets.map((e) => ({ section: e.section, ticket: inboxItem(e.ticket) })) }
    })

    app.get('/v1/ticket-review-desk', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags, security: bearerSecurity, summary: 'The supervisors\' review desk: return and extension requests waiting for a ruling, key supervision, escalations, overdue tickets',
        response: {
          200: Type.Object({
            returns: Type.Array(TicketView), extensions: Type.Array(TicketView), keySupervision: Type.Array(TicketView), escalated: Type.Array(TicketView), overdue: Type.Array(TicketView),
            escalations: Type.Array(Type.Object({ id: Type.Integer(), kind: Type.String(), key: Type.String(), unitId: Nullable(Type.String()), count: Type.Integer(), windowDays: Type.Integer(), ticketIds: Type.Array(Type.String()), createdAt: Type.String({ format: 'date-time' }) }))
          }),
          ...errors
        }
      }
    }, async () => {
      const desk = await deps.tickets.reviewDesk()
      const now = deps.now()
      const p = (list: Ticket[]) => list.map((t) => presentTicket(t, now))
      return {
        returns: p(desk.returns), extensions: p(desk.extensions), keySupervision: p(desk.keySupervision), escalated: p(desk.escalated), overdue: p(desk.overdue),
        escalations: desk.escalations.map((e) => ({ ...e, createdAt: new Date(e.createdAt).toISOString() }))
      }
    })

    app.post('/v1/ticket-reminders', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: { tags, security: bearerSecurity, summary: 'Send the reminders (催办) due now: before the deadline and after it, once each per round (the server also does this on a timer)', response: { 200: Type.Object({ sent: Type.Integer() }), ...errors } }
    }, async () => ({ sent: await deps.tickets.sendDueReminders() }))

    app.get('/v1/tickets/:id/merged', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: 'Requests merged into this ticket (并单)', params: TicketRef, response: { 200: Type.Array(TicketView), ...errors } }
    }, async (request) => {
      const ticket = await deps.tickets.get(request.params.id, actorOf(request))
      const now = deps.now()
      return (await deps.tickets.merged(ticket.id)).map((t) => presentTicket(t, now, request.user))
    })

    const AttachmentSchema = Type.Object({ id: Type.String(), ticketId: Type.String(), name: Type.String(), contentType: Type.String(), size: Type.Integer(), sha256: Type.String(), uploadedBy: Type.String(), unitId: Nullable(Type.String()), createdAt: Type.String({ format: 'date-time' }) })
    const presentAttachment = (a: AttachmentMeta) => ({ ...a, createdAt: new Date(a.createdAt).toISOString() })
    app.post('/v1/tickets/:id/attachments', {
      preHandler: anyone,
      // Base64 in JSON: a third larger than the file, so the body limit is the file limit plus that.
      bodyLimit: Math.ceil(deps.attachmentMaxBytes * 4 / 3) + 4096,
      schema: {
        tags, security: bearerSecurity, summary: 'Attach a photo or document (size and type limited; stored in PostgreSQL with the ticket)', params: TicketRef,
        body: Type.Object({ name: Text(200), contentType: Type.String({ minLength: 3, maxLength: 200 }), data: Type.String({ minLength: 1, contentEncoding: 'base64', description: 'the file, base64' }) }, { additionalProperties: false }),
        response: { 201: AttachmentSchema, 413: ErrorBody, ...errors }
      }
    }, async (request, reply) => {
      const b = request.body
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b.data)) throw new TicketErrors.invalid('body.data: is not base64')
      const meta = await deps.tickets.attach(request.params.id, { name: b.name, contentType: b.contentType, data: Buffer.from(b.data, 'base64') }, actorOf(request))
      return reply.code(201).send(presentAttachment(meta))
    })
    app.get('/v1/tickets/:id/attachments', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: "The ticket's attachments", params: TicketRef, response: { 200: Type.Array(AttachmentSchema), ...errors } }
    }, async (request) => (await deps.tickets.attachments(request.params.id, actorOf(request))).map(presentAttachment))
    app.get('/v1/tickets/:id/attachments/:attachmentId', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: 'Download one attachment', params: Type.Object({ id: TicketRef.properties.id, attachmentId: Type.String({ format: 'uuid' }) }) }
    }, async (request, reply) => {
      const file = await deps.tickets.attachment(request.params.id, request.params.attachmentId, actorOf(request))
      await deps.audit.record({ ...auditContext(request), action: 'ticket.attachment-download', target: file.ticketId, outcome: 'success', details: { attachmentId: file.id, name: file.name } })
      return reply.header('content-type', file.contentType).header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`).send(file.data)
    })

    app.get('/v1/ticket-categories', {
      preHandler: anyone,
      schema: { tags, security: bearerSecurity, summary: 'Ticket categories and their handling time limits', response: { 200: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), limitHours: Type.Integer(), active: Type.Boolean() })), ...errors } }
    }, async () => deps.tickets.categories())
  }
}
