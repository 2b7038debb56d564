import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import createError from '@fastify/error'
import { Type } from 'typebox'
import { AuthErrors, bearerSecurity, requireRole } from '../auth/plugin.ts'
import { sendStoredRecording } from '../http/recording.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { CallRecords, CallRow } from './store.ts'
import { ErrorBody } from '../http/errors.ts'

export const CallErrors = {
  noSuchCall: createError<[string]>('HOTLINE_CALLS_NO_SUCH_CALL', "no call with id '%s'", 404),
  noRecording: createError<[string]>('HOTLINE_CALLS_NO_RECORDING', "call '%s' has no recording", 404)
}

const Ts = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
const CallSchema = Type.Object({
  id: Type.String(), direction: Type.String(), callerNumber: Type.String(), dialledNumber: Type.String(),
  lineNumber: Type.Union([Type.String(), Type.Null()]), queueId: Type.Union([Type.String(), Type.Null()]),
  agentId: Type.Union([Type.String(), Type.Null()]), seat: Type.Union([Type.String(), Type.Null()]),
  arrivedAt: Type.String({ format: 'date-time' }), queuedAt: Ts, offeredAt: Ts, answeredAt: Ts, endedAt: Ts,
  outcome: Type.Union([Type.String(), Type.Null()]), endedBy: Type.Union([Type.String(), Type.Null()]),
  offerAttempts: Type.Integer(), recordingName: Type.Union([Type.String(), Type.Null()])
})
const CallIdParam = Type.Object({ callId: Type.String({ format: 'uuid' }) })

function present(row: CallRow) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null)
  return {
    id: row.id, direction: row.direction, callerNumber: row.callerNumber, dialledNumber: row.dialledNumber, lineNumber: row.lineNumber,
    queueId: row.queueId, agentId: row.agentId, seat: row.seat, arrivedAt: row.arrivedAt.toISOString(), queuedAt: iso(row.queuedAt),
    offeredAt: iso(row.offeredAt), answeredAt: iso(row.answeredAt), endedAt: iso(row.endedAt), outcome: row.outcome, endedBy: row.endedBy,
    offerAttempts: row.offerAttempts, recordingName: row.recordingName
  }
}

/** Agents see their own calls; supervisors and admins see all. */
function mayRead(request: FastifyRequest, row: CallRow): void {
  if (request.user.role === 'agent' && row.agentId !== request.user.sub) {
    throw new AuthErrors.forbidden(`agent '${request.user.sub}' did not take call '${row.id}'`)
  }
}

export function callRoutes(deps: { records: CallRecords; rest: AriRest }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const anyone = requireRole('agent', 'supervisor', 'admin')

    const load = async (callId: string) => {
      const row = await deps.records.get(callId)
      if (!row) throw new CallErrors.noSuchCall(callId)
      return row
    }

    app.get('/v1/calls', {
      preHandler: anyone,
      schema: {
        tags: ['calls'], security: bearerSecurity, summary: 'Call records, newest first',
        querystring: Type.Object({
          callerNumber: Type.Optional(Type.String({ pattern: '^[0-9+*#a-z]{1,32}$' })),
          agentId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
          from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 })
        }, { additionalProperties: false }),
        response: { 200: Type.Array(CallSchema), 400: ErrorBody }
      }
    }, async (request) => {
      const q = request.query
      const agentId = request.user.role === 'agent' ? request.user.sub : q.agentId
      const rows = await deps.records.search({ callerNumber: q.callerNumber, agentId, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, limit: q.limit })
      return rows.map(present)
    })

    app.get('/v1/calls/:callId', {
      preHandler: anyone,
      schema: { tags: ['calls'], security: bearerSecurity, summary: 'One call record', params: CallIdParam, response: { 200: CallSchema, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody } }
    }, async (request) => {
      const row = await load(request.params.callId)
      mayRead(request, row)
      return present(row)
    })

    app.get('/v1/calls/:callId/recording', {
      preHandler: anyone,
      schema: {
        tags: ['calls'], security: bearerSecurity, summary: "The call's recording (WAV), fetched from Asterisk through ARI",
        params: CallIdParam, produces: ['audio/wav'], response: { 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }), 400: ErrorBody, 403: ErrorBody, 404: ErrorBody }
      }
    }, async (request, reply) => {
      const row = await load(request.params.callId)
      mayRead(request, row)
      if (!row.recordingName) throw new CallErrors.noRecording(row.id)
      return sendStoredRecording(reply, deps.rest, row.recordingName, () => new CallErrors.noRecording(row.id))
    })
  }
}
