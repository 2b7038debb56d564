import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actingOn, bearerSecurity, requireRole } from '../auth/plugin.ts'
import type { AgentCommands } from './commands.ts'
import type { AgentLive } from './model.ts'
import type { AgentService } from './service.ts'
import { AgentIdParam, AgentStateSchema, ExtendBody, NotReadyBody, SignInBody } from './schemas.ts'
import { ErrorBody } from '../http/errors.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export function presentAgent(a: AgentLive) {
  return {
    agentId: a.agentId, state: a.state, since: new Date(a.since).toISOString(), seat: a.seat, reason: a.reason, callId: a.callId,
    wrapUpUntil: a.wrapUpUntil === null ? null : new Date(a.wrapUpUntil).toISOString(), pendingNotReady: a.pendingNotReady, callsToday: a.callsToday
  }
}

export function agentRoutes(deps: { commands: AgentCommands; agents: AgentService }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const anyone = requireRole('agent', 'supervisor', 'admin')
    const common = { tags: ['agents'], security: bearerSecurity, params: AgentIdParam }

    app.get('/v1/agents', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: { tags: ['agents'], security: bearerSecurity, summary: 'Live state of every signed-in agent', response: { 200: Type.Array(AgentStateSchema) } }
    }, async () => (await deps.agents.listSignedIn()).map(presentAgent))

    app.get('/v1/agents/:agentId/state', {
      preHandler: anyone, schema: { ...common, summary: "An agent's live state", response: { 200: AgentStateSchema, ...errors } }
    }, async (request) => presentAgent(await deps.commands.state(actingOn(request, request.params.agentId))))

    app.post('/v1/agents/:agentId/sign-in', {
      preHandler: anyone, schema: { ...common, summary: 'Sign in to a seat (签入) assigned to the agent (or to the workstation it signs in from); the agent starts not ready', body: SignInBody, response: { 200: AgentStateSchema, ...errors } }
    }, async (request) => presentAgent(await deps.commands.signIn(actingOn(request, request.params.agentId), request.body.seat, request.user.sub, request.ip)))

    app.post('/v1/agents/:agentId/ready', {
      preHandler: anyone, schema: { ...common, summary: 'Ready for calls (示闲)', response: { 200: AgentStateSchema, ...errors } }
    }, async (request) => presentAgent(await deps.commands.setReady(actingOn(request, request.params.agentId), request.user.sub)))

    app.post('/v1/agents/:agentId/not-ready', {
      preHandler: anyone,
      schema: { ...common, summary: 'Not ready with a reason (示忙); during a call it applies when the call ends', body: NotReadyBody, response: { 200: AgentStateSchema, ...errors } }
    }, async (request) => presentAgent(await deps.commands.setNotReady(actingOn(request, request.params.agentId), request.body.reason, request.user.sub)))

    app.post('/v1/agents/:agentId/wrap-up/extend', {
      preHandler: anyone, schema: { ...common, summary: 'Extend the current wrap-up (话后整理)', body: ExtendBody, response: { 200: AgentStateSchema, ...errors } }
    }, async (request) => presentAgent(await deps.commands.extendWrapUp(actingOn(request, request.params.agentId), request.body.seconds, request.user.sub)))

    app.post('/v1/agents/:agentId/sign-out', {
      preHandler: anyone, schema: { ...common, summary: 'Sign out (签出); refused during a call', response: { 200: AgentStateSchema, ...errors } }
    }, async (request) => presentAgent(await deps.commands.signOut(actingOn(request, request.params.agentId), request.user.sub)))

    app.get('/v1/agents/not-ready-reasons', {
      preHandler: anyone, schema: { tags: ['agents'], security: bearerSecurity, summary: 'Reasons an agent may choose for not ready', response: { 200: Type.Array(Type.String()) } }
    }, async () => [...deps.agents.policy.notReadyReasons])
  }
}
