/** GET /v1/cluster: which node answers, and which node drives the calls now. */
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { errorResponses } from '../http/errors.ts'
import type { ClusterNode } from './node.ts'

export function clusterRoutes(deps: { cluster: ClusterNode }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/v1/cluster', {
      preHandler: requireRole('admin', 'supervisor'),
      schema: {
        tags: ['operations'], security: bearerSecurity,
        summary: 'This node (id, holder or standby) and the holder of the call-control lease with its term (epoch). Administrators and supervisors.',
        response: {
          200: Type.Object({
            nodeId: Type.String(), role: Type.Unsafe<'holder' | 'standby'>({ type: 'string', enum: ['holder', 'standby'] }),
            holder: Type.Union([Type.Object({ nodeId: Type.String(), epoch: Type.Integer() }), Type.Null()]),
            leaseTtlMs: Type.Integer(), leaseRenewMs: Type.Integer()
          }),
          ...errorResponses([401, 403])
        }
      }
    }, async () => ({
      nodeId: deps.cluster.nodeId, role: deps.cluster.role, holder: await deps.cluster.lease.holder(),
      leaseTtlMs: deps.cluster.settings.ttlMs, leaseRenewMs: deps.cluster.settings.renewMs
    }))
  }
}
