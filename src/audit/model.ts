/**
 * The security audit log (安全审计): who did what, when, from where, with which outcome. One
 * append-only log for the whole server (logins, recording downloads, reads and exports of
 * personal data, user and configuration changes); the database refuses updates and deletes.
 */

/** success: done; failure: tried and failed (a wrong password, a missing record); denied: refused by access control. */
export type AuditOutcome = 'success' | 'failure' | 'denied'
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied']

/** What a caller records. `action` is `<capability>.<verb>` in kebab-case, e.g. `auth.login`, `recording.download`. */
export interface AuditEntry {
  /** User id; for a failed login the name that was tried; null for the system itself. */
  actor: string | null
  actorRole?: string | null
  action: string
  /** What was acted on: a user id, a call id, a ticket id, a queue… */
  target?: string | null
  outcome: AuditOutcome
  /** The client's address as the server saw it. */
  ip?: string | null
  details?: Record<string, unknown>
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  id: string
  at: Date
  details: Record<string, unknown>
}

/** The port every capability records through. Never throws: a failed write is logged, the action goes on. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>
}

export interface AuditFilter {
  from?: Date
  to?: Date
  actor?: string
  action?: string
  outcome?: AuditOutcome
  target?: string
  limit: number
  /** Rows with an id below this one (paging newest first). */
  beforeId?: string
}

export const AUDIT_ACTION_PATTERN = '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$'

/** The MLPS level 3 minimum: audit records are kept at least six months. */
export const MIN_RETENTION_DAYS = 180
