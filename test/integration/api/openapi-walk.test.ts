/**
 * Walks every operation of the server's own OpenAPI document (/docs/json), as an attacker would:
 * without a token every protected operation answers 401 before it looks at the request (a body
 * and a query that would fail validation, path parameters that match nothing), with a forged
 * token 401 too, and with each role's token 403 wherever the operation does not admit that
 * role, again before validation. An operation that is public must be on the short list below.
 */
import t from 'tap'
import { createHmac } from 'node:crypto'
import type { Role } from '../../../src/auth/plugin.ts'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor } from '../../helpers/hotline.ts'

/** Operations anyone may call: probes and logging in. */
const PUBLIC = new Set(['GET /health', 'GET /ready', 'POST /v1/auth/token', 'POST /v1/auth/refresh'])
/** Operations for a machine's own token (the Prometheus scraper's HOTLINE_METRICS_TOKEN), never a user's. */
const MACHINE = new Set(['GET /metrics'])
/** Operations that end the caller's own session: walked for the roles they refuse only. */
const ENDS_SESSION = new Set(['POST /v1/auth/logout'])
const ALL_ROLES: Role[] = ['agent', 'supervisor', 'admin', 'unit', 'auditor']

interface Operation { security?: unknown[]; requestBody?: unknown; 'x-hotline-roles'?: Role[] }

function forgeToken(claims: object, key: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
}

t.test('every operation in the OpenAPI document: 401 without a token, 403 for the wrong role, both before validation', async (t) => {
  const hotline = await startHotline(t)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const inject = (method: string, url: string, token?: string, payload?: object) =>
    hotline.app.inject({ method: method as 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  // Units outlive a test run (nothing resets them): made once.
  t.ok([201, 409].includes((await inject('POST', '/v1/units', admin, { id: 'walk-unit', name: '巡检单位', kind: 'department' })).statusCode), 'a unit for the unit user')
  const tokens: Record<Role, string> = {
    admin,
    agent: await createAgent(hotline, admin, 'WALK-A'),
    supervisor: await created('WALK-S', 'supervisor'),
    unit: await created('WALK-U', 'unit', { unitId: 'walk-unit' }),
    auditor: await created('WALK-AUD', 'auditor')
  }
  async function created(id: string, role: Role, extra: object = {}): Promise<string> {
    const res = await inject('POST', '/v1/users', admin, { id, displayName: id, role, password: `${id}-password`, ...extra })
    if (res.statusCode !== 201) throw new Error(`creating ${id}: ${res.statusCode} ${res.body}`)
    return tokenFor(hotline, id, `${id}-password`)
  }
  // Signed with another key: what an attacker can make without the server's secret.
  const forged = forgeToken({ sub: 'admin', role: 'admin', name: 'x', exp: Math.floor(Date.now() / 1000) + 600 }, 'not-the-servers-secret-not-the-servers-secret')

  const spec = (await inject('GET', '/docs/json')).json() as { paths: Record<string, Record<string, Operation>> }
  const operations = Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })))
  t.ok(operations.length >= 60, `the document lists the API (${operations.length} operations)`)

  let checked = 0
  for (const { method, path, op } of operations) {
    const name = `${method} ${path}`
    // Path parameters that match no pattern and no record, a query and a body that fail any schema.
    const url = path.replace(/\{[^}]+\}/g, 'no such thing!').replace(/ /g, '%20') + '?limit=-1&walk=1'
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? { walk: 'not a valid body' } : undefined
    if (PUBLIC.has(name)) {
      t.notOk(op['x-hotline-roles'], `${name} is public`)
      continue
    }
    if (MACHINE.has(name)) {
      t.ok(op.security, `${name} says it needs a bearer token`)
      const anonymous = await inject(method, url)
      t.equal(anonymous.statusCode, 401, `${name} without a token: 401`)
      t.same(anonymous.json(), { code: 'HOTLINE_AUTH_UNAUTHORIZED', message: 'a valid bearer token is required' }, `${name} without a token: nothing else`)
      t.equal((await inject(method, url, forged)).statusCode, 401, `${name} with a forged token: 401`)
      for (const role of ALL_ROLES) t.equal((await inject(method, url, tokens[role])).statusCode, 401, `${name} as ${role}: 401 (a user's token is not the machine's)`)
      t.equal((await inject(method, url, hotline.config.HOTLINE_METRICS_TOKEN)).statusCode, 200, `${name} with the machine's token: 200`)
      continue
    }
    const roles = op['x-hotline-roles']
    t.ok(Array.isArray(roles) && roles.length > 0, `${name} declares the roles it admits (${roles?.join(', ')})`)
    t.ok(op.security, `${name} says it needs a bearer token`)
    const anonymous = await inject(method, url, undefined, body)
    t.equal(anonymous.statusCode, 401, `${name} without a token: 401`)
    t.same(anonymous.json(), { code: 'HOTLINE_AUTH_UNAUTHORIZED', message: 'a valid bearer token is required' }, `${name} without a token: nothing about the schema`)
    t.equal((await inject(method, url, forged, body)).statusCode, 401, `${name} with a forged token: 401`)
    for (const role of ALL_ROLES) {
      if (roles?.includes(role) && ENDS_SESSION.has(name)) continue
      const res = await inject(method, url, tokens[role], body)
      const reply = (res.body ? res.json() : {}) as { code?: string; message?: string }
      if (roles?.includes(role)) {
        t.not(res.statusCode, 401, `${name} as ${role}: the token is accepted`)
        t.notMatch(reply.message ?? '', /^role '.*' may not do this/, `${name} as ${role}: the role is admitted`)
      } else {
        t.equal(res.statusCode, 403, `${name} as ${role}: 403 before validation`)
        t.equal(reply.code, 'HOTLINE_AUTH_FORBIDDEN', `${name} as ${role}: refused for the role`)
      }
    }
    checked++
  }
  t.ok(checked >= 55, `${checked} protected operations walked`)

  // What must hold whatever a module declares.
  const rolesOf = (method: string, path: string) => spec.paths[path]?.[method]?.['x-hotline-roles']
  t.same(rolesOf('post', '/v1/users'), ['admin'], 'only administrators create users')
  t.same(rolesOf('get', '/v1/audit'), ['auditor'], 'only the auditor reads the audit log')
  const auditorMay = operations.filter(({ op }) => op['x-hotline-roles']?.includes('auditor')).map(({ method, path }) => `${method} ${path}`)
  t.ok(auditorMay.every((name) => name === 'GET /v1/audit' || name.startsWith('POST /v1/auth/') || name.startsWith('GET /v1/auth/')), `the auditor reaches only the audit log and their own account (${auditorMay.join(', ')})`)
})
