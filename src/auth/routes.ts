import { Type } from 'typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AuthErrors, bearerSecurity, requireRole, type TokenClaims } from './plugin.ts'
import type { UserStore } from './store.ts'
import createError from '@fastify/error'
import { auditContext, type AuditLog } from '../audit/index.ts'

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

export function authRoutes(deps: { users: UserStore; tokenTtlSeconds: number; audit: AuditLog }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.post('/v1/auth/token', {
      schema: {
        tags: ['auth'], summary: 'Exchange a user id and password for a bearer token',
        body: Type.Object({ username: UserId, password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String(), expiresIn: Type.Integer(), user: Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema }) }), 401: Error }
      }
    }, async (request) => {
      const user = await deps.users.authenticate(request.body.username, request.body.password)
      const { ip } = auditContext(request)
      if (!user) {
        await deps.audit.record({ actor: request.body.username, action: 'auth.login', target: request.body.username, outcome: 'failure', ip, details: { reason: 'wrong user id or password' } })
        throw new AuthErrors.unauthorized('wrong user id or password')
      }
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
