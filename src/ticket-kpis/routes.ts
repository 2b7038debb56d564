/**
 * The ticket KPIs over REST: one report (JSON, or CSV with the definitions on top) per day or
 * month, and the monthly analysis (月分析) as a download. Supervisors and admins;
 * every export is recorded in the audit log.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { auditContext, type AuditLog } from '../audit/index.ts'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { zonedInstant } from '../domain/local-time.ts'
import { toCsv, csvCell } from '../statistics/csv.ts'
import { TicketErrors } from '../tickets/errors.ts'
import {
  REPORT_COLUMNS, RATE_DEFINITIONS, buildRows, definitions, flatRow, percent, periodBounds, reconcile, type KpiRow, type KpiSettings, type PeriodKind
} from './rules.ts'
import type { TicketKpiStore } from './store.ts'

export interface KpiReport {
  period: { kind: PeriodKind; value: string; from: string; to: string }
  generatedAt: string
  definitions: string[]
  columns: readonly string[]
  rows: ReturnType<typeof flatRow>[]
  reconciliation: ReturnType<typeof reconcile>
}

export function buildReport(rows: KpiRow[], meta: { kind: PeriodKind; value: string; from: number; to: number; now: number; settings: KpiSettings }): KpiReport {
  const center = rows.find((r) => r.dimension === 'center')
  return {
    period: { kind: meta.kind, value: meta.value, from: new Date(meta.from).toISOString(), to: new Date(meta.to).toISOString() },
    generatedAt: new Date(meta.now).toISOString(),
    definitions: definitions(meta.settings),
    columns: REPORT_COLUMNS,
    rows: rows.map(flatRow),
    reconciliation: center ? reconcile(center.counts) : { closed: 0, followedUp: 0, pending: 0, unreachable: 0, unaccounted: 0, balanced: true }
  }
}

/** CSV: the definitions as leading comment lines, then the table. */
export function reportCsv(report: KpiReport): string {
  const head = [`# 工单考核指标 ${report.period.kind} ${report.period.value} (${report.period.from} – ${report.period.to})`, ...report.definitions.map((d) => `# ${d}`),
    `# 回访核对 closed ${report.reconciliation.closed} = followed up ${report.reconciliation.followedUp} + pending ${report.reconciliation.pending} + unreachable ${report.reconciliation.unreachable} (unaccounted ${report.reconciliation.unaccounted})`]
  const table = toCsv(report.columns, report.rows).replace(/^\uFEFF/, '')
  return '\uFEFF' + head.map(csvCell).join('\r\n') + '\r\n' + table
}

/** 月分析: the month's center figures, the unit ranking and the categories, for people to read. */
export function monthlyAnalysisCsv(report: KpiReport, unitNames: ReadonlyMap<string, string>): string {
  const lines: string[] = [`# 月分析 ${report.period.value}`, ...report.definitions.map((d) => `# ${d}`)]
  const center = report.rows.find((r) => r.dimension === 'center')
  if (center) {
    lines.push('', '中心总体', `受理,${center.accepted}`, ...RATE_DEFINITIONS.map((d) => `${d.name},${percent(center[d.key] as number | null)}`), `改派,${center.redispatches}`)
    lines.push(`回访核对,办结 ${report.reconciliation.closed} = 已回访 ${report.reconciliation.followedUp} + 待回访 ${report.reconciliation.pending} + 无法联系 ${report.reconciliation.unreachable}${report.reconciliation.balanced ? '' : ` (差 ${report.reconciliation.unaccounted})`}`)
  }
  lines.push('', '单位综合评价排名', ['排名', '单位', '综合评价', '受理', ...RATE_DEFINITIONS.map((d) => d.name), '改派'].join(','))
  for (const r of report.rows.filter((x) => x.dimension === 'unit')) {
    lines.push([r.rank ?? '—', unitNames.get(String(r.key)) ?? r.key, r.score ?? '—', r.accepted, ...RATE_DEFINITIONS.map((d) => percent(r[d.key] as number | null)), r.redispatches].map(csvCell).join(','))
  }
  lines.push('', '分类', ['分类', '受理', ...RATE_DEFINITIONS.map((d) => d.name)].join(','))
  for (const r of report.rows.filter((x) => x.dimension === 'category')) lines.push([r.key, r.accepted, ...RATE_DEFINITIONS.map((d) => percent(r[d.key] as number | null))].map(csvCell).join(','))
  return '\uFEFF' + lines.join('\r\n') + '\r\n'
}

export function ticketKpiRoutes(deps: { store: TicketKpiStore; settings: KpiSettings; timeZone: string; now: () => number; audit: AuditLog; unitNames: () => Promise<Map<string, string>> }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const roles = requireRole('supervisor', 'admin')
    const Query = Type.Object({
      day: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a calendar day in the center\'s zone' })),
      month: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'a calendar month' })),
      format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')]))
    }, { additionalProperties: false })

    const report = async (q: { day?: string; month?: string }): Promise<KpiReport> => {
      if ((q.day ? 1 : 0) + (q.month ? 1 : 0) !== 1) throw new TicketErrors.invalid('querystring: give exactly one of day (YYYY-MM-DD) or month (YYYY-MM)')
      const kind: PeriodKind = q.day ? 'day' : 'month'
      const value = (q.day ?? q.month)!
      const bounds = periodBounds(kind, value, deps.timeZone, zonedInstant)
      if (!bounds) throw new TicketErrors.invalid(`querystring.${kind}: '${value}' is not a calendar ${kind}`)
      const now = deps.now()
      const groups = await deps.store.counts({ ...bounds, now, signForLimitHours: deps.settings.signForLimitHours, repeatWindowDays: deps.settings.repeatWindowDays })
      return buildReport(buildRows(groups, deps.settings.weights), { kind, value, ...bounds, now, settings: deps.settings })
    }

    app.get('/v1/ticket-kpis', {
      preHandler: roles,
      schema: { tags: ['ticket-kpis'], security: bearerSecurity, summary: 'Ticket KPIs (即办率, 签收及时率, 按时办结率, 逾期率, 退单率, 改派, 复重率, 回访率, 满意率, 解决率) per unit, category, line and center for a day or a month, with their definitions; format=csv for a spreadsheet', querystring: Query }
    }, async (request, reply) => {
      const r = await report(request.query)
      await deps.audit.record({ ...auditContext(request), action: 'report.export', target: `ticket-kpis:${r.period.value}`, outcome: 'success', details: { format: request.query.format ?? 'json' } })
      if (request.query.format === 'csv') {
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="ticket-kpis-${r.period.value}.csv"`).send(reportCsv(r))
      }
      return r
    })

    app.get('/v1/ticket-kpis/monthly-analysis', {
      preHandler: roles,
      schema: { tags: ['ticket-kpis'], security: bearerSecurity, summary: 'The monthly analysis (月分析): center figures, unit ranking (综合评价) and categories, as a CSV download', querystring: Type.Object({ month: Type.String({ pattern: '^\\d{4}-\\d{2}$' }) }, { additionalProperties: false }) }
    }, async (request, reply) => {
      const r = await report({ month: request.query.month })
      await deps.audit.record({ ...auditContext(request), action: 'report.export', target: `ticket-kpis-monthly:${r.period.value}`, outcome: 'success', details: {} })
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="monthly-analysis-${r.period.value}.csv"`).send(monthlyAnalysisCsv(r, await deps.unitNames()))
    })
  }
}
