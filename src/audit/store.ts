/** The audit log in PostgreSQL (table audit_log, migration 009): insert, query, and the retention purge. */
import type { Logger } from 'pino'
import type { Sql } from '../db/sql.ts'
import type { AuditEntry, AuditFilter, AuditLog, AuditRecord } from './model.ts'

export class AuditStore implements AuditLog {
  constructor(private readonly sql: Sql, private readonly log: Logger) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.sql`insert into audit_log (actor, actor_role, action, target, outcome, ip, details)
        values (${entry.actor}, ${entry.actorRole ?? null}, ${entry.action}, ${entry.target ?? null}, ${entry.outcome}, ${entry.ip ?? null},
          ${this.sql.json((entry.details ?? {}) as never)})`
    } catch (err) {
      // The action itself goes on; the operator sees at once that the trail has a hole.
      this.log.error({ err, audit: { ...entry, details: undefined } }, 'could not write an audit record')
    }
  }

  async list(filter: AuditFilter): Promise<AuditRecord[]> {
    const s = this.sql
    return s<AuditRecord[]>`
      select id::text, at, actor, actor_role, action, target, outcome, ip, details from audit_log where true
      ${filter.from ? s`and at >= ${filter.from}` : s``}
      ${filter.to ? s`and at < ${filter.to}` : s``}
      ${filter.actor ? s`and actor = ${filter.actor}` : s``}
      ${filter.action ? s`and action = ${filter.action}` : s``}
      ${filter.outcome ? s`and outcome = ${filter.outcome}` : s``}
      ${filter.target ? s`and target = ${filter.target}` : s``}
      ${filter.beforeId ? s`and id < ${filter.beforeId}::bigint` : s``}
      order by audit_log.id desc limit ${filter.limit}`
  }

  /**
   * Deletes rows older than `cutoff` through audit_log_purge() (migration 014): the application's
   * role may not delete audit rows itself, and the function never takes one younger than 180 days.
   */
  async purgeBefore(cutoff: Date): Promise<number> {
    const [row] = await this.sql<{ n: string }[]>`select audit_log_purge(${cutoff})::text as n`
    return Number(row?.n ?? 0)
  }
}
