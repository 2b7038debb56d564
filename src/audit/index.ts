/**
 * The audit log's composition: the store behind the `AuditLog` port, the auditor's routes, the
 * request-level recording of sensitive routes (`AUDITED_ROUTES`) and the retention purge.
 *
 * Capabilities record their own security events with `audit.record({ ...auditContext(request),
 * action, target, outcome, details })`. The routes listed in AUDITED_ROUTES are recorded once
 * here, after the response, with the status as outcome: do not record those a second time.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Sql } from '../db/sql.ts'
import type { AuditEntry, AuditLog } from './model.ts'
import { auditRoutes } from './routes.ts'
import { outcomeOfStatus, purgeCutoff } from './rules.ts'
import { AuditStore } from './store.ts'

export type { AuditEntry, AuditLog, AuditOutcome } from './model.ts'

/**
 * Reads of personal data (recordings, tickets, call records, exports) and configuration changes,
 * by Fastify route (method and URL pattern) → audit action. The target is the route's first
 * path parameter.
 */
export const AUDITED_ROUTES: Readonly<Record<string, string>> = {
  'GET /v1/calls/:callId/recording': 'recording.download',
  'GET /v1/follow-ups/attempts/:attemptId/recording': 'recording.download',
  'GET /v1/calls': 'call.list',
  'GET /v1/calls/:callId': 'call.read',
  'GET /v1/tickets': 'ticket.search',
  'GET /v1/tickets/:id': 'ticket.read',
  'GET /v1/tickets/:id/events': 'ticket.read-trail',
  'GET /v1/reports/daily': 'report.export',
  'GET /v1/supervisor/actions': 'supervision.read-log',
  'POST /v1/supervisor/calls/:callId/listen': 'supervision.listen',
  'POST /v1/supervisor/calls/:callId/whisper': 'supervision.whisper',
  'POST /v1/supervisor/calls/:callId/barge': 'supervision.barge',
  'GET /v1/agents/me/seat-credentials': 'seat.read-credentials',
  'GET /v1/users/:id': 'user.read',
  'PUT /v1/queues/:queueId': 'config.queue-save',
  'DELETE /v1/queues/:queueId': 'config.queue-remove',
  'PUT /v1/not-ready-reasons/:code': 'config.reason-save',
  'DELETE /v1/not-ready-reasons/:code': 'config.reason-remove',
  'PUT /v1/lines/:number': 'config.line-save',
  'DELETE /v1/lines/:number': 'config.line-remove',
  'PUT /v1/agents/:agentId/profile': 'config.agent-profile-save',
  'POST /v1/units': 'config.unit-create',
  'PUT /v1/follow-ups/campaigns/:id': 'config.campaign-save',
  'POST /v1/follow-ups/campaigns/:id/run': 'config.campaign-run',
  'POST /v1/follow-ups/campaigns/:id/pause': 'config.campaign-pause',
  'PUT /v1/follow-ups/trunks/:id': 'config.trunk-save',
  'GET /v1/audit': 'audit.read'
}

/** Who and from where, as the request shows them (after authentication; before it, no actor). */
export function auditContext(request: FastifyRequest): Pick<AuditEntry, 'actor' | 'actorRole' | 'ip'> {
  const user = request.user as { sub?: unknown; role?: unknown } | undefined
  const verified = user && typeof user.sub === 'string'
  return { actor: verified ? String(user.sub) : null, actorRole: verified && typeof user.role === 'string' ? user.role : null, ip: request.ip }
}

export interface Audit {
  log: AuditLog
  store: AuditStore
  /** Starts the daily retention purge. */
  start(): void
  stop(): void
  /** One purge pass now (the timer's work); returns how many rows went. */
  purge(): Promise<number>
}

export async function attachAudit(d: { app: FastifyInstance; sql: Sql; log: Logger; retentionDays: number; now: () => number }): Promise<Audit> {
  const store = new AuditStore(d.sql, d.log.child({ component: 'audit' }))

  d.app.addHook('onResponse', async (request, reply) => {
    const action = AUDITED_ROUTES[`${request.method} ${request.routeOptions.url ?? ''}`]
    if (!action) return
    const params = request.params as Record<string, unknown> | undefined
    const first = params ? Object.values(params)[0] : undefined
    await store.record({
      ...auditContext(request), action, target: first === undefined ? null : String(first), outcome: outcomeOfStatus(reply.statusCode),
      details: { method: request.method, path: request.url.split('?')[0], status: reply.statusCode }
    })
  })
  await d.app.register(auditRoutes({ store }))

  let timer: NodeJS.Timeout | undefined
  const purge = async () => {
    const cutoff = purgeCutoff(d.now(), d.retentionDays)
    const removed = await store.purgeBefore(cutoff)
    if (removed > 0) await store.record({ actor: null, action: 'audit.purge', outcome: 'success', details: { removed, before: cutoff.toISOString(), retentionDays: d.retentionDays } })
    return removed
  }
  return {
    log: store, store, purge,
    start() {
      const run = () => { purge().catch((err) => d.log.error({ err }, 'audit retention purge failed')) }
      run()
      timer = setInterval(run, 24 * 3600_000)
      timer.unref()
    },
    stop() { clearInterval(timer) }
  }
}
