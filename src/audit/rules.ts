/** Pure rules of the audit log: what an HTTP status means as an outcome, and what may be purged. */
import { MIN_RETENTION_DAYS, type AuditOutcome } from './model.ts'

/** 2xx/3xx: success; 401/403: denied by access control; anything else: failure. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return 'success'
  if (status === 401 || status === 403) return 'denied'
  return 'failure'
}

/**
 * Rows older than this instant may be purged. A retention shorter than the minimum is raised to
 * it: no configuration can make the log forget sooner than six months.
 */
export function purgeCutoff(now: number, retentionDays: number): Date {
  const days = Math.max(MIN_RETENTION_DAYS, Math.floor(retentionDays))
  return new Date(now - days * 86_400_000)
}
