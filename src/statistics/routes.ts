/** Daily statistics (日统计) per line, queue or agent, as JSON or as a CSV download. */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import createError from '@fastify/error'
import { Type, type TSchema } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { toCsv } from '../domain/csv.ts'
import { DEFAULT_THRESHOLDS, REPORT_BY, type KpiThresholds, type ReportBy } from './rules.ts'
import { buildDailyReport } from './service.ts'
import { daysBetweenInclusive } from '../domain/local-time.ts'
import type { StatisticsStore } from './store.ts'
import { ErrorBody } from '../http/errors.ts'

export const ReportErrors = {
  badRange: createError<[string]>('HOTLINE_REPORTS_BAD_RANGE', '%s', 400)
}

/** A year, leap years included; longer ranges belong to the monthly and yearly analyses. */
export const MAX_REPORT_DAYS = 366

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1 }))

/** Columns in report order; the CSV uses the same order (later additions go last, so spreadsheets reading columns by position keep working). */
export const CALL_COLUMNS = [
  'day', 'key', 'name', 'offered', 'answered', 'abandoned', 'shortAbandoned', 'overflowed', 'lost', 'waiting', 'answeredWithinSl',
  'answerRate', 'serviceLevel15', 'abandonRate', 'asaSeconds', 'ahtSeconds', 'longestWaitSeconds', 'callbacks'
] as const
export const AGENT_COLUMNS = [
  'day', 'key', 'name', 'offers', 'answered', 'ringNoAnswer', 'offerRejected', 'talkSeconds', 'ahtSeconds',
  'readySeconds', 'notReadySeconds', 'ringingSeconds', 'talkingSeconds', 'wrapUpSeconds', 'signedInSeconds', 'occupancy'
] as const

const RowKey = { day: Type.String({ format: 'date' }), key: Type.String(), name: Nullable(Type.String()) }
const CallRow = Type.Object({
  ...RowKey,
  offered: Type.Integer(), answered: Type.Integer(), abandoned: Type.Integer(), shortAbandoned: Type.Integer(),
  overflowed: Type.Integer(), lost: Type.Integer(), callbacks: Type.Integer(), waiting: Type.Integer(), answeredWithinSl: Type.Integer(),
  answerRate: Rate, serviceLevel15: Rate, abandonRate: Rate,
  asaSeconds: Nullable(Type.Number()), ahtSeconds: Nullable(Type.Number()), longestWaitSeconds: Type.Number()
})
const AgentRow = Type.Object({
  ...RowKey,
  offers: Type.Integer(), answered: Type.Integer(), ringNoAnswer: Type.Integer(), offerRejected: Type.Integer(),
  talkSeconds: Type.Number(), ahtSeconds: Nullable(Type.Number()), readySeconds: Type.Number(), notReadySeconds: Type.Number(),
  ringingSeconds: Type.Number(), talkingSeconds: Type.Number(), wrapUpSeconds: Type.Number(), signedInSeconds: Type.Number(),
  occupancy: Rate
})
const Report = Type.Object({
  from: Type.String(), to: Type.String(), by: Type.String(), timeZone: Type.String(),
  thresholds: Type.Object({ shortAbandonSeconds: Type.Number(), serviceLevelSeconds: Type.Number() }),
  rows: Type.Array(Type.Union([CallRow, AgentRow]))
})

const Query = Type.Object({
  from: Type.String({ format: 'date', description: 'first day (YYYY-MM-DD, center time zone)' }),
  to: Type.String({ format: 'date', description: 'last day, inclusive' }),
  by: Type.Unsafe<ReportBy>({ type: 'string', enum: [...REPORT_BY], default: 'line' }),
  format: Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'], description: 'csv for a spreadsheet download; Accept: text/csv does the same' })
}, { additionalProperties: false, required: ['from', 'to'] })

export function statisticsRoutes(deps: { store: StatisticsStore; timeZone: string; now: () => number; thresholds?: KpiThresholds }): FastifyPluginAsync {
  const thresholds = deps.thresholds ?? DEFAULT_THRESHOLDS
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/v1/reports/daily', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags: ['reports'], security: bearerSecurity,
        summary: 'Daily statistics per line, queue or agent (answer rate, 15-second answer rate, abandon rate, ASA, AHT, occupancy)',
        description: 'Days are the center\'s (HOTLINE_TIMEZONE). A call counts on the day it entered a queue; by=queue counts an overflowed call in each queue it waited in.',
        querystring: Query,
        response: { 200: Report, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }
      }
    }, async (request, reply) => {
      const { from, to, by } = request.query as { from: string; to: string; by: ReportBy; format?: 'json' | 'csv' }
      if (from > to) throw new ReportErrors.badRange(`querystring.from: ${from} is after querystring.to ${to}`)
      const days = daysBetweenInclusive(from, to)
      if (days > MAX_REPORT_DAYS) throw new ReportErrors.badRange(`querystring.to: the range is ${days} days; at most ${MAX_REPORT_DAYS}`)

      const rows = await buildDailyReport(deps.store, { from, to, by, timeZone: deps.timeZone, now: deps.now(), thresholds })
      const format = request.query.format ?? (prefersCsv(request.headers.accept) ? 'csv' : 'json')
      if (format === 'csv') {
        const columns = by === 'agent' ? AGENT_COLUMNS : CALL_COLUMNS
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="daily-${by}-${from}-${to}.csv"`)
          // The JSON response schema must not touch the CSV text.
          .serializer((payload: unknown) => payload as string)
          .send(toCsv(columns, rows as unknown as Record<string, unknown>[]) as never)
      }
      return { from, to, by, timeZone: deps.timeZone, thresholds, rows }
    })
  }
}

/** Accept: text/csv (before any JSON type) asks for the CSV download. */
function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false
  const types = accept.split(',').map((p) => p.split(';')[0]!.trim().toLowerCase())
  const csv = types.indexOf('text/csv')
  const json = types.findIndex((t) => t === 'application/json')
  return csv !== -1 && (json === -1 || csv < json)
}
