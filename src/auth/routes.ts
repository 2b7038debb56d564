import { Type } from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AuthErrors, bearerSecurity, requireRole, ROLES } from './plugin.ts'
import type { UserStore } from './store.ts'
import type { SessionService } from './sessions.ts'
import createError from '@fastify/error'
import rateLimit from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import { auditContext, type AuditLog } from '../audit/index.ts'
import { keys } from '../redis/keys.ts'
import type { LoginThrottle } from './throttle.ts'
import { passwordProblem } from './rules.ts'
import { ErrorBody } from '../http/errors.ts'

const UserId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'login / work number (工号)' })
const RoleSchema = Type.Union([Type.Literal('agent'), Type.Literal('supervisor'), Type.Literal('admin'), Type.Literal('unit'), Type.Literal('auditor')])
const Skills = Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }), Type.Integer({ minimum: 1, maximum: 10 }), { description: 'skill → level 1..10' })
const QueueId = Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })

const UserErrors = {
  exists: createError<[string]>('HOTLINE_USERS_EXISTS', "user '%s' already exists", 409),
  notFound: createError<[string]>('HOTLINE_USERS_NOT_FOUND', "no user with id '%s'", 404),
  badUnit: createError<[string]>('HOTLINE_USERS_BAD_UNIT', '%s', 400),
  badPassword: createError<[string]>('HOTLINE_USERS_WEAK_PASSWORD', '%s', 400),
  ownRole: createError('HOTLINE_USERS_OWN_ROLE', "params.id: an administrator cannot change their own role", 400)
}

export interface LoginProtection {
  throttle: LoginThrottle
  redis: Redis
  /** Login attempts one client address may make per minute, whatever the user ids. */
  perAddressPerMinute: number
}

const LoginErrors = {
  locked: createError<[number]>('HOTLINE_AUTH_LOCKED', 'too many failed logins for this user id: locked, try again in %d s', 429),
  rateLimited: createError<[number]>('HOTLINE_AUTH_RATE_LIMITED', 'too many login attempts from this address: try again in %d s', 429),
  refreshInvalid: createError<[string]>('HOTLINE_AUTH_REFRESH_INVALID', '%s', 401)
}

const TokenReply = Type.Object({
  token: Type.String({ description: 'the access token (bearer JWT), valid expiresIn seconds' }),
  expiresIn: Type.Integer({ description: 'seconds the access token lives (HOTLINE_ACCESS_TOKEN_TTL_S)' }),
  refreshToken: Type.String({ description: 'single use: POST /v1/auth/refresh trades it for a new pair before the access token expires' }),
  refreshExpiresIn: Type.Integer({ description: 'seconds the session has left (HOTLINE_SESSION_TTL_S from the login)' }),
  passwordChangeRequired: Type.Boolean({ description: 'true: the token admits only POST /v1/auth/password and sign-out' }),
  user: Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema })
})

/**
 * `signOutAgent`: a disabled user, or an agent given another role, is signed out of its seat too
 * (no more calls offered to an account that cannot answer for them); best effort, it logs why not.
 */
