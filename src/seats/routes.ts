/** Administration of seats: which seats the PBX has and who may sign in to each. */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { auditContext } from '../audit/index.ts'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import type { SeatService } from './service.ts'
import { ErrorBody } from '../http/errors.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
const SeatParam = Type.Object({ seat: Type.String({ pattern: '^[0-9A-Za-z_-]{1,40}$' }) })
const SeatSchema = Type.Object({
  seat: Type.String(),
  kind: Type.Union([Type.Literal('desk'), Type.Literal('web')]),
  agentId: Type.Union([Type.String(), Type.Null()]),
  workstation: Type.Union([Type.String(), Type.Null()]),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Type.String(), Type.Null()])
})
const AssignBody = Type.Object({
  agentId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  workstation: Type.Optional(Type.String({ minLength: 2, maxLength: 64 }))
}, { additionalProperties: false })

export function seatRoutes(deps: { seats: SeatService }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const admin = requireRole('admin')
    const tags = ['seats']

    app.get('/v1/seats', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: { tags, security: bearerSecurity, summary: "The PBX's seats (desk phones and WebRTC) and who each is assigned to", response: { 200: Type.Array(SeatSchema), 401: ErrorBody, 403: ErrorBody } }
    }, async () => deps.seats.list())

    app.put('/v1/seats/:seat', {
      preHandler: admin,
      schema: {
        tags, security: bearerSecurity, params: SeatParam, body: AssignBody,
        summary: 'Assign a seat to one agent (or supervisor), or to a workstation address (whoever signs in from it); audited',
        response: { 200: SeatSchema, ...errors }
      }
    }, async (request) => deps.seats.assign(request.params.seat, request.body, auditContext(request)))

    app.delete('/v1/seats/:seat', {
      preHandler: admin,
      schema: { tags, security: bearerSecurity, params: SeatParam, summary: 'Withdraw a seat\'s assignment: nobody may sign in to it; audited', response: { 204: Type.Null(), ...errors } }
    }, async (request, reply) => {
      await deps.seats.unassign(request.params.seat, auditContext(request))
      return reply.code(204).send(null)
    })
  }
}
