/**
 * Bearer tokens (JWT) for the API and the realtime namespaces. Roles: agent, supervisor,
 * admin, and unit (a handling unit's staff 联动单位, acting only for its unit). Routes declare
 * the roles they allow; an agent acting on another agent gets 403.
 */
import fastifyJwt from '@fastify/jwt'
import createError from '@fastify/error'
import type { TokenRevocation } from './revocation.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'

/** auditor (审计管理员): reads the security audit log and nothing else, kept apart from the administrator it audits. */
export type Role = 'agent' | 'supervisor' | 'admin' | 'unit' | 'auditor'
export const ROLES: readonly Role[] = ['agent', 'supervisor', 'admin', 'unit', 'auditor']

/** unitId: set for role 'unit' only, the unit the user acts for. */
export interface TokenClaims {
  sub: string; role: Role; name: string; unitId?: string
  /** Issued-at in milliseconds (revocation compares it); `iat`/`exp` are the standard seconds. */
  iatMs?: number; iat?: number; exp?: number
  /** The session (one login and its refreshes, src/auth/sessions.ts). */
  sid?: string
  /** Set while the user must change the password first: the token admits only that and sign-out. */
  pwc?: true
}

declare module '@fastify/jwt' {
  interface FastifyJWT { payload: TokenClaims; user: TokenClaims }
}

export const AuthErrors = {
  unauthorized: createError<[string]>('HOTLINE_AUTH_UNAUTHORIZED', '%s', 401),
  forbidden: createError<[string]>('HOTLINE_AUTH_FORBIDDEN', '%s', 403),
  passwordChangeRequired: createError('HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED', 'the password must be changed first (POST /v1/auth/password): this token admits nothing else', 403)
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route is open to a token whose user must change the password first (the change itself, sign-out). */
    allowPendingPasswordChange?: boolean
  }
}

/** Marks a hook made by requireRole, with the roles it lets through. */
const ROLE_GATE = Symbol('hotline.roleGate')
type RoleGate = preHandlerAsyncHookHandler & { [ROLE_GATE]?: readonly Role[] }

declare module 'fastify' {
  interface FastifyInstance { tokenRevocation: TokenRevocation }
}

export async function registerAuth(app: FastifyInstance, secret: string, revocation: TokenRevocation): Promise<void> {
  await app.register(fastifyJwt, { secret })
  app.decorate('tokenRevocation', revocation)
  // Fastify validates the request before preHandler hooks run, so a role gate declared as a
  // preHandler would answer an anonymous caller with a 400 that describes the schema. Every
  // gate moves to onRequest, before parsing and validation: no token, 401; wrong role, 403;
  // only then the body is looked at. The roles also go into the OpenAPI document
  // (x-hotline-roles), so a test can walk every operation against them.
  app.addHook('onRoute', (route) => {
    const pre = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]
    const gates = pre.filter((h) => (h as RoleGate)[ROLE_GATE] !== undefined)
    if (gates.length === 0) return
    route.preHandler = pre.filter((h) => !gates.includes(h))
    const onRequest = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...(gates as never[]), ...onRequest]
    const roles = gates.map((g) => (g as RoleGate)[ROLE_GATE]!).reduce((a, b) => a.filter((r) => b.includes(r)))
    route.schema = { ...(route.schema ?? {}), 'x-hotline-roles': roles } as typeof route.schema
  })
}

/** The roles an operation admits, as registerAuth records them in the route's schema. */
export function rolesOf(schema: unknown): readonly Role[] | undefined {
  return (schema as Record<string, readonly Role[] | undefined> | undefined)?.['x-hotline-roles']
}

/**
 * A gate: a valid token whose role is one of `roles`. Declared as a route's preHandler (as
 * routes always have); registerAuth runs it at onRequest, before validation.
 */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  const gate: RoleGate = async function (request: FastifyRequest, _reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch {
      throw new AuthErrors.unauthorized('a valid bearer token is required')
    }
    if (await request.server.tokenRevocation.isRevoked(request.user)) {
      throw new AuthErrors.unauthorized('this token was revoked (signed out, disabled or password changed): log in again')
    }
    // Every later log line of this request (the access log included) names the user.
    request.log = request.log.child({ userId: request.user.sub })
    _reply.log = request.log
    if (!roles.includes(request.user.role)) {
      throw new AuthErrors.forbidden(`role '${request.user.role}' may not do this (needs ${roles.join(' or ')})`)
    }
    if (request.user.pwc && !request.routeOptions.config.allowPendingPasswordChange) throw new AuthErrors.passwordChangeRequired()
  }
  gate[ROLE_GATE] = roles
  return gate
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