export function authRoutes(deps: { users: UserStore; sessions: SessionService; audit: AuditLog; login: LoginProtection; signOutAgent: (userId: string, actor: string) => Promise<void> }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    // Per address, shared by all nodes through Redis; only routes that ask for it are limited.
    await app.register(rateLimit, {
      global: false, redis: deps.login.redis, nameSpace: keys.rateLimit(),
      errorResponseBuilder: (_request, context) => new LoginErrors.rateLimited(Math.ceil(context.ttl / 1000)),
      onExceeded: (request) => {
        void deps.audit.record({ actor: null, action: 'auth.login', outcome: 'denied', ip: request.ip, details: { reason: 'rate limited (address)' } })
      }
    })

    app.post('/v1/auth/token', {
      config: { rateLimit: { max: deps.login.perAddressPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'], summary: 'Exchange a user id and password for a bearer token',
        description: 'Throttled per client address (HOTLINE_LOGIN_RATE_PER_MIN) and per user id: after HOTLINE_LOGIN_MAX_FAILURES failures the id is locked for HOTLINE_LOGIN_LOCKOUT_S (429 with Retry-After). Every attempt is audited.',
        body: Type.Object({ username: UserId, password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: TokenReply, 401: ErrorBody, 429: ErrorBody, 503: ErrorBody }
      }
    }, async (request, reply) => {
      const { username, password } = request.body
      const { ip } = auditContext(request)
      const locked = await deps.login.throttle.lockedFor(username)
      if (locked > 0) {
        // No password check at all while locked: guessing on costs the attacker nothing but time.
        await deps.audit.record({ actor: username, action: 'auth.login', target: username, outcome: 'denied', ip, details: { reason: 'locked', retryAfterSeconds: locked } })
        reply.header('retry-after', String(locked))
        throw new LoginErrors.locked(locked)
      }
      const user = await deps.users.authenticate(username, password)
      if (!user) {
        const { failures, lockedFor } = await deps.login.throttle.fail(username)
        await deps.audit.record({ actor: username, action: 'auth.login', target: username, outcome: 'failure', ip, details: { reason: 'wrong user id or password', failures } })
        if (lockedFor > 0) await deps.audit.record({ actor: null, action: 'auth.lockout', target: username, outcome: 'success', ip, details: { failures, lockedForSeconds: lockedFor } })
        throw new AuthErrors.unauthorized('wrong user id or password')
      }
      await deps.login.throttle.reset(username)
      await deps.audit.record({ actor: user.id, actorRole: user.role, action: 'auth.login', target: user.id, outcome: 'success', ip, ...(user.mustChangePassword ? { details: { passwordChangeRequired: true } } : {}) })
      return deps.sessions.login(user)
    })

    const NewPassword = Type.String({ minLength: 1, maxLength: 200, description: 'at least 10 characters, three of lower, upper, digits, others; not the user id' })

    app.post('/v1/auth/refresh', {
      // As many as logins from one address: a refresh token is unguessable, but each costs a write.
      config: { rateLimit: { max: deps.login.perAddressPerMinute * 5, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'], summary: 'Trade a refresh token for a new access token and refresh token (the old one is spent)',
        description: 'No bearer token needed (the access token may have expired). A refresh token works once: presenting a spent one again ends its whole session (every token of that login). Refused for a disabled user, a signed-out session and after HOTLINE_SESSION_TTL_S.',
        body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: TokenReply, 401: ErrorBody, 429: ErrorBody }
      }
    }, async (request) => {
      const result = await deps.sessions.refresh(request.body.refreshToken, (id) => deps.users.get(id))
      if (result.ok) return result.session
      // Successful refreshes are not audited (one per user every few minutes); failures are.
      await deps.audit.record({
        actor: result.userId ?? null, action: result.reused ? 'auth.refresh-reuse' : 'auth.refresh', target: result.userId ?? null,
        outcome: 'denied', ip: request.ip, details: { reason: result.reason }
      })
      throw new LoginErrors.refreshInvalid(result.reused
        ? 'this refresh token was already used: the session is ended for safety, log in again'
        : `the refresh token is not valid (${result.reason}): log in again`)
    })

    app.post('/v1/auth/logout', {
      preHandler: requireRole(...ROLES),
      config: { allowPendingPasswordChange: true },
      schema: { tags: ['auth'], summary: "Sign out everywhere: every token of this user is void at once, refresh tokens too (REST and the panels' sockets)", security: bearerSecurity, response: { 204: Type.Null(), 401: ErrorBody } }
    }, async (request, reply) => {
      await deps.sessions.endUser(request.user.sub, 'signed out')
      await deps.audit.record({ ...auditContext(request), action: 'auth.logout', target: request.user.sub, outcome: 'success' })
      return reply.code(204).send(null)
    })

    app.post('/v1/auth/password', {
      preHandler: requireRole(...ROLES),
      config: { allowPendingPasswordChange: true },
      schema: {
        tags: ['auth'], summary: 'Change my own password (the current one is required); every other token of mine is void, a new session is returned',
        description: 'The first administrator must do this first: until then its token admits only this and sign-out (403 HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED elsewhere).',
        security: bearerSecurity,
        body: Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: NewPassword }, { additionalProperties: false }),
        response: { 200: TokenReply, 400: ErrorBody, 401: ErrorBody }
      }
    }, async (request) => {
      const id = request.user.sub
      const user = await deps.users.authenticate(id, request.body.currentPassword)
      if (!user) {
        await deps.audit.record({ ...auditContext(request), action: 'auth.password-change', target: id, outcome: 'failure', details: { reason: 'wrong current password' } })
        throw new AuthErrors.unauthorized('the current password is wrong')
      }
      const problem = passwordProblem(request.body.newPassword, id) ?? (request.body.newPassword === request.body.currentPassword ? 'must differ from the current password' : null)
      if (problem) throw new UserErrors.badPassword(`body.newPassword: ${problem}`)
      await deps.users.setPassword(id, request.body.newPassword)
      await deps.sessions.endUser(id, 'password changed')
      await deps.audit.record({ ...auditContext(request), action: 'auth.password-change', target: id, outcome: 'success', ...(user.mustChangePassword ? { details: { firstChange: true } } : {}) })
      return deps.sessions.login({ ...user, mustChangePassword: false })
    })

    app.get('/v1/users', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['users'], summary: 'Every user account, with its role and whether it is disabled', security: bearerSecurity,
        response: { 200: Type.Array(Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema, disabled: Type.Boolean(), unitId: Type.Union([Type.String(), Type.Null()]), mustChangePassword: Type.Boolean() })) }
      }
    }, async () => deps.users.list())

    for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
      app.post(`/v1/users/:id/${verb}`, {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['users'], security: bearerSecurity,
          summary: disabled ? "Disable an account: it cannot log in, and its tokens and sockets end at once" : 'Enable a disabled account again',
          params: Type.Object({ id: UserId }), response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody }
        }
      }, async (request, reply) => {
        const { id } = request.params
        if (disabled && id === request.user.sub) throw new UserErrors.badUnit('params.id: an administrator cannot disable their own account')
        // Out of the seat while still an enabled agent (the agent commands refuse a disabled one).
        if (disabled) await deps.signOutAgent(id, request.user.sub)
        const found = await deps.users.setDisabled(id, disabled)
        await deps.audit.record({ ...auditContext(request), action: `user.${verb}`, target: id, outcome: found ? 'success' : 'failure' })
        if (!found) throw new UserErrors.notFound(id)
        if (disabled) await deps.sessions.endUser(id, 'account disabled')
        else await deps.login.throttle.unlock(id)
        return reply.code(204).send(null)
      })
    }

    app.post('/v1/users/:id/password', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['users'], summary: "Reset a user's password (the user's tokens end; a lockout is lifted)", security: bearerSecurity,
        params: Type.Object({ id: UserId }), body: Type.Object({ newPassword: NewPassword }, { additionalProperties: false }),
        response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody }
      }
    }, async (request, reply) => {
      const { id } = request.params
      const problem = passwordProblem(request.body.newPassword, id)
      if (problem) throw new UserErrors.badPassword(`body.newPassword: ${problem}`)
      const found = await deps.users.setPassword(id, request.body.newPassword)
      await deps.audit.record({ ...auditContext(request), action: 'user.reset-password', target: id, outcome: found ? 'success' : 'failure' })
      if (!found) throw new UserErrors.notFound(id)
      await deps.sessions.endUser(id, 'password reset')
      await deps.login.throttle.unlock(id)
      return reply.code(204).send(null)
    })

    app.post('/v1/users', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['users'], summary: 'Create a user (agents get a routing profile)', security: bearerSecurity,
        body: Type.Object({
          id: UserId, displayName: Type.String({ minLength: 1, maxLength: 100 }), role: RoleSchema,
          password: NewPassword, skills: Type.Optional(Skills), queues: Type.Optional(Type.Array(QueueId, { maxItems: 100 })),
          unitId: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: "for role 'unit': the handling unit (联动单位) the user acts for" }))
        }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), 400: ErrorBody, 409: ErrorBody }
      }
    }, async (request, reply) => {
      const { role, unitId } = request.body
      if (role === 'unit' && !unitId) throw new UserErrors.badUnit("body.unitId: is required for role 'unit'")
      if (role !== 'unit' && unitId) throw new UserErrors.badUnit(`body.unitId: only role 'unit' belongs to a unit, not '${role}'`)
      if (unitId && !(await deps.users.unitExists(unitId))) throw new UserErrors.badUnit(`body.unitId: no active unit '${unitId}'`)
      const problem = passwordProblem(request.body.password, request.body.id)
      if (problem) throw new UserErrors.badPassword(`body.password: ${problem}`)
      const created = await deps.users.create(request.body)
      await deps.audit.record({ ...auditContext(request), action: 'user.create', target: request.body.id, outcome: created ? 'success' : 'failure', details: { role, ...(unitId ? { unitId } : {}), ...(created ? {} : { reason: 'exists' }) } })
      if (!created) throw new UserErrors.exists(request.body.id)
      return reply.code(201).send({ id: request.body.id })
    })

    app.post('/v1/users/:id/role', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['users'], security: bearerSecurity,
        summary: "Give a user another role (and, for role 'unit', its unit): the user's tokens and sockets end at once, the next login carries the new role",
        params: Type.Object({ id: UserId }),
        body: Type.Object({ role: RoleSchema, unitId: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })) }, { additionalProperties: false }),
        response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody }
      }
    }, async (request, reply) => {
      const { id } = request.params
      const { role, unitId } = request.body
      if (id === request.user.sub) throw new UserErrors.ownRole()
      if (role === 'unit' && !unitId) throw new UserErrors.badUnit("body.unitId: is required for role 'unit'")
      if (role !== 'unit' && unitId) throw new UserErrors.badUnit(`body.unitId: only role 'unit' belongs to a unit, not '${role}'`)
      if (unitId && !(await deps.users.unitExists(unitId))) throw new UserErrors.badUnit(`body.unitId: no active unit '${unitId}'`)
      // Out of the seat while still an agent (the agent commands check the role).
      if (role !== 'agent') await deps.signOutAgent(id, request.user.sub)
      const before = await deps.users.setRole(id, role, unitId ?? null)
      await deps.audit.record({ ...auditContext(request), action: 'user.role-change', target: id, outcome: before ? 'success' : 'failure', details: { from: before, to: role, ...(unitId ? { unitId } : {}) } })
      if (!before) throw new UserErrors.notFound(id)
      await deps.sessions.endUser(id, 'role changed')
      return reply.code(204).send(null)
    })

    app.get('/v1/users/:id', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags: ['users'], summary: 'A user and, for agents, the routing profile', security: bearerSecurity,
        params: Type.Object({ id: UserId }),
        response: {
          200: Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema, disabled: Type.Boolean(), unitId: Type.Union([Type.String(), Type.Null()]), skills: Type.Union([Skills, Type.Null()]), queues: Type.Union([Type.Array(Type.String()), Type.Null()]) }),
          404: ErrorBody
        }
      }
    }, async (request) => {
      const user = await deps.users.get(request.params.id)
      if (!user) throw new UserErrors.notFound(request.params.id)
      return user
    })
  }
}
