import { Type } from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AuthErrors, bearerSecurity, requireRole, type TokenClaims } from './plugin.ts'
import type { UserStore } from './store.ts'
import createError from '@fastify/error'
import rateLimit from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import { auditContext, type AuditLog } from '../audit/index.ts'
import { keys } from '../redis/keys.ts'
import type { LoginThrottle } from './throttle.ts'

const UserId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'login / work number (工号)' })
const RoleSchema = Type.Union([Type.Literal('agent'), Type.Literal('supervisor'), Type.Literal('admin'), Type.Literal('unit'), Type.Literal('auditor')])
const Skills = Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }), Type.Integer({ minimum: 1, maximum: 10 }), { description: 'skill → level 1..10' })
const QueueId = Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })
const Error = Type.Object({ code: Type.String(), message: Type.String() })

const UserErrors = {
  exists: createError<[string]>('HOTLINE_USERS_EXISTS', "user '%s' already exists", 409),
  notFound: createError<[string]>('HOTLINE_USERS_NOT_FOUND', "no user with id '%s'", 404),
  badUnit: createError<[string]>('HOTLINE_USERS_BAD_UNIT', '%s', 400)
}

export interface LoginProtection {
  throttle: LoginThrottle
  redis: Redis
  /** Login attempts one client address may make per minute, whatever the user ids. */
  perAddressPerMinute: number
}

const LoginErrors = {
  locked: createError<[number]>('HOTLINE_AUTH_LOCKED', 'too many failed logins for this user id: locked, try again in %d s', 429),
  rateLimited: createError<[number]>('HOTLINE_AUTH_RATE_LIMITED', 'too many login attempts from this address: try again in %d s', 429)
}

export function authRoutes(deps: { users: UserStore; tokenTtlSeconds: number; audit: AuditLog; login: LoginProtection }): FastifyPluginAsync {
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
        response: { 200: Type.Object({ token: Type.String(), expiresIn: Type.Integer(), user: Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema }) }), 401: Error, 429: Error, 503: Error }
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
      await deps.audit.record({ actor: user.id, actorRole: user.role, action: 'auth.login', target: user.id, outcome: 'success', ip })
      const claims: TokenClaims = { sub: user.id, role: user.role, name: user.displayName, ...(user.unitId ? { unitId: user.unitId } : {}) }
      const token = app.jwt.sign(claims, { expiresIn: deps.tokenTtlSeconds })
      return { token, expiresIn: deps.tokenTtlSeconds, user: { id: user.id, displayName: user.displayName, role: user.role } }
    })

    app.post('/v1/users', {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['users'], summary: 'Create a user (agents get a routing profile)', security: bearerSecurity,
        body: Type.Object({
          id: UserId, displayName: Type.String({ minLength: 1, maxLength: 100 }), role: RoleSchema,
          password: Type.String({ minLength: 8, maxLength: 200 }), skills: Type.Optional(Skills), queues: Type.Optional(Type.Array(QueueId, { maxItems: 100 })),
          unitId: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: "for role 'unit': the handling unit (联动单位) the user acts for" }))
        }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), 400: Error, 409: Error }
      }
    }, async (request, reply) => {
      const { role, unitId } = request.body
      if (role === 'unit' && !unitId) throw new UserErrors.badUnit("body.unitId: is required for role 'unit'")
      if (role !== 'unit' && unitId) throw new UserErrors.badUnit(`body.unitId: only role 'unit' belongs to a unit, not '${role}'`)
      if (unitId && !(await deps.users.unitExists(unitId))) throw new UserErrors.badUnit(`body.unitId: no active unit '${unitId}'`)
      const created = await deps.users.create(request.body)
      await deps.audit.record({ ...auditContext(request), action: 'user.create', target: request.body.id, outcome: created ? 'success' : 'failure', details: { role, ...(unitId ? { unitId } : {}), ...(created ? {} : { reason: 'exists' }) } })
      if (!created) throw new UserErrors.exists(request.body.id)
      return reply.code(201).send({ id: request.body.id })
    })

    app.get('/v1/users/:id', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags: ['users'], summary: 'A user and, for agents, the routing profile', security: bearerSecurity,
        params: Type.Object({ id: UserId }),
        response: {
          200: Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema, disabled: Type.Boolean(), unitId: Type.Union([Type.String(), Type.Null()]), skills: Type.Union([Skills, Type.Null()]), queues: Type.Union([Type.Array(Type.String()), Type.Null()]) }),
          404: Error
        }
      }
    }, async (request) => {
      const user = await deps.users.get(request.params.id)
      if (!user) throw new UserErrors.notFound(request.params.id)
      return user
    })
  }
}
