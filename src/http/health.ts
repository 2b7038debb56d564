/** Liveness, readiness (every dependency answers) and Prometheus metrics (for the scraper's bearer token only). */
import { createHash, timingSafeEqual } from 'node:crypto'
import createError from '@fastify/error'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { HotlineMetrics } from './metrics.ts'

export type Probe = () => Promise<void>

async function isOperator(request: FastifyRequest): Promise<boolean> {
  if (!request.headers.authorization) return false
  try {
    await request.jwtVerify()
    if (request.user.pwc || (await request.server.tokenRevocation.isRevoked(request.user))) return false
    return request.user.role === 'admin' || request.user.role === 'supervisor'
  } catch {
    return false
  }
}

const MetricsErrors = {
  unauthorized: createError<[string]>('HOTLINE_AUTH_UNAUTHORIZED', '%s', 401),
  off: createError('HOTLINE_METRICS_OFF', 'metrics are off: the operator sets HOTLINE_METRICS_TOKEN and gives it to the scraper', 403)
}

const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * The scraper's check: `Authorization: Bearer <HOTLINE_METRICS_TOKEN>`, compared in constant time.
 * Users' tokens do not open /metrics (a scraper is not a person); without the setting nobody gets in.
 */
function metricsGuard(token: string | undefined) {
  const want = token ? digest(token) : null
  return async (request: FastifyRequest) => {
    const m = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')
    if (!m) throw new MetricsErrors.unauthorized('a valid bearer token is required')
    if (!want) throw new MetricsErrors.off()
    if (!timingSafeEqual(digest(m[1]!), want)) throw new MetricsErrors.unauthorized('a valid bearer token is required')
  }
}

export function healthRoutes(deps: { probes: Record<string, Probe>; metrics: HotlineMetrics; metricsToken?: string | undefined }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/health', { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }))

    const Checks = Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }))
    app.get('/ready', {
      schema: { tags: ['operations'], summary: 'Ready only when ARI, PostgreSQL and Redis all answer', response: { 200: Type.Object({ ready: Type.Boolean(), checks: Checks }), 503: Type.Object({ ready: Type.Boolean(), checks: Checks }) } }
    }, async (request, reply) => {
      // Load balancers ask anonymously: they get the verdict per back end, never the error text
      // (it names hosts, ports and users). The log has it; so does an administrator's request.
      const detailed = await isOperator(request)
      const entries = await Promise.all(Object.entries(deps.probes).map(async ([name, probe]) => {
        try {
          await Promise.race([probe(), new Promise((_, rej) => setTimeout(() => rej(new Error('timed out after 2 s')), 2000).unref())])
          return [name, { ok: true }] as const
        } catch (err) {
          request.log.warn({ check: name, err }, 'readiness check failed')
          return [name, detailed ? { ok: false, error: (err as Error).message } : { ok: false }] as const
        }
      }))
      const checks = Object.fromEntries(entries)
      const ready = entries.every(([, c]) => c.ok)
      return reply.code(ready ? 200 : 503).send({ ready, checks })
    })

    app.get('/metrics', {
      onRequest: metricsGuard(deps.metricsToken),
      schema: { tags: ['operations'], summary: 'Prometheus metrics, for the scraper holding HOTLINE_METRICS_TOKEN (bearer)', produces: ['text/plain'], security: [{ metricsToken: [] }] }
    }, async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType)
      return deps.metrics.registry.metrics()
    })
  }
}
