/**
 * Call control and the current call over REST, for the agent panel (the same commands exist on
 * Socket.IO). An agent acts on its own call only; supervisors and admins on anyone's.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actingOn, AuthErrors, bearerSecurity, requireRole } from '../auth/plugin.ts'
import type { SeatService } from '../seats/service.ts'
import type { AgentService } from '../agents/service.ts'
import { AgentIdParam } from '../agents/schemas.ts'
import { CALL_ACTIONS } from '../realtime/contract.ts'
import { currentCallView, type CallPop } from './views.ts'
import { CallControlErrors, type CallControl } from './control.ts'
import { ErrorBody } from '../http/errors.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const ControlView = Type.Object({
  held: Type.Boolean(), muted: Type.Boolean(),
  consult: Type.Union([Type.Object({ number: Type.String(), name: Type.String(), state: Type.String() }), Type.Null()])
})

export function callControlRoutes(deps: { control: CallControl; pop: CallPop; agents: AgentService; seats: Pick<SeatService, 'credentials'>; sipWsUrl: string; sipDomain: string }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const anyone = requireRole('agent', 'supervisor', 'admin')

    app.get('/v1/agents/:agentId/call', {
      preHandler: anyone,
      schema: {
        tags: ['calls'], security: bearerSecurity, params: AgentIdParam,
        summary: "The agent's current call (offered or talking) with its screen pop and control state; `current` is null when there is none"
      }
    }, async (request) => {
      const agentId = actingOn(request, request.params.agentId)
      return { current: await currentCallView(deps.control, deps.pop, agentId) }
    })

    // A static segment wins over :action in the router, so this does not shadow call control.
    app.post('/v1/agents/:agentId/call/rejoin', {
      preHandler: anyone,
      preValidation: async (request) => { request.body ??= {} },
      schema: {
        tags: ['calls'], security: bearerSecurity, params: AgentIdParam,
        summary: "Dial the agent's WebRTC seat back into its talking call after the browser's leg dropped (a reload); the panel answers the INVITE marked X-Hotline-Rejoin. The caller waits on music until rejoinBy (HOTLINE_SEAT_REJOIN_S)",
        response: { 200: Type.Object({ callId: Type.String(), rejoinBy: Type.String() }), ...errors }
      }
    }, async (request) => deps.control.rejoin(actingOn(request, request.params.agentId)))

    app.post('/v1/agents/:agentId/call/:action', {
      preHandler: anyone,
      // hold, mute, hangup … carry no body: treat a missing one as empty rather than a 400.
      preValidation: async (request) => { request.body ??= {} },
      schema: {
        tags: ['calls'], security: bearerSecurity,
        summary: 'Call control: hold, unhold, mute, unmute, dtmf {digits}, hangup, transfer {number} (blind), consult {number}, consult-complete, consult-cancel',
        params: Type.Object({ agentId: AgentIdParam.properties.agentId, action: Type.Unsafe<(typeof CALL_ACTIONS)[number]>({ type: 'string', enum: [...CALL_ACTIONS] }) }),
        body: Type.Optional(Type.Object({
          digits: Type.Optional(Type.String({ pattern: '^[0-9*#A-D]{1,32}$', description: 'for dtmf' })),
          number: Type.Optional(Type.String({ pattern: '^[0-9+*#]{2,32}$', description: 'for transfer and consult: one of GET /v1/transfer-targets' }))
        }, { additionalProperties: false })),
        response: { 200: ControlView, ...errors }
      }
    }, async (request) => {
      const agentId = actingOn(request, request.params.agentId)
      const body = request.body ?? {}
      const { action } = request.params
      if (action === 'dtmf' && !body.digits) throw new CallControlErrors.invalid('body.digits: required for dtmf')
      if ((action === 'transfer' || action === 'consult') && !body.number) throw new CallControlErrors.invalid(`body.number: required for ${action}`)
      return deps.control.command(agentId, action, body)
    })

    app.get('/v1/transfer-targets', {
      preHandler: anyone,
      schema: {
        tags: ['calls'], security: bearerSecurity, summary: 'Numbers an agent may transfer to (emergency lines, units)',
        response: { 200: Type.Array(Type.Object({ number: Type.String(), name: Type.String(), kind: Type.String() })) }
      }
    }, async () => deps.control.targets())

    app.get('/v1/agents/me/seat-credentials', {
      preHandler: requireRole('agent'),
      schema: {
        tags: ['agents'], security: bearerSecurity,
        summary: "SIP credentials of the seat the agent is signed in to, for the browser softphone (WebRTC over SIP/WebSocket)",
        response: { 200: Type.Object({ seat: Type.String(), uri: Type.String(), username: Type.String(), password: Type.String(), wsUrl: Type.String() }), ...errors }
      }
    }, async (request) => {
      const agent = await deps.agents.get(request.user.sub)
      // Only the seat this agent holds right now, and only the password of this sign-in: it stops
      // working at sign-out. Desk phones' accounts are provisioned in the phone, never handed out.
      if (!agent.seat) throw new AuthErrors.forbidden(`agent '${request.user.sub}' is not signed in to a seat`)
      const { username, password } = await deps.seats.credentials(agent.seat, request.user.sub)
      return { seat: agent.seat, uri: `sip:${agent.seat}@${deps.sipDomain}`, username, password, wsUrl: deps.sipWsUrl }
    })
  }
}
