/**
 * Bearer tokens (JWT) for the API and the realtime namespaces. Roles: agent, supervisor,
 * admin, and unit (a handling unit's staff 联动单位, acting only for its unit). Routes declare
 * the roles they allow; an agent acting on another agent gets 403.
 */
import fastifyJwt from '@fastify/jwt'
import createError from '@fastify/error'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'

/** auditor (审计管理员): reads the security audit log and nothing else, kept apart from the administrator it audits. */
export type Role = 'agent' | 'supervisor' | 'admin' | 'unit' | 'auditor'
export const ROLES: readonly Role[] = ['agent', 'supervisor', 'admin', 'unit', 'auditor']

/** unitId: set for role 'unit' only, the unit the user acts for. */
export interface TokenClaims { sub: string; role: Role; name: string; unitId?: string }

declare module '@fastify/jwt' {
  interface FastifyJWT { payload: TokenClaims; user: TokenClaims }
}

export const AuthErrors = {
  unauthorized: createError<[string]>('HOTLINE_AUTH_UNAUTHORIZED', '%s', 401),
  forbidden: createError<[string]>('HOTLINE_AUTH_FORBIDDEN', '%s', 403)
}

export async function registerAuth(app: FastifyInstance, secret: string): Promise<void> {
  await app.register(fastifyJwt, { secret })
}

/** preHandler: a valid token whose role is one of `roles`. */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return async function (request: FastifyRequest, _reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch {
      throw new AuthErrors.unauthorized('a valid bearer token is required')
    }
    // Every later log line of this request (the access log included) names the user.
    request.log = request.log.child({ userId: request.user.sub })
    _reply.log = request.log
    if (!roles.includes(request.user.role)) {
      throw new AuthErrors.forbidden(`role '${request.user.role}' may not do this (needs ${roles.join(' or ')})`)
    }
  }
}

/** Resolves "me" and checks an agent acts only on itself; supervisors and admins act on anyone. */
export function actingOn(request: FastifyRequest, agentId: string): string {
  const id = agentId === 'me' ? request.user.sub : agentId
  if (request.user.role === 'agent' && id !== request.user.sub) {
    throw new AuthErrors.forbidden(`agent '${request.user.sub}' may not act on agent '${id}'`)
  }
  return id
}

export const bearerSecurity = [{ bearer: [] as string[] }]
