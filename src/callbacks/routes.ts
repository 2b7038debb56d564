/** Callbacks over REST: the line's callback figures per day (JSON or CSV) and the pending tasks. */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { DialerErrors } from '../dialer/errors.ts'
import { dayStart } from '../domain/local-time.ts'
import { toCsv } from '../domain/csv.ts'
import type { CallbackStatus, CallbackStore } from './store.ts'

export const CALLBACK_COLUMNS = ['day', 'lineNumber', 'offered', 'requested', 'abandonedScheduled', 'attempts', 'connected', 'unreachable', 'cancelled', 'medianSecondsToConversation'] as const

export function callbackRoutes(deps: { store: CallbackStore; timeZone: string }): FastifyPluginAsync {
  const start = (day: string, plus = 0) => dayStart(day, deps.timeZone, plus)
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/v1/callbacks/stats', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags: ['callbacks'], security: bearerSecurity, summary: 'Callbacks per line and day: offers, requests, automatic callbacks after abandons, attempts, outcomes, median time from the original call to the conversation',
        querystring: Type.Object({ from: Type.String({ format: 'date' }), to: Type.String({ format: 'date' }), format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'] })) }, { additionalProperties: false })
      }
    }, async (request, reply) => {
      const { from, to, format } = request.query
      if (from > to) throw new DialerErrors.invalid(`querystring.from: ${from} is after querystring.to ${to}`)
      const rows = await deps.store.stats(start(from), start(to, 1), deps.timeZone)
      if (format === 'csv') {
        return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="callbacks-${from}-${to}.csv"`)
          .serializer((p: unknown) => p as string).send(toCsv(CALLBACK_COLUMNS, rows as unknown as Record<string, unknown>[]) as never)
      }
      return { from, to, timeZone: deps.timeZone, rows }
    })
    app.get('/v1/callbacks', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags: ['callbacks'], security: bearerSecurity, summary: 'Callback tasks, newest first',
        querystring: Type.Object({ status: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['due', 'queued', 'in-progress', 'done', 'unreachable', 'cancelled'] })), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false })
      }
    }, async (request) => {
      const { status, limit } = request.query
      return { tasks: await deps.store.list(status as CallbackStatus | undefined, limit) }
    })
  }
}
