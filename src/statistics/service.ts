/** Builds a daily report: streams facts from the store into the rules' accumulator. */
import { DailyReport, DEFAULT_THRESHOLDS, type AgentReportRow, type CallReportRow, type KpiThresholds, type ReportBy } from './rules.ts'
import type { StatisticsStore } from './store.ts'
import { addDays } from '../domain/local-time.ts'

export interface DailyReportRequest {
  /** First day, YYYY-MM-DD in the center's zone. */
  from: string
  /** Last day, inclusive. */
  to: string
  by: ReportBy
  timeZone: string
  /** Now (epoch ms): an agent still in a state counts up to now, not to the end of today. */
  now: number
  thresholds?: KpiThresholds
}

export type NamedRow = (CallReportRow | AgentReportRow) & { name: string | null }

export async function buildDailyReport(store: StatisticsStore, req: DailyReportRequest): Promise<NamedRow[]> {
  const range = { fromDay: req.from, toDay: addDays(req.to, 1), timeZone: req.timeZone }
  const report = new DailyReport(req.by, req.thresholds ?? DEFAULT_THRESHOLDS)
  await store.forEachCallFact(range, (facts) => { for (const f of facts) report.addCall(f) })
  if (req.by === 'agent') {
    for (const e of await store.offerEvents(range)) report.addOfferEvents(e.day, e.agentId, e.event, e.n)
    const days = await store.days(range)
    const until = Math.min(req.now, days.at(-1)?.end ?? req.now)
    await store.forEachAgentStates(range, (agentId, rows) => report.addAgentStates(agentId, rows, days, until))
  }
  const names = await store.names(req.by)
  return report.rows().map((row) => ({ ...row, name: names.get(row.key) ?? null }))
}
