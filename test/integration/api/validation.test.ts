/**
 * Bad input never crashes the server: wrong or missing fields get 400 naming the field,
 * unknown ids 404, missing tokens 401, wrong roles 403, illegal state changes 409.
 */
import t from 'tap'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor } from '../../helpers/hotline.ts'

t.test('REST input validation and errors', async (t) => {
  const hotline = await startHotline(t)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'V1')
  const auth = (token: string) => ({ authorization: `Bearer ${token}` })
  const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) =>
    hotline.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload === undefined ? {} : { payload: payload as object }) })

  const cases: [string, 'GET' | 'POST', string, string | undefined, unknown, number, RegExp][] = [
    ['login without password', 'POST', '/v1/auth/token', undefined, { username: 'admin' }, 400, /password/],
    ['login with a wrong password', 'POST', '/v1/auth/token', undefined, { username: 'admin', password: 'nope' }, 401, /wrong user id or password/],
    ['sign-in without seat', 'POST', '/v1/agents/me/sign-in', agent, {}, 400, /body\.seat/],
    ['sign-in with a malformed seat', 'POST', '/v1/agents/me/sign-in', agent, { seat: 'a b' }, 400, /body\.seat/],
    ['sign-in with an unknown field', 'POST', '/v1/agents/me/sign-in', agent, { seat: '1001', color: 'red' }, 400, /color/],
    ['sign-in to a seat the PBX does not have', 'POST', '/v1/agents/me/sign-in', agent, { seat: '9999' }, 404, /no seat '9999'/],
    ['not-ready with an unknown reason', 'POST', '/v1/agents/me/not-ready', agent, { reason: 'napping' }, 400, /napping/],
    ['not-ready with an object as reason', 'POST', '/v1/agents/me/not-ready', agent, { reason: {} }, 400, /body\.reason/],
    ['ready while signed out', 'POST', '/v1/agents/me/ready', agent, undefined, 409, /cannot set-ready while signed-out/],
    ['extend wrap-up by -5 s', 'POST', '/v1/agents/me/wrap-up/extend', agent, { seconds: -5 }, 400, /body\.seconds/],
    ['an unknown agent', 'POST', '/v1/agents/ZZ9/ready', admin, undefined, 404, /no agent with id 'ZZ9'/],
    ['an agent acting for another', 'POST', '/v1/agents/admin/ready', agent, undefined, 403, /may not act on agent/],
    ['listing agents as an agent', 'GET', '/v1/agents', agent, undefined, 403, /needs supervisor or admin/],
    ['listing agents without a token', 'GET', '/v1/agents', undefined, undefined, 401, /bearer token/],
    ['a call id that is not a uuid', 'GET', '/v1/calls/123', admin, undefined, 400, /params\.callId/],
    ['an unknown call', 'GET', '/v1/calls/00000000-0000-4000-8000-000000000000', admin, undefined, 404, /no call with id/],
    ['the recording of an unknown call', 'GET', '/v1/calls/00000000-0000-4000-8000-000000000000/recording', admin, undefined, 404, /no call with id/],
    ['calls with a bad limit', 'GET', '/v1/calls?limit=100000', admin, undefined, 400, /limit/],
    ['a user with a short password', 'POST', '/v1/users', admin, { id: 'X1', displayName: 'x', role: 'agent', password: 'short' }, 400, /body\.password/],
    ['a user with an unknown role', 'POST', '/v1/users', admin, { id: 'X1', displayName: 'x', role: 'boss', password: 'Long-enough-1' }, 400, /body\.role/],
    ['creating users as an agent', 'POST', '/v1/users', agent, { id: 'X1', displayName: 'x', role: 'agent', password: 'Long-enough-1' }, 403, /needs admin/],
    ['an unknown route', 'GET', '/v1/nothing-here', admin, undefined, 404, /no route GET \/v1\/nothing-here/],
    ['a body that is not JSON', 'POST', '/v1/auth/token', undefined, 'not json', 400, /./]
  ]
  for (const [what, method, url, token, payload, status, message] of cases) {
    const res = method === 'POST' && typeof payload === 'string'
      ? await hotline.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload })
      : await call(method, url, token, payload)
    t.equal(res.statusCode, status, `${what}: ${status}`)
    const body = res.json() as { code?: string; message?: string }
    t.match(body.message, message, `${what}: message says why (${body.message})`)
    t.type(body.code, 'string', `${what}: has an error code`)
  }

  const dup = await call('POST', '/v1/users', admin, { id: 'V1', displayName: 'again', role: 'agent', password: 'Long-enough-1' })
  t.equal(dup.statusCode, 409, 'creating an existing user is a conflict')

  const health = await call('GET', '/health')
  t.same(health.json(), { status: 'ok' }, 'still healthy after all that')
  const ready = await call('GET', '/ready')
  t.equal(ready.statusCode, 200, 'ready: ARI, PostgreSQL and Redis answer')
  t.same(ready.json(), { ready: true, checks: { asterisk: { ok: true }, postgres: { ok: true }, redis: { ok: true } } }, 'every dependency checked')
  const docs = await call('GET', '/docs/json')
  const spec = docs.json() as { openapi: string; paths: Record<string, unknown> }
  t.match(spec.openapi, /^3\./, 'OpenAPI 3 document')
  for (const path of ['/v1/agents/{agentId}/sign-in', '/v1/calls/{callId}/recording', '/v1/auth/token', '/ready', '/metrics']) {
    t.ok(spec.paths[path], `OpenAPI documents ${path}`)
  }
  // /metrics is the scraper's: its bearer token (HOTLINE_METRICS_TOKEN) and nothing else.
  const anonymousMetrics = await call('GET', '/metrics')
  t.equal(anonymousMetrics.statusCode, 401, 'metrics without a token: 401')
  t.notMatch(anonymousMetrics.body, /hotline_/, 'and no figure in the answer')
  t.equal((await call('GET', '/metrics', admin)).statusCode, 401, 'a user\'s token (even an administrator\'s) is not the scraper\'s: 401')
  t.equal((await call('GET', '/metrics', 'x'.repeat(48))).statusCode, 401, 'a wrong scraper token: 401')
  t.ok(hotline.config.HOTLINE_METRICS_TOKEN, 'the local set-up generated a scraper token (secrets.env)')
  const metrics = await call('GET', '/metrics', hotline.config.HOTLINE_METRICS_TOKEN)
  t.equal(metrics.statusCode, 200, 'with the scraper token: 200')
  t.match(metrics.body, /# TYPE hotline_calls_offered_total counter/, 'Prometheus metrics are served')
})

