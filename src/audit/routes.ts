/** The auditor's view of the audit log: query (newest first, paged) and CSV export. */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { toCsv } from '../domain/csv.ts'
import { AUDIT_ACTION_PATTERN, type AuditOutcome } from './model.ts'
import type { AuditStore } from './store.ts'
import { ErrorBody } from '../http/errors.ts'

const Outcome = Type.Unsafe<AuditOutcome>({ type: 'string', enum: ['success', 'failure', 'denied'] })
const Row = Type.Object({
  id: Type.String(), at: Type.String({ format: 'date-time' }), actor: Type.Union([Type.String(), Type.Null()]), actorRole: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(), target: Type.Union([Type.String(), Type.Null()]), outcome: Outcome, ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown())
})
const COLUMNS = ['id', 'at', 'actor', 'actorRole', 'action', 'target', 'outcome', 'ip', 'details'] as const

export function auditRoutes(deps: { store: AuditStore }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/v1/audit', {
      preHandler: requireRole('auditor'),
      schema: {
        tags: ['audit'], security: bearerSecurity,
        summary: 'The security audit log (安全审计), newest first; format=csv (or Accept: text/csv) downloads it. Auditors only.',
        querystring: Type.Object({
          from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })),
          actor: Type.Optional(Type.String({ maxLength: 64 })), action: Type.Optional(Type.String({ pattern: AUDIT_ACTION_PATTERN, maxLength: 64 })),
          outcome: Type.Optional(Outcome), target: Type.Optional(Type.String({ maxLength: 200 })),
          beforeId: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'paging: rows older than this id' })),
          limit: Type.Integer({ minimum: 1, maximum: 10000, default: 200 }),
          format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'] }))
        }, { additionalProperties: false }),
        response: { 200: Type.Array(Row), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }
      }
    }, async (request, reply) => {
      const q = request.query
      const rows = await deps.store.list({
        ...(q.from ? { from: new Date(q.from) } : {}), ...(q.to ? { to: new Date(q.to) } : {}),
        ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}), ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.target ? { target: q.target } : {}), ...(q.beforeId ? { beforeId: q.beforeId } : {}), limit: q.limit
      })
      const csv = q.format === 'csv' || (q.format === undefined && /^text\/csv/.test(request.headers.accept ?? ''))
      if (csv) {
        const body = toCsv(COLUMNS, rows.map((r) => ({ ...r, at: r.at.toISOString(), details: JSON.stringify(r.details) })))
        return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"')
          // The JSON response schema must not touch the CSV text.
          .serializer((payload: unknown) => payload as string).send(body as never)
      }
      return rows.map((r) => ({ ...r, at: r.at.toISOString() }))
    })
  }
}
