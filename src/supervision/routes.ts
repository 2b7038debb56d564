/**
 * Supervisors' REST API: the wallboard snapshot, interventions (listen / whisper / barge),
 * forced agent states, moves of waiting callers, and the audit list of those actions.
 * Supervisors and administrators only; an agent gets 403.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { presentAgent } from '../agents/routes.ts'
import type { Actor, SupervisorActionLog, SupervisorActions } from './actions.ts'
import type { Wallboard } from './wallboard.ts'
import { ErrorBody } from '../http/errors.ts'

const errors = { 200: Type.Unknown(), 201: Type.Unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
export const Ids = {
  agentId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  callId: Type.String({ format: 'uuid' }),
  queueId: Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }),
  seat: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: "the supervisor's own seat (a PJSIP endpoint), which rings and joins" }),
  reason: Type.String({ pattern: '^[a-z0-9_-]{1,40}$' })
}
export const Bodies = {
  forceNotReady: Type.Object({ reason: Ids.reason }, { additionalProperties: false }),
  intervene: Type.Object({ seat: Ids.seat }, { additionalProperties: false }),
  move: Type.Object({ toQueueId: Ids.queueId }, { additionalProperties: false })
}

const actorOf = (request: FastifyRequest): Actor => ({ id: request.user.sub, role: request.user.role })

export function supervisionRoutes(deps: { actions: SupervisorActions; wallboard: Wallboard; log: SupervisorActionLog }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const guard = requireRole('supervisor', 'admin')
    const common = { tags: ['supervision'], security: bearerSecurity }

    app.get('/v1/wallboard', {
      preHandler: guard,
      schema: { ...common, summary: "Today's wallboard: per line and queue figures (as in GET /v1/reports/daily), agents, the day's chart", response: { 200: Type.Unknown(), 401: ErrorBody, 403: ErrorBody } }
    }, async () => deps.wallboard.snapshot())

    app.post('/v1/supervisor/agents/:agentId/force-not-ready', {
      preHandler: guard,
      schema: { ...common, summary: 'Force an agent to not ready (applied after the current call if talking)', params: Type.Object({ agentId: Ids.agentId }), body: Bodies.forceNotReady, response: errors }
    }, async (request) => presentAgent(await deps.actions.forceNotReady(actorOf(request), request.params.agentId, request.body.reason)))

    app.post('/v1/supervisor/agents/:agentId/force-sign-out', {
      preHandler: guard,
      schema: { ...common, summary: 'Force an agent to sign out (not during a call)', params: Type.Object({ agentId: Ids.agentId }), response: errors }
    }, async (request) => presentAgent(await deps.actions.forceSignOut(actorOf(request), request.params.agentId)))

    for (const mode of ['listen', 'whisper', 'barge'] as const) {
      app.post(`/v1/supervisor/calls/:callId/${mode}`, {
        preHandler: guard,
        schema: {
          ...common, params: Type.Object({ callId: Ids.callId }), body: Bodies.intervene, response: errors,
          summary: { listen: 'Listen to a call (监听) from the supervisor\'s seat', whisper: 'Whisper to the agent (耳语): the caller does not hear the supervisor', barge: 'Barge in (强插): all three hear each other' }[mode]
        }
      }, async (request, reply) => reply.code(201).send(await deps.actions.intervene(actorOf(request), mode, request.params.callId, request.body.seat)))
    }

    app.get('/v1/supervisor/interventions', {
      preHandler: guard, schema: { ...common, summary: 'Interventions in progress on this server node' }
    }, async () => deps.actions.list())

    app.delete('/v1/supervisor/interventions/:sessionId', {
      preHandler: guard,
      schema: { ...common, summary: 'End an intervention (hangs up the supervisor\'s leg)', params: Type.Object({ sessionId: Type.String({ format: 'uuid' }) }), response: errors }
    }, async (request) => deps.actions.stop(actorOf(request), request.params.sessionId))

    app.post('/v1/queues/:queueId/calls/:callId/move', {
      preHandler: guard,
      schema: { ...common, summary: 'Move a waiting caller to another queue (keeps their place in time; logged as an overflow)', params: Type.Object({ queueId: Ids.queueId, callId: Ids.callId }), body: Bodies.move, response: errors }
    }, async (request) => deps.actions.moveCall(actorOf(request), request.params.queueId, request.params.callId, request.body.toQueueId))

    app.post('/v1/queues/:queueId/calls/:callId/to-head', {
      preHandler: guard,
      schema: { ...common, summary: 'Put a waiting caller at the head of their queue', params: Type.Object({ queueId: Ids.queueId, callId: Ids.callId }), response: errors }
    }, async (request) => deps.actions.callToHead(actorOf(request), request.params.queueId, request.params.callId))

    app.get('/v1/supervisor/actions', {
      preHandler: guard,
      schema: {
        ...common, summary: 'Supervisor actions, newest first (who, when, what, to whom, refused or done)',
        querystring: Type.Object({
          from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })),
          actor: Type.Optional(Ids.agentId), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 })
        }, { additionalProperties: false })
      }
    }, async (request) => {
      const q = request.query
      return deps.log.list({ from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, actor: q.actor, limit: q.limit })
    })
  }
}
