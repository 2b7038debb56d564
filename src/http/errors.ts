/**
 * One error handler for the whole API. Clients get `{ code, message, details? }`; 4xx messages
 * say what was wrong (a validation error names the field), 5xx never leak internals, and the
 * log gets the whole error with the request.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import { AgentRejected } from '../agents/service.ts'
import { AriAuthError, AriError, AriUnreachable } from '../pbx/ari/errors.ts'

export interface ApiErrorBody { code: string; message: string; details?: Record<string, unknown> }

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const first = error.validation[0]
      const field = first ? fieldOf(error.validationContext ?? 'request', first.instancePath, first.params as Record<string, unknown>) : 'request'
      return reply.code(400).send({
        code: 'HOTLINE_BAD_REQUEST',
        message: `${field}: ${first?.message ?? 'is invalid'}`,
        details: { field, errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message })) }
      } satisfies ApiErrorBody)
    }
    if (error instanceof AgentRejected) {
      const status = error.rejection.code === 'UNKNOWN_REASON' ? 400 : 409
      return reply.code(status).send({
        code: error.rejection.code === 'UNKNOWN_REASON' ? 'HOTLINE_AGENTS_UNKNOWN_REASON' : 'HOTLINE_AGENTS_INVALID_TRANSITION',
        message: error.message,
        details: { agentId: error.agentId, from: error.rejection.from, event: error.rejection.event }
      } satisfies ApiErrorBody)
    }
    if (error instanceof AriUnreachable || error instanceof AriAuthError) {
      request.log.error({ err: error }, 'PBX unavailable')
      return reply.code(503).send({ code: 'HOTLINE_PBX_UNAVAILABLE', message: 'the PBX (Asterisk ARI) is not reachable', details: error.details } satisfies ApiErrorBody)
    }
    const status = error.statusCode ?? 500
    if (status >= 500 || error instanceof AriError) {
      request.log.error({ err: error, url: request.url, method: request.method, params: request.params }, 'request failed')
      return reply.code(status >= 500 ? status : 500).send({ code: 'HOTLINE_INTERNAL', message: 'Internal Server Error' } satisfies ApiErrorBody)
    }
    return reply.code(status).send({ code: error.code ?? 'HOTLINE_ERROR', message: error.message } satisfies ApiErrorBody)
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ code: 'HOTLINE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiErrorBody)
  })
}

function fieldOf(context: string, instancePath: string, params: Record<string, unknown>): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.')
  const missing = typeof params.missingProperty === 'string' ? params.missingProperty : null
  const extra = typeof params.additionalProperty === 'string' ? params.additionalProperty : null
  const leaf = missing ?? extra
  return [context, path, leaf].filter(Boolean).join('.')
}
