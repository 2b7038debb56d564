import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import type { QueueDirectory, QueueWaitingStore } from './store.ts'

export function queueRoutes(deps: { directory: QueueDirectory; waiting: QueueWaitingStore; now: () => number }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/v1/queues', {
      preHandler: requireRole('agent', 'supervisor', 'admin'),
      schema: {
        tags: ['queues'], security: bearerSecurity, summary: 'Queues with their waiting callers right now',
        response: { 200: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), strategy: Type.String(), waiting: Type.Integer(), longestWaitSeconds: Type.Number() })) }
      }
    }, async () => {
      const queues = [...(await deps.directory.allQueues()).values()]
      const waiting = await deps.waiting.waiting(queues.map((q) => q.id))
      const now = deps.now()
      return queues.map((q) => {
        const mine = waiting.filter((w) => w.queueId === q.id)
        const oldest = mine.reduce((min, w) => Math.min(min, w.enteredAt), now)
        return { id: q.id, name: q.name, strategy: q.strategy, waiting: mine.length, longestWaitSeconds: (now - oldest) / 1000 }
      })
    })
  }
}