t.test('readiness is 503 while the PBX is unreachable, and wrong ARI credentials are a clear error', async (t) => {
  const hotline = await startHotline(t, {}, { reset: false }).catch((err) => { throw err })
  await hotline.ari.stop()
  const res = await hotline.app.inject({ method: 'GET', url: '/ready' })
  t.equal(res.statusCode, 503, 'not ready without ARI')
  t.equal((res.json() as { checks: { asterisk: { ok: boolean } } }).checks.asterisk.ok, false, 'the failing check is named')

  const { createHotline } = await import('../../../src/app.ts')
  const { testConfig } = await import('../../helpers/services.ts')
  const wrong = await createHotline(testConfig({ HOTLINE_ARI_PASSWORD: 'definitely-wrong' }))
  t.teardown(() => wrong.close())
  await t.rejects(wrong.ari.start(), { name: 'AriAuthError' }, 'wrong credentials reject with AriAuthError instead of crashing')
  const unreachable = await createHotline(testConfig({ HOTLINE_ARI_URL: 'http://127.0.0.1:9' }))
  t.teardown(() => unreachable.close())
  unreachable.ari.startInBackground()
  await new Promise((r) => setTimeout(r, 600))
  const notReady = await unreachable.app.inject({ method: 'GET', url: '/ready' })
  t.equal(notReady.statusCode, 503, 'unreachable Asterisk: not ready, process alive')
  t.match(unreachable.ari.lastError?.message, /did not answer/, 'and the error says Asterisk did not answer')
})
