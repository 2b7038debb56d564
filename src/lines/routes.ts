/** Administration of lines, queues, routing profiles and not-ready reasons. */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import createError from '@fastify/error'
import { Type, type Static } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import type { QueueDirectory } from '../queueing/store.ts'
import { ROUTING_STRATEGIES } from '../queueing/model.ts'
import { LINE_KINDS, type LineConfig } from './model.ts'
import type { RoutingRecords } from './store.ts'
import { ErrorBody } from '../http/errors.ts'

const RoutingErrors = {
  noSuchQueue: createError<[string, string]>('HOTLINE_ROUTING_NO_SUCH_QUEUE', "%s: no queue '%s'", 400),
  queueNotFound: createError<[string]>('HOTLINE_ROUTING_QUEUE_NOT_FOUND', "no queue '%s'", 404),
  queueInUse: createError<[string]>('HOTLINE_ROUTING_QUEUE_IN_USE', "queue '%s' is still used by a line or another queue's overflow", 409),
  lineNotFound: createError<[string]>('HOTLINE_ROUTING_LINE_NOT_FOUND', "no line '%s'", 404),
  agentNotFound: createError<[string]>('HOTLINE_ROUTING_AGENT_NOT_FOUND', "no agent '%s'", 404),
  badHours: createError<[string]>('HOTLINE_ROUTING_BAD_HOURS', '%s', 400),
  reasonNotFound: createError<[string]>('HOTLINE_ROUTING_REASON_NOT_FOUND', "no not-ready reason '%s'", 404),
  lastReason: createError<[]>('HOTLINE_ROUTING_LAST_REASON', 'agents need at least one not-ready reason; add another before deleting this one', 409)
}

const QueueId = Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })
const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()])

export const QueueBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  strategy: Type.Unsafe<(typeof ROUTING_STRATEGIES)[number]>({ type: 'string', enum: [...ROUTING_STRATEGIES], default: 'longest-idle' }),
  requiredSkills: Type.Array(Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }), { maxItems: 20, default: [] }),
  wrapUpSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 10 }),
  ringTimeoutSeconds: Type.Integer({ minimum: 3, maximum: 120, default: 15 }),
  maxWaitSeconds: Nullable(Type.Integer({ minimum: 1, maximum: 86400 })),
  overflowQueueId: Nullable(QueueId),
  announceEverySeconds: Nullable(Type.Integer({ minimum: 10, maximum: 3600 }))
}, { additionalProperties: false })

const Hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' })
export const LineBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  kind: Type.Unsafe<(typeof LINE_KINDS)[number]>({ type: 'string', enum: [...LINE_KINDS] }),
  queueId: QueueId,
  greeting: Nullable(Type.String({ pattern: '^sound:[A-Za-z0-9_/-]{1,100}$' })),
  priority: Type.Integer({ minimum: 0, maximum: 9, default: 0 }),
  hours: Nullable(Type.Array(Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }), open: Hhmm, close: Hhmm }, { additionalProperties: false }), { maxItems: 14 })),
  closedDates: Type.Array(Type.String({ format: 'date' }), { maxItems: 366, default: [] }),
  overflowQueueId: Nullable(QueueId),
  overflowAfterSeconds: Nullable(Type.Integer({ minimum: 1, maximum: 3600 }))
}, { additionalProperties: false })

