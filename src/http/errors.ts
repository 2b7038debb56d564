/**
 * One error handler for the whole API. Clients get `{ code, message, details? }`; 4xx messages
 * say what was wrong (a validation error names the field), 5xx never leak internals, and the
 * log gets the whole error with the request.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { redactUrl } from './logging.ts'
import { AriAuthError, AriError, AriUnreachable } from '../pbx/ari/errors.ts'

export interface ApiErrorBody { code: string; message: string; details?: Record<string, unknown> }

/** The documented shape of an error reply, for route schemas (the serializer sends what it names). */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() })
/** An error reply that also carries the ids involved (a ticket's id and version, a campaign's). */
export const ErrorBodyWithDetails = Type.Object({ ...ErrorBody.properties, details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })

/** `{ 400: ErrorBody, 404: ErrorBody, … }` for a route's `response` schema. */
export function errorResponses<S extends number, B extends typeof ErrorBody | typeof ErrorBodyWithDetails = typeof ErrorBody>(statuses: readonly S[], body?: B): Record<S, B> {
  const schema = (body ?? ErrorBody) as B
  return Object.fromEntries(statuses.map((s) => [s, schema])) as Record<S, B>
}

/**
 * Maps any error to what a client may see. Shared by the HTTP handler and Socket.IO acks so
 * a command fails the same way whichever road it came by.
 */
export function describeError(error: FastifyError | Error): { status: number; body: ApiErrorBody; internal: boolean } {
  const e = error as FastifyError
  if (e.validation) {
    const first = e.validation[0]
    const field = first ? fieldOf(e.validationContext ?? 'request', first.instancePath, first.params as Record<string, unknown>) : 'request'
    return {
      status: 400, internal: false,
      body: { code: 'HOTLINE_BAD_REQUEST', message: `${field}: ${first?.message ?? 'is invalid'}`, details: { field, errors: e.validation.map((v) => ({ path: v.instancePath, message: v.message })) } }
    }
  }
  if (error instanceof AriUnreachable || error instanceof AriAuthError) {
    return { status: 503, internal: true, body: { code: 'HOTLINE_PBX_UNAVAILABLE', message: 'the PBX (Asterisk ARI) is not reachable', details: error.details } }
  }
  const status = e.statusCode ?? 500
  if (status >= 500 || error instanceof AriError) {
    return { status: status >= 500 ? status : 500, internal: true, body: { code: 'HOTLINE_INTERNAL', message: 'Internal Server Error' } }
  }
  // A capability may attach the ids involved (e.g. a ticket's id and version) as `details`.
  const details = (error as { details?: unknown }).details
  const withDetails = details !== null && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}
  return { status, internal: false, body: { code: e.code ?? 'HOTLINE_ERROR', message: error.message, ...withDetails } }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body, internal } = describeError(error)
    if (internal) request.log.error({ err: error, url: redactUrl(request.url), method: request.method, params: request.params }, 'request failed')
    return reply.code(status).send(body)
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