export function routingRoutes(deps: { records: RoutingRecords; directory: QueueDirectory; onReasonsChanged?: () => Promise<void> }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const admin = requireRole('admin')
    const staff = requireRole('supervisor', 'admin')
    const checkQueue = async (field: string, id: string | null) => {
      if (id !== null && !(await deps.records.queueExists(id))) throw new RoutingErrors.noSuchQueue(field, id)
    }

    app.put('/v1/queues/:queueId', {
      preHandler: admin,
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'Create or change a queue', params: Type.Object({ queueId: QueueId }), body: QueueBody, response: { 200: Type.Object({ id: Type.String(), result: Type.String() }), 400: ErrorBody } }
    }, async (request) => {
      const b = request.body as Static<typeof QueueBody>
      if (b.overflowQueueId !== null && b.overflowQueueId !== request.params.queueId) await checkQueue('body.overflowQueueId', b.overflowQueueId)
      const result = await deps.records.upsertQueue({ id: request.params.queueId, ...b })
      await deps.directory.refresh()
      return { id: request.params.queueId, result }
    })

    app.delete('/v1/queues/:queueId', {
      preHandler: admin,
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'Delete an unused queue', params: Type.Object({ queueId: QueueId }), response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody } }
    }, async (request, reply) => {
      const result = await deps.records.deleteQueue(request.params.queueId)
      if (result === 'missing') throw new RoutingErrors.queueNotFound(request.params.queueId)
      if (result === 'in-use') throw new RoutingErrors.queueInUse(request.params.queueId)
      await deps.directory.refresh()
      return reply.code(204).send(null)
    })

    const ReasonCode = Type.String({ pattern: '^[a-z0-9_-]{1,40}$' })
    const ReasonSchema = Type.Object({ code: Type.String(), label: Type.String() })
    app.get('/v1/not-ready-reasons', {
      preHandler: requireRole('agent', 'supervisor', 'admin'),
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'The center\'s not-ready reasons (示忙原因), in display order', response: { 200: Type.Array(ReasonSchema) } }
    }, async () => deps.records.notReadyReasons())

    app.put('/v1/not-ready-reasons/:code', {
      preHandler: admin,
      schema: {
        tags: ['routing'], security: bearerSecurity, summary: 'Create or change a not-ready reason',
        params: Type.Object({ code: ReasonCode }),
        body: Type.Object({ label: Type.String({ minLength: 1, maxLength: 40 }), sortOrder: Type.Integer({ minimum: 0, maximum: 999, default: 0 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ code: Type.String(), result: Type.String() }), 400: ErrorBody }
      }
    }, async (request) => {
      const body = request.body as { label: string; sortOrder: number }
      const result = await deps.records.upsertNotReadyReason(request.params.code, body.label, body.sortOrder)
      await deps.onReasonsChanged?.()
      return { code: request.params.code, result }
    })

    app.delete('/v1/not-ready-reasons/:code', {
      preHandler: admin,
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'Delete a not-ready reason', params: Type.Object({ code: ReasonCode }), response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody } }
    }, async (request, reply) => {
      const all = await deps.records.notReadyReasons()
      if (!all.some((r) => r.code === request.params.code)) throw new RoutingErrors.reasonNotFound(request.params.code)
      if (all.length === 1) throw new RoutingErrors.lastReason()
      await deps.records.deleteNotReadyReason(request.params.code)
      await deps.onReasonsChanged?.()
      return reply.code(204).send(null)
    })

    app.get('/v1/lines', {
      preHandler: staff,
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'Every line (dialled number) and how it routes' }
    }, async () => deps.directory.allLines())

    app.put('/v1/lines/:number', {
      preHandler: admin,
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'Create or change a line', params: Type.Object({ number: Type.String({ pattern: '^[0-9+*#]{2,32}$' }) }), body: LineBody, response: { 200: Type.Object({ number: Type.String(), result: Type.String() }), 400: ErrorBody } }
    }, async (request) => {
      const b = request.body as Static<typeof LineBody>
      await checkQueue('body.queueId', b.queueId)
      await checkQueue('body.overflowQueueId', b.overflowQueueId)
      for (const h of b.hours ?? []) if (h.close <= h.open) throw new RoutingErrors.badHours(`body.hours: close ${h.close} must be after open ${h.open}`)
      const line: LineConfig = { number: request.params.number, ...b }
      const result = await deps.records.upsertLine(line)
      await deps.directory.refresh()
      return { number: request.params.number, result }
    })

    app.delete('/v1/lines/:number', {
      preHandler: admin,
      schema: { tags: ['routing'], security: bearerSecurity, summary: 'Delete a line', params: Type.Object({ number: Type.String({ pattern: '^[0-9+*#]{2,32}$' }) }), response: { 204: Type.Null(), 404: ErrorBody } }
    }, async (request, reply) => {
      if (!(await deps.records.deleteLine(request.params.number))) throw new RoutingErrors.lineNotFound(request.params.number)
      await deps.directory.refresh()
      return reply.code(204).send(null)
    })

    app.put('/v1/agents/:agentId/profile', {
      preHandler: staff,
      schema: {
        tags: ['routing'], security: bearerSecurity, summary: "An agent's skills (with levels) and the queues they serve",
        params: Type.Object({ agentId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }),
        body: Type.Object({
          skills: Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }), Type.Integer({ minimum: 1, maximum: 10 })),
          queues: Type.Array(QueueId, { maxItems: 100 })
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ agentId: Type.String() }), 400: ErrorBody, 404: ErrorBody }
      }
    }, async (request) => {
      for (const [i, q] of request.body.queues.entries()) await checkQueue(`body.queues.${i}`, q)
      if (!(await deps.records.setProfile(request.params.agentId, request.body.skills, request.body.queues))) throw new RoutingErrors.agentNotFound(request.params.agentId)
      return { agentId: request.params.agentId }
    })
  }
}
